"""The annual report of a region: every indicator's target and value for the region and each
sub-region for the year, generated from the stored values, plus the stored narrative."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from wushe.imports.xlsx import safe_text, sheet_title
from wushe.regions.models import Region

from . import selectors
from .models import AnnualReport
from .periods import Period
from .registry import Indicator, all_indicators
from .services import NARRATIVE_FIELDS

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Report:
    region: Region
    year: int
    period: Period
    indicators: list[Indicator]
    own: list[selectors.Result]
    children: list[Region]
    by_child: dict[tuple[str, str], selectors.Result]
    narrative: AnnualReport | None

    def rows(self) -> list[dict[str, Any]]:
        """One row per indicator: the region's result and its sub-regions' results in order."""
        return [
            {
                "indicator": i,
                "own": own,
                "children": [(c, self.by_child[(i.code, c.code)]) for c in self.children],
                "behind": [
                    c
                    for c in self.children
                    if self.by_child[(i.code, c.code)].status == selectors.Status.BEHIND
                ],
            }
            for i, own in zip(self.indicators, self.own, strict=True)
        ]

    def narrative_items(self) -> list[tuple[str, str]]:
        from .models import AnnualReport as Model

        return [
            (
                str(getattr(Model._meta.get_field(name), "verbose_name", name)),
                getattr(self.narrative, name, "") or "",
            )
            for name in NARRATIVE_FIELDS
        ]


def build(region: Region, year: int) -> Report:
    period = Period.parse(str(year))
    indicators = all_indicators()
    children = selectors.children_of(region)
    own = selectors.results([region.code], period, indicators)
    by_child = selectors.results([c.code for c in children], period, indicators)
    return Report(
        region=region,
        year=year,
        period=period,
        indicators=indicators,
        own=[own[(i.code, region.code)] for i in indicators],
        children=children,
        by_child=by_child,
        narrative=AnnualReport.objects.filter(region=region, year=year).first(),
    )


_BOLD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="F0F2F5")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _cell_value(result: selectors.Result) -> Any:
    """A number where there is one, else the reason (无数据 / 分母为零) as text."""
    if result.value is None:
        return result.display
    return float(round(result.value, result.indicator.decimals))


def _header(sheet: Any, values: list[str]) -> None:
    sheet.append([safe_text(v) for v in values])
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
        cell.fill = _FILL
        cell.alignment = _WRAP


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = sheet_title(_("汇总"))
    title = _("{region}{year}年度“五社联动”工作报告").format(
        region=report.region.name, year=report.year
    )
    summary.append([safe_text(title)])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(
        [safe_text(_("生成时间：{at}").format(at=timezone.localtime().strftime("%Y-%m-%d %H:%M")))]
    )
    summary.append([])
    _header(
        summary,
        [
            _("指标"),
            _("单位"),
            _("目标"),
            _("数值"),
            _("状态"),
            _("分子"),
            _("分母"),
            _("口径"),
            _("依据"),
        ],
    )
    for i, own in zip(report.indicators, report.own, strict=True):
        summary.append(
            [
                safe_text(str(i.name)),
                safe_text(str(i.unit)),
                None if own.target is None else float(own.target),
                _cell_value(own) if own.value is not None else safe_text(own.display),
                safe_text(own.status_label),
                None if own.numerator is None else float(own.numerator),
                None if own.denominator is None else float(own.denominator),
                safe_text(str(i.definition)),
                safe_text(str(i.source)),
            ]
        )
    for column, width in zip("ABCDEFGHI", (34, 12, 10, 12, 10, 12, 12, 50, 40), strict=True):
        summary.column_dimensions[column].width = width

    if report.children:
        sub = book.create_sheet(sheet_title(_("下级区划")))
        _header(sub, [_("区划代码"), _("区划名称"), *[str(i.name) for i in report.indicators]])
        sub.append(
            [
                safe_text(_("目标")),
                "",
                *[None if o.target is None else float(o.target) for o in report.own],
            ]
        )
        for child in report.children:
            sub.append(
                [
                    child.code,
                    safe_text(child.name),
                    *[
                        _cell_value(report.by_child[(i.code, child.code)])
                        if report.by_child[(i.code, child.code)].value is not None
                        else safe_text(report.by_child[(i.code, child.code)].display)
                        for i in report.indicators
                    ],
                ]
            )
        sub.column_dimensions["A"].width = 15
        sub.column_dimensions["B"].width = 24
        for index in range(len(report.indicators)):
            sub.column_dimensions[get_column_letter(index + 3)].width = 14
        sub.freeze_panes = "C2"

    words = book.create_sheet(sheet_title(_("文字说明")))
    for label, text in report.narrative_items():
        words.append([safe_text(label), safe_text(text)])
        words[words.max_row][0].font = _BOLD
        words[words.max_row][1].alignment = _WRAP
    words.column_dimensions["A"].width = 22
    words.column_dimensions["B"].width = 100

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
