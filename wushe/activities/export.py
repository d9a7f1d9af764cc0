"""Export of verified service records as .xlsx with the fields of 《志愿服务记录与证明出具办法
（试行）》 (domain.md §4): volunteer name, ID type and number, volunteer number, the service
(activity, content, place, start and end, hours excluding travel), the recording organisation,
who verified it and when. ID numbers are masked (personal data is never exported in full);
text cells are protected against formula injection (`wushe.imports.xlsx.safe_text`).
A correction appears as its own row with negative hours, so the hours sum to the total."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from wushe.imports.xlsx import export_cell, sheet_title

from .models import ServiceRecord


def headers() -> list[str]:
    return [
        _("记录编号"),
        _("志愿者姓名"),
        _("证件类型"),
        _("证件号码"),
        _("志愿者编号"),
        _("服务活动"),
        _("服务内容"),
        _("服务地点（社区）"),
        _("开始时间"),
        _("结束时间"),
        _("服务时长（小时）"),
        _("路途时间（分钟，不计入时长）"),
        _("记录单位"),
        _("认证人"),
        _("认证时间"),
        _("更正的记录编号"),
        _("更正原因"),
    ]


def _local(value: Any) -> Any:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def rows(records: Iterable[ServiceRecord]) -> Iterable[list[Any]]:
    for r in records:
        volunteer = r.volunteer
        organization = r.activity.organization
        verifier = r.verified_by
        yield [
            r.pk,
            volunteer.name,
            _("居民身份证") if volunteer.id_number_masked else "",
            volunteer.id_number_masked,
            volunteer.number,
            r.activity.title,
            r.content,
            r.region.name,
            _local(r.signed_in_at),
            _local(r.signed_out_at),
            (Decimal(r.minutes) / 60).quantize(Decimal("0.01")),
            r.travel_minutes,
            organization.name if organization is not None else r.activity.region.name,
            str(verifier) if verifier else "",
            _local(r.verified_at),
            r.corrects_id,
            r.reason,
        ]


def build(records: QuerySet[ServiceRecord]) -> tuple[bytes, int]:
    """(xlsx bytes, number of rows), write-only so a big export stays small in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(_("志愿服务记录")))
    sheet.freeze_panes = "A2"
    header = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows(records.iterator(chunk_size=2000)):
        cells: list[Any] = []
        for value in row:
            converted = export_cell(value)
            if hasattr(converted, "hour"):
                cell = WriteOnlyCell(sheet, value=converted)
                cell.number_format = "yyyy-mm-dd hh:mm"
                cells.append(cell)
            else:
                cells.append(converted)
        sheet.append(cells)
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count
