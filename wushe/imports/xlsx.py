"""Writing .xlsx files: import templates, exports and error reports (openpyxl, write-only for
the ones that can be big).

Exports are protected against formula injection (CSV/Excel injection, OWASP): every text cell
goes through `wushe.core.uploads.neutralise_formula` (leading `'` before `=`, `+`, `-`, `@`, tab,
CR, LF and their full-width forms), so a spreadsheet program shows it as text instead of running
it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from wushe.core.uploads import neutralise_formula

from .adapters import Column, ImportAdapter, Kind
from .cells import kinds_help

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_KINDS = frozenset({Kind.ID_NUMBER, Kind.PHONE, Kind.CREDIT_CODE, Kind.REGION})

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

_THIN = Side(style="thin", color="B8BEC7")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(bold=True, color="1F2328")
_REQUIRED_FONT = Font(bold=True, color="B3261E")
_HEADER_FILL = PatternFill("solid", fgColor="F0F2F5")
_REQUIRED_FILL = PatternFill("solid", fgColor="FDECEA")
_EXAMPLE_FONT = Font(italic=True, color="6B7280")
_WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
_TOP = Alignment(wrap_text=True, vertical="top")


def safe_text(value: str) -> str:
    """Text for a cell: no control characters openpyxl refuses, formulas neutralised."""
    return neutralise_formula(value)


def sheet_title(label: Any) -> str:
    return _SHEET_NAME_BAD.sub("", str(label))[:31] or "Sheet1"


def template_header(column: Column) -> str:
    return f"*{column.header}" if column.required else column.header


def _width(*texts: str) -> float:
    """Column width in Excel units: CJK characters count double."""
    widest = 0
    for text in texts:
        width = sum(2 if ord(char) > 0x2E80 else 1 for char in text)
        widest = max(widest, width)
    return min(max(widest + 4, 10), 60)


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _help_text(column: Column) -> str:
    own = str(column.help) if column.help else ""
    generic = kinds_help(column)
    return "；".join(part for part in (own, generic) if part)


def build_template(adapter: ImportAdapter, *, max_rows: int, max_mib: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(adapter.label)
    columns = adapter.columns
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        cell = sheet.cell(row=1, column=position, value=template_header(column))
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.alignment = _WRAP
        cell.border = _BORDER
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(template_header(column), column.example)
        example = sheet.cell(row=2, column=position, value=column.example or None)
        example.font = _EXAMPLE_FONT
        if column.kind in TEXT_KINDS:
            # Column style for the cells people will type, and the example cell itself: Excel
            # then keeps all 18 digits of an ID number instead of turning it into 3.30481E+17.
            dimension.number_format = TEXT_FORMAT
            example.number_format = TEXT_FORMAT
        elif column.kind == Kind.DATE:
            example.number_format = TEXT_FORMAT
        options: list[str] = []
        if column.kind == Kind.CHOICE:
            options = [str(label) for _value, label in column.choices]
        elif column.kind == Kind.BOOL:
            options = [_("是"), _("否")]
        if options and len(",".join(options)) < 250 and not any("," in o for o in options):
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(options) + '"',
                allow_blank=True,
                showErrorMessage=False,
            )
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{max_rows + 1}")
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(_("填写说明"))
    lines = [
        _("填写说明"),
        _("1. 第一行是表头，请不要修改列名；带 * 的列必须填写。"),
        _("2. 第二行（灰色斜体）是示例，导入时会自动忽略，可以保留也可以删除。"),
        _("3. 身份证号、手机号码等列已设为“文本”格式，请直接填写完整号码，不要改成数值格式。"),
        _("4. 日期可以写成 2024-01-05、2024/1/5 或 2024年1月5日。"),
        _("5. 一个文件最多 %(rows)d 行、不超过 %(mib)d MB；支持 .xlsx 和 CSV（UTF-8 或 GBK）。")
        % {"rows": max_rows, "mib": max_mib},
        "",
    ]
    for line in lines:
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=14)
    table_start = len(lines) + 1
    notes.append([_("列名"), _("是否必填"), _("填写说明"), _("示例")])
    for cell in notes[table_start]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    for column in columns:
        notes.append(
            [
                column.header,
                _("必填") if column.required else _("选填"),
                _help_text(column),
                column.example,
            ]
        )
        for cell in notes[notes.max_row]:
            cell.alignment = _TOP
            cell.border = _BORDER
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 70
    notes.column_dimensions["D"].width = 24
    return _to_bytes(workbook)


def export_cell(value: Any) -> Any:
    """A value from `export_row` as a cell value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, int | float | Decimal | datetime | date):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return safe_text("、".join(str(item) for item in value if item is not None))
    return safe_text(str(value))


def build_export(adapter: ImportAdapter, rows: Iterable[Sequence[Any]]) -> tuple[bytes, int]:
    """(xlsx bytes, number of records); write-only so big exports stay small in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(adapter.label))
    columns = adapter.columns
    for position, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = _width(
            template_header(column), column.example
        )
    sheet.freeze_panes = "A2"
    header: list[WriteOnlyCell] = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=template_header(column))
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.border = _BORDER
        header.append(cell)
    sheet.append(header)
    date_kinds = [column.kind == Kind.DATE for column in columns]
    count = 0
    for record in rows:
        cells: list[Any] = []
        for position, value in enumerate(record):
            converted = export_cell(value)
            if (
                position < len(date_kinds)
                and date_kinds[position]
                and isinstance(converted, date | datetime)
            ):
                cell = WriteOnlyCell(sheet, value=converted)
                cell.number_format = DATE_FORMAT
                cells.append(cell)
            else:
                cells.append(converted)
        sheet.append(cells)
        count += 1
    return _to_bytes(workbook), count


def build_error_report(
    issues: Iterable[tuple[int, str, str, str, str]], *, title: str, omitted: int
) -> bytes:
    """Issues as rows (行号, 列, 错误代码, 说明, 原值(已脱敏))."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(_("错误报告")))
    for letter, width in zip("ABCDE", (8, 18, 34, 70, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    title_cell = WriteOnlyCell(sheet, value=safe_text(title))
    title_cell.font = Font(bold=True)
    sheet.append([title_cell])
    header = []
    for text in (_("行号"), _("列"), _("错误代码"), _("说明"), _("原值(已脱敏)")):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        header.append(cell)
    sheet.append(header)
    for row_number, header_text, code, message, value in issues:
        sheet.append(
            [
                row_number or None,
                safe_text(header_text),
                safe_text(code),
                safe_text(message),
                safe_text(value),
            ]
        )
    if omitted:
        sheet.append(
            [
                None,
                None,
                None,
                _("另有 %(n)d 个问题未列出，请先修正以上问题后重新导入。") % {"n": omitted},
            ]
        )
    return _to_bytes(workbook)
