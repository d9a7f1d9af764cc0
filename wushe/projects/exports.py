"""Exports to .xlsx: a project's ledger (expenditures) and a round's results. Text cells go
through `wushe.imports.xlsx.export_cell`, which neutralises formulas (CSV/Excel injection)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from wushe.imports.xlsx import XLSX_CONTENT_TYPE, export_cell, sheet_title

from . import selectors
from .models import Call, Project


def _workbook(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([export_cell(h) for h in header])
    for row in rows:
        sheet.append([export_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _yuan(fen: int | None) -> Any:
    """Yuan as a number with two decimals (fen / 100 is exact in Decimal)."""
    from decimal import Decimal

    return None if fen is None else Decimal(fen) / 100


def ledger_rows(project: Project) -> list[list[Any]]:
    rows: list[list[Any]] = []
    running = 0
    for e in selectors.project_expenditures(project=project):
        running += e.amount_fen
        rows.append([e.spent_on, e.item, _yuan(e.amount_fen), _yuan(running), bool(e.attachment)])
    return rows


def ledger_bytes(project: Project) -> bytes:
    header = [_("支出日期"), _("支出事项"), _("金额（元）"), _("累计（元）"), _("附票据")]
    rows = ledger_rows(project)
    rows.append([None, _("立项预算"), _yuan(project.approved_fen), None, None])
    rows.append([None, _("剩余"), _yuan(project.remaining_fen), None, None])
    return _workbook(_("项目支出台账"), header, rows)


def results_bytes(call: Call) -> bytes:
    header = [
        _("排名"),
        _("项目名称"),
        _("申报组织"),
        _("评估等级"),
        _("服务区域"),
        _("申请金额（元）"),
        _("专家评分（平均）"),
        _("评审人数"),
        _("状态"),
        _("立项金额（元）"),
        _("已支出（元）"),
        _("综合评分"),
    ]
    rows = []
    for rank, r in enumerate(selectors.round_results(call=call), start=1):
        p: Project = r["project"]
        rows.append(
            [
                rank,
                p.title,
                p.organization.name,
                p.organization.grade or "",
                p.region.name,
                _yuan(p.requested_fen),
                round(r["avg"], 2) if r["avg"] is not None else None,
                r["reviews"],
                p.get_status_display(),
                _yuan(p.approved_fen),
                _yuan(p.spent_fen),
                p.final_score,
            ]
        )
    return _workbook(_("评审结果"), header, rows)


def _response(content: bytes, filename: str) -> FileResponse:
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


def ledger_response(project: Project) -> FileResponse:
    return _response(ledger_bytes(project), f"project-{project.pk}-ledger.xlsx")


def results_response(call: Call) -> FileResponse:
    return _response(results_bytes(call), f"call-{call.pk}-results.xlsx")
