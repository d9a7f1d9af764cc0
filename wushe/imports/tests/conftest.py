"""A small register for the engine's tests: `test_people`. `existing()` reads a dict the tests
fill; `write()` records each row as an audit event (real database rows, so all-or-nothing can
be checked), and a row named 炸弹 makes it fail."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pytest
import rules
from openpyxl import Workbook

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.rules import role_predicate
from wushe.audit.models import AuditEvent
from wushe.audit.services import audit_record
from wushe.core.identifiers import id_number_check_char
from wushe.core.masking import mask_id_number, mask_phone
from wushe.imports import adapters
from wushe.imports.adapters import (
    CleanRow,
    Column,
    ImportAdapter,
    ImportContext,
    Kind,
    RowInvalid,
)
from wushe.taxonomy.models import Term, Vocabulary

KIND = "test_people"

if not rules.perm_exists("imports_test.import_people"):
    rules.add_perm("imports_test.import_people", role_predicate(*sorted(WRITER_ROLES)))
    rules.add_perm("imports_test.export_people", role_predicate(*sorted(WORKER_ROLES)))


def make_id(body: str) -> str:
    """A valid 18-character ID number from its first 17 digits."""
    return body + id_number_check_char(body)


ID_A = make_id("33048119900101123")
ID_B = make_id("33048119851231004")
ID_C = make_id("33048120100615002")
ID_D = make_id("33048119700505101")
ID_E = make_id("33048119800808202")
ID_F = make_id("33048119651111303")


class PeopleAdapter(ImportAdapter):
    kind = KIND
    entity = "person"
    label = "测试人员"
    import_permission = "imports_test.import_people"
    export_permission = "imports_test.export_people"
    updates_existing = True
    columns = (
        Column("name", "姓名", aliases=("名字",), required=True, max_length=20, example="张三"),
        Column(
            "id_number",
            "身份证号",
            aliases=("公民身份号码", "身份证号码"),
            required=True,
            kind=Kind.ID_NUMBER,
            example="330481199001011234",
        ),
        Column("phone", "手机号码", aliases=("联系电话",), kind=Kind.PHONE, example="13812345678"),
        Column("birth", "出生日期", kind=Kind.DATE, example="1990-01-01"),
        Column("joined", "登记日期", kind=Kind.DATE),
        Column("region", "所属社区", required=True, kind=Kind.REGION, example="330481001007"),
        Column("amount", "捐款金额", kind=Kind.MONEY_FEN),
        Column("count", "人数", kind=Kind.INT),
        Column("active", "是否在册", kind=Kind.BOOL),
        Column("sex", "性别", kind=Kind.CHOICE, choices=(("male", "男"), ("female", "女"))),
        Column("tags", "标签", kind=Kind.MULTI),
        Column("skills", "技能", kind=Kind.TERMS, vocabulary=Vocabulary.SKILL),
        Column("credit", "信用代码", kind=Kind.CREDIT_CODE),
    )

    def __init__(self) -> None:
        self.database: dict[str, Any] = {}  # key → pk (None: registered outside the scope)
        self.cleaned: list[dict[str, Any]] = []
        self.write_calls = 0

    def key(self, data: dict[str, Any], ctx: ImportContext) -> str | None:
        return data["id_number"].number

    def existing(self, keys: Sequence[str], ctx: ImportContext) -> dict[str, Any]:
        return {k: self.database[k] for k in keys if k in self.database}

    def clean(self, row: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
        if row["birth"] and row["birth"] != row["id_number"].birth_date:
            raise RowInvalid("birth", "mismatch", "出生日期与身份证号中的出生日期不一致。")
        self.cleaned.append(row)
        return row

    def write(self, rows: Sequence[CleanRow], ctx: ImportContext) -> tuple[int, int]:
        self.write_calls += 1
        created = updated = 0
        for row in rows:
            if row.data["name"] == "炸弹":
                raise RuntimeError("boom")
            audit_record(
                action="test_people.updated" if row.existing_pk else "test_people.created",
                actor=ctx.user,
                region_code=row.data["region"],
                changes={"name": row.data["name"], "id_number": row.data["id_number"].number},
            )
            if row.existing_pk:
                updated += 1
            else:
                created += 1
        return created, updated

    def export_queryset(self, ctx: ImportContext):
        return AuditEvent.objects.filter(action="test_people.created").order_by("at", "id")

    def export_row(self, obj: Any) -> list[Any]:
        changes = obj.changes
        return [
            changes.get("name"),
            mask_id_number(changes.get("id_number", "")),
            mask_phone("+8613812345678"),
            None,
            obj.at,
            obj.region_code,
            None,
            None,
            True,
            "男",
            ["a", "b"],
            [],
            None,
        ]


@pytest.fixture
def people(db):
    adapter = PeopleAdapter()
    previous = adapters._adapters.get(KIND)
    adapters.register(adapter)
    Term.objects.get_or_create(
        vocabulary=Vocabulary.SKILL, code="first-aid", defaults={"name": "急救"}
    )
    Term.objects.get_or_create(
        vocabulary=Vocabulary.SKILL, code="cooking", defaults={"name": "烹饪"}
    )
    yield adapter
    if previous is None:
        adapters._adapters.pop(KIND, None)
    else:
        adapters._adapters[KIND] = previous


HEADER = ["姓名", "身份证号", "手机号码", "出生日期", "所属社区"]


def xlsx_bytes(
    rows: Sequence[Sequence[Any]],
    *,
    merges: Sequence[str] = (),
    text_columns: Sequence[int] = (),
    sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
) -> bytes:
    """A real .xlsx made with openpyxl. `text_columns` (1-based) get the text format '@'."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    for extra_title, extra_rows in sheets:
        extra = workbook.create_sheet(extra_title, 0)
        for row in extra_rows:
            extra.append(list(row))
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    for column in text_columns:
        for (cell,) in sheet.iter_rows(min_col=column, max_col=column):
            cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter=",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def rewrite_sheets(data: bytes, replacements: dict[str, str]) -> bytes:
    """Edit the sheet XML of an .xlsx, to make cells openpyxl cannot write itself: a number
    stored as Excel stores it (`<v>330481199001011000</v>`), a formula with its cached
    result (`<f>1+1</f><v>2</v>`)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = content.decode("utf-8")
                for old, new in replacements.items():
                    assert old in text, old
                    text = text.replace(old, new)
                content = text.encode("utf-8")
            target.writestr(item, content)
    return buffer.getvalue()


def with_shared_strings(data: bytes, extra: Sequence[str] = ()) -> bytes:
    """The same workbook as Excel saves it: text cells in xl/sharedStrings.xml (openpyxl
    writes inline strings). `extra` <si> elements (raw XML) are appended to the table."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    strings: list[str] = []

    def shared(match: re.Match[str]) -> str:
        strings.append(f"<si><t>{match.group(3)}</t></si>")
        return f'<c r="{match.group(1)}"{match.group(2) or ""} t="s"><v>{len(strings) - 1}</v></c>'

    cell = re.compile(r'<c r="([A-Z]+\d+)"( s="\d+")? t="inlineStr"><is><t>(.*?)</t></is></c>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename).decode("utf-8")
            if item.filename.startswith("xl/worksheets/sheet"):
                content = cell.sub(shared, content)
            elif item.filename == "[Content_Types].xml":
                content = content.replace(
                    "</Types>",
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    "</Relationships>",
                    '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/sharedStrings" '
                    'Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(item, content)
        table = "".join([*strings, *extra])
        target.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main">{table}</sst>',
        )
    return buffer.getvalue()
