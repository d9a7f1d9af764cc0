"""The residents spreadsheet adapter: clean() per row, write() in bulk, existing() by hash,
export masked; and one file through the real engine."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from wushe.audit.models import AuditEvent
from wushe.core.identifiers import parse_id_number
from wushe.imports import engine
from wushe.imports.adapters import CleanRow, RowInvalid, adapter_for
from wushe.imports.services import import_context
from wushe.residents import services
from wushe.residents.imports import ResidentAdapter
from wushe.residents.models import Household, Resident, ResidentTag
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI

from .conftest import make_id, make_resident

pytestmark = pytest.mark.django_db

ID_1 = make_id("19500101", 11)
ID_2 = make_id("19520202", 22)
ID_3 = make_id("20150303", 13)


@pytest.fixture
def adapter() -> ResidentAdapter:
    found = adapter_for("residents")
    assert isinstance(found, ResidentAdapter)
    return found


@pytest.fixture
def ctx(role_users):
    return import_context(user=role_users["community_a"])


def row(**values):
    """A row as the engine hands it to clean(): converted values, None for empty cells."""
    base = dict.fromkeys(c.field for c in ResidentAdapter.columns)
    base.update(name="张秀英", id_number=parse_id_number(ID_1), region=NANGUANXIANG)
    base.update(values)
    return base


def clean_rows(adapter, ctx, *rows, existing=None):
    out = []
    for number, values in enumerate(rows, start=2):
        data = adapter.clean(values, ctx)
        pk = (existing or {}).get(data["id_number_hash"])
        out.append(CleanRow(row_number=number, data=data, existing_pk=pk))
    return out


def test_headers_and_aliases(adapter):
    headers = {c.field: c for c in adapter.columns}
    assert headers["name"].header == "姓名" and headers["name"].required
    assert headers["id_number"].header == "身份证号" and headers["id_number"].required
    assert {"公民身份号码", "证件号码", "身份证号码"} <= set(headers["id_number"].aliases)
    assert {"联系电话", "手机"} <= set(headers["phone"].aliases)
    assert headers["region"].header == "所属社区" and headers["region"].required
    assert headers["id_number"].example == "330481195603120028"
    parse_id_number(headers["id_number"].example)  # the template's example is valid


def test_clean_returns_sealed_values_only(adapter, ctx):
    data = adapter.clean(
        row(phone="+8613912345678", tags=["低保", "独居老人"], tag_start=date(2024, 1, 5)),
        ctx,
    )
    dump = json.dumps(data, ensure_ascii=False)
    assert ID_1 not in dump and "13912345678" not in dump
    assert data["id_number_masked"].endswith(ID_1[-4:])
    assert data["tags"] == ["dibao", "alone_elder"]
    assert data["birth_date"] == "1950-01-01" and data["sex"] == "male"
    assert data["tag_start"] == "2024-01-05"


def test_clean_errors_name_field_and_rule(adapter, ctx):
    with pytest.raises(RowInvalid) as info:
        adapter.clean(row(tags=["低保", "贫困户"], region=XIASHI), ctx)
    rules = {(field, rule) for field, rule, _m in info.value.errors}
    assert rules == {("tags", "unknown"), ("region", "not_community")}
    message = next(m for f, _r, m in info.value.errors if f == "tags")
    assert "贫困户" in str(message)


def test_clean_disability_rules(adapter, ctx):
    with pytest.raises(RowInvalid) as info:
        adapter.clean(row(tags=["残疾人"]), ctx)
    assert {(f, r) for f, r, _m in info.value.errors} == {
        ("disability_category", "required"),
        ("disability_grade", "required"),
    }
    with pytest.raises(RowInvalid) as info:
        adapter.clean(row(disability_category="physical"), ctx)
    assert info.value.errors[0][:2] == ("disability_category", "not_allowed")
    data = adapter.clean(
        row(tags=["残疾"], disability_category="physical", disability_grade="2"), ctx
    )
    assert data["tags"] == ["disabled"] and data["disability_grade"] == "2"


def test_write_creates_residents_households_tags_and_one_audit_event(adapter, ctx):
    rows = clean_rows(
        adapter,
        ctx,
        row(
            household_number="H1",
            relation_to_head="head",
            address="南关厢 1 号",
            tags=["独居老人", "低保"],
            tag_source="civil_affairs",
        ),
        row(
            name="王伟",
            id_number=parse_id_number(ID_2),
            household_number="H1",
            relation_to_head="spouse",
            phone="+8613800001111",
        ),
        row(
            name="小明",
            id_number=parse_id_number(ID_3),
            tags=["留守儿童"],
        ),
    )
    before = AuditEvent.objects.count()
    assert adapter.write(rows, ctx) == (3, 0)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "residents.resident.imported"
    assert event.changes == {
        "created": 3,
        "updated": 0,
        "tags_added": 3,
        "households_created": 1,
    }
    assert event.region_code == NANGUANXIANG
    household = Household.objects.get()
    head = Resident.objects.get(name="张秀英")
    assert household.head_id == head.pk and household.address == "南关厢 1 号"
    assert Resident.objects.get(name="王伟").household_id == household.pk
    assert sorted(head.tags.values_list("tag", flat=True)) == ["alone_elder", "dibao"]
    assert head.tags.first().source == "civil_affairs"
    assert ResidentTag.objects.filter(region_id=NANGUANXIANG).count() == 3


def test_existing_in_scope_updates_and_adds_only_new_tags(adapter, ctx, admin):
    resident = make_resident(admin, id_number=ID_1, address="旧地址", phone="13912345678")
    services.resident_tag_add(
        resident=resident, tag="alone_elder", start_date=date(2023, 1, 1), actor=admin
    )
    data = adapter.clean(row(address="新地址", tags=["独居老人", "失能老人"]), ctx)
    found = adapter.existing([data["id_number_hash"]], ctx)
    assert found == {data["id_number_hash"]: resident.pk}
    rows = [CleanRow(row_number=2, data=data, existing_pk=resident.pk)]
    assert adapter.write(rows, ctx) == (0, 1)
    resident.refresh_from_db()
    assert resident.address == "新地址"
    assert resident.phone_masked == "139****5678"  # empty cell keeps the value
    assert sorted(resident.tags.values_list("tag", flat=True)) == [
        "alone_elder",
        "incapacitated_elder",
    ]


def test_existing_outside_scope_is_reported_as_elsewhere(adapter, ctx, admin, role_users):
    resident = make_resident(admin, region=DONGSHAN, id_number=ID_1)
    data = adapter.clean(row(), ctx)
    digest = data["id_number_hash"]
    assert adapter.existing([digest], ctx) == {digest: None}
    township = import_context(user=role_users["township"])
    assert adapter.existing([digest], township) == {digest: resident.pk}
    assert (
        adapter.existing(
            [adapter.clean(row(id_number=parse_id_number(ID_2)), ctx)["id_number_hash"]], ctx
        )
        == {}
    )


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_a_messy_file_through_the_engine(adapter, role_users, admin):
    make_resident(admin, region=DONGSHAN, id_number=ID_2, name="东山的人")
    data = _csv(
        [
            ["居民花名册"],
            [
                "姓名",
                "公民身份号码",
                "联系电话",
                "所属社区",
                "困难群体标签",
                "标签开始日期",
                "户号",
            ],
            [
                "张秀英",
                ID_1[:-1] + ID_1[-1].lower(),
                "139 1234 5678",
                "南关厢社区",
                "独居老人、低保",
                "2024/1/5",
                "H1",
            ],
            ["王伟", ID_2, "", "330481001007", "", "", ""],
            ["李四", "3.30481E+17", "", "330481001007", "", "", ""],
            ["赵五", ID_3, "", "330481001007", "扶贫户", "", ""],
            ["", "", "", "", "", "", ""],
            ["张秀英", ID_1, "", "330481001007", "", "", ""],
        ]
    )
    ctx = import_context(user=role_users["community_a"])
    preview = engine.run(data, adapter, ctx, filename="居民.csv")
    codes = sorted(issue.code for issue in preview.issues)
    assert codes == [
        "resident.duplicate_elsewhere",
        "resident.duplicate_in_file",
        "resident.id_number.excel_number",
        "resident.tags.unknown",
    ]
    assert preview.rows_valid == 1 and preview.to_create == 1
    assert not Resident.objects.filter(name="张秀英").exists()
    committed = engine.run(data, adapter, ctx, filename="居民.csv", write=True)
    assert committed.created == 1
    resident = Resident.objects.get(name="张秀英")
    assert resident.phone_masked == "139****5678"
    assert sorted(resident.tags.values_list("tag", "start_date")) == [
        ("alone_elder", date(2024, 1, 5)),
        ("dibao", date(2024, 1, 5)),
    ]
    assert all(ID_1 not in issue.value for issue in committed.issues)


def test_export_is_scoped_masked_and_hides_sensitive_tags(adapter, role_users, people):
    def export(role, **filters):
        ctx = import_context(user=role_users[role], filters=filters, reading=True)
        return [adapter.export_row(obj) for obj in adapter.export_queryset(ctx)]

    worker = export("community_a")
    assert len(worker) == 1
    name, id_masked, phone_masked, region, *_rest = worker[0]
    assert name == "张秀英" and "*" in id_masked and phone_masked == "139****5678"
    assert region == "南关厢社区"
    assert worker[0][10] == "低保对象、独居老人"
    audited = export("auditor")
    assert len(audited) == 2
    tags = {row[0]: row[10] for row in audited}
    assert tags["张秀英"] == "独居老人、敏感标签（已隐藏）"
    assert len(export("township", region="330481001003")) == 1
    assert [r[0] for r in export("township", tag="dibao")] == ["张秀英"]
    assert export("auditor", tag="dibao") == []
    dump = json.dumps(audited + worker, ensure_ascii=False, default=str)
    assert make_id("19560312", 2) not in dump and "13912345678" not in dump
