"""The social workers spreadsheet adapter: clean() per row, write() in bulk with one audit
event, existing() by hash, export masked; and one messy file through the real engine."""

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
from wushe.organizations.models import Organization
from wushe.socialworkers.imports import SocialWorkerAdapter
from wushe.socialworkers.models import SocialWorker
from wushe.testing import HAIZHOU, NANGUANXIANG, XIASHI

from .conftest import id_number

pytestmark = pytest.mark.django_db

ID_A = id_number(101, "19880214")
ID_B = id_number(102, "19920630")


@pytest.fixture
def adapter() -> SocialWorkerAdapter:
    found = adapter_for("social_workers")
    assert isinstance(found, SocialWorkerAdapter)
    return found


def ctx_of(user, **kwargs):
    return import_context(user=user, **kwargs)


def row(**values):
    """A row as the engine hands it to clean(): converted values, None for empty cells."""
    base = dict.fromkeys(c.field for c in SocialWorkerAdapter.columns)
    base.update(
        name="王晓燕",
        id_number=parse_id_number(ID_A),
        certificate_level="社会工作师",
        certificate_number="ZS2019330481001",
        certificate_date=date(2019, 10, 26),
        region=XIASHI,
    )
    base.update(values)
    return base


def prepared(adapter, user):
    ctx = ctx_of(user)
    adapter.prepare(ctx)
    return ctx


def test_headers_and_example(adapter):
    columns = {c.field: c for c in adapter.columns}
    assert [c.header for c in adapter.columns] == [
        "姓名",
        "身份证号",
        "手机号码",
        "证书等级",
        "证书编号",
        "取得证书日期",
        "登记日期",
        "所在单位",
        "所属社工站",
        "所属区划",
        "是否驻站",
        "是否社区专职工作者",
    ]
    required = {c.header for c in adapter.columns if c.required}
    assert {"姓名", "身份证号", "证书等级", "证书编号", "所属区划"} <= required
    parse_id_number(columns["id_number"].example)  # the template's example is valid
    assert adapter.kind == "social_workers" and adapter.entity == "social_worker"


def test_clean_seals_resolves_and_stays_json_safe(adapter, role_users, stations):
    org = Organization.objects.create(name="海宁市硖石街道善行社会工作服务中心", region_id=XIASHI)
    ctx = prepared(adapter, role_users["township"])
    data = adapter.clean(
        row(
            phone="+8613912345678",
            certificate_level="中级",
            certificate_number="zs 2019 330481 001",
            registered_on=date(2020, 3, 15),
            employer="海宁市硖石街道善行社会工作服务中心",
            station="硖石街道社会工作服务站",
            resident_at_station=True,
            is_community_worker=False,
        ),
        ctx,
    )
    dump = json.dumps(data, ensure_ascii=False)
    assert ID_A not in dump and "13912345678" not in dump
    assert data["certificate_level"] == "intermediate"
    assert data["certificate_number"] == "ZS2019330481001"
    assert data["employer_id"] == org.pk and data["station_id"] == stations["xiashi"].pk
    assert data["certificate_date"] == "2019-10-26"
    assert adapter.key(data, ctx) == data["id_number_hash"] != ""


def test_a_community_worker_may_name_the_township_station(adapter, role_users, stations):
    ctx = prepared(adapter, role_users["community_a"])
    data = adapter.clean(
        row(region=NANGUANXIANG, station="硖石街道社会工作服务站", resident_at_station=True), ctx
    )
    assert data["station_id"] == stations["xiashi"].pk
    with pytest.raises(RowInvalid) as info:
        adapter.clean(row(region=NANGUANXIANG, station="海洲街道社会工作服务站"), ctx)
    assert info.value.errors[0][:2] == ("station", "not_found")


def test_clean_errors_name_field_and_rule(adapter, role_users, workers):
    ctx = prepared(adapter, role_users["township"])
    with pytest.raises(RowInvalid) as info:
        adapter.clean(
            row(
                region="330481001000",
                phone="12345",
                certificate_level="特级",
                certificate_number="ZS20190001",  # used by 王晓燕 (make_worker serial 1)
                registered_on=date(2019, 1, 1),
                employer="不存在的机构",
                resident_at_station=True,
            ),
            ctx,
        )
    rules = {(field, rule) for field, rule, _message in info.value.errors}
    assert rules == {
        ("phone", "format"),
        ("certificate_level", "invalid"),
        ("certificate_number", "duplicate"),
        ("registered_on", "before_certificate"),
        ("employer", "not_found"),
        ("resident_at_station", "no_station"),
    }
    assert all(str(message) for _f, _r, message in info.value.errors)


def test_two_people_with_one_certificate_number_in_a_file(adapter, role_users, regions):
    ctx = prepared(adapter, role_users["township"])
    adapter.clean(row(), ctx)
    with pytest.raises(RowInvalid) as info:
        adapter.clean(row(id_number=parse_id_number(ID_B), name="另一人"), ctx)
    assert info.value.errors[0][:2] == ("certificate_number", "duplicate")


def test_write_creates_in_bulk_with_one_audit_event(adapter, role_users, stations):
    ctx = prepared(adapter, role_users["township"])
    rows = [
        CleanRow(
            row_number=3,
            data=adapter.clean(
                row(
                    registered_on=date(2020, 3, 15),
                    station="硖石街道社会工作服务站",
                    resident_at_station=True,
                ),
                ctx,
            ),
        ),
        CleanRow(
            row_number=4,
            data=adapter.clean(
                row(
                    name="李丽娟",
                    id_number=parse_id_number(ID_B),
                    certificate_number="ZS2021330481002",
                    certificate_level="助理社工师",
                    certificate_date=date(2021, 6, 1),
                    region=NANGUANXIANG,
                    is_community_worker=True,
                ),
                ctx,
            ),
        ),
    ]
    before = AuditEvent.objects.count()
    assert adapter.write(rows, ctx) == (2, 0)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="socialworkers.social_worker.imported")
    assert event.changes == {"created": 2, "updated": 0}
    assert event.region_code == XIASHI  # the narrowest region holding both rows
    first = SocialWorker.objects.get(name="王晓燕")
    assert first.registration_due_on == date(2023, 3, 15) and first.resident_at_station
    second = SocialWorker.objects.get(name="李丽娟")
    assert second.certificate_level == "assistant" and second.is_community_worker
    assert second.registration_due_on == date(2022, 6, 1)  # first registration deadline
    assert second.county_code == "330481" and second.id_number_masked.endswith(ID_B[-4:])


def test_existing_in_scope_updates_and_elsewhere_is_reported(adapter, role_users, workers):
    township = prepared(adapter, role_users["township"])
    ngx = workers["ngx"]
    found = adapter.existing([ngx.id_number_hash, workers["haizhou"].id_number_hash], township)
    assert found == {ngx.id_number_hash: ngx.pk, workers["haizhou"].id_number_hash: None}
    data = adapter.clean(
        row(
            name="李丽娟",
            id_number=parse_id_number(id_number(2)),
            certificate_number="ZS20190002",
            certificate_level="高级",
            region=NANGUANXIANG,
            registered_on=date(2020, 3, 15),
        ),
        township,
    )
    assert adapter.write([CleanRow(row_number=2, data=data, existing_pk=ngx.pk)], township) == (
        0,
        1,
    )
    ngx.refresh_from_db()
    assert ngx.certificate_level == "senior"
    assert ngx.phone_masked == "138****0002"  # empty cell: kept
    assert ngx.is_community_worker  # empty cell: kept


def test_a_messy_csv_through_the_engine(adapter, role_users, stations, workers):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(
        [
            ["社会工作者花名册（硖石街道）"],
            [
                "姓名",
                "公民身份号码",
                "联系电话",
                "证书等级",
                "证书编号",
                "发证日期",
                "登记日期",
                "所属社工站",
                "所属区划",
                "是否驻站",
            ],
            [
                "周佳怡",
                ID_A[:-1] + ID_A[-1].lower(),
                "139 1234 5678",
                "助理社会工作师",
                "ZS2022001",
                "2022年10月20日",
                "2023/1/5",
                "硖石街道社会工作服务站",
                "硖石街道",
                "是",
            ],
            [
                "错号",
                "3.30481E+17",
                "",
                "社会工作师",
                "ZS2022002",
                "2022-10-20",
                "",
                "",
                "330481001000",
                "",
            ],
            [
                "海洲的人",
                id_number(3),
                "",
                "社会工作师",
                "ZS2022003",
                "2022-10-20",
                "",
                "",
                "330481001000",
                "",
            ],
            ["", "", "", "", "", "", "", "", "", ""],
            [
                "周佳怡",
                ID_A,
                "",
                "助理社会工作师",
                "ZS2022001",
                "2022-10-20",
                "",
                "",
                "330481001000",
                "",
            ],
        ]
    )
    data = buffer.getvalue().encode("utf-8-sig")
    ctx = ctx_of(role_users["township"])
    preview = engine.run(data, adapter, ctx, filename="社工.csv")
    assert sorted(issue.code for issue in preview.issues) == [
        "social_worker.duplicate_elsewhere",
        "social_worker.duplicate_in_file",
        "social_worker.id_number.excel_number",
    ]
    assert preview.rows_valid == 1 and preview.to_create == 1
    assert not SocialWorker.objects.filter(name="周佳怡").exists()
    committed = engine.run(
        data, adapter, ctx_of(role_users["township"]), filename="社工.csv", write=True
    )
    assert committed.created == 1
    worker = SocialWorker.objects.get(name="周佳怡")
    assert worker.certificate_date == date(2022, 10, 20) and worker.registered_on == date(
        2023, 1, 5
    )
    assert worker.phone_masked == "139****5678" and worker.resident_at_station
    assert all(ID_A not in issue.value for issue in committed.issues)


def test_export_is_scoped_and_masked(adapter, role_users, workers):
    def export(role, **filters):
        ctx = import_context(user=role_users[role], filters=filters, reading=True)
        return [adapter.export_row(obj) for obj in adapter.export_queryset(ctx)]

    rows = export("community_a")
    assert len(rows) == 1
    name, id_masked, phone_masked, level, number, *_rest = rows[0]
    assert number == "ZS20190002"
    assert name == "李丽娟" and id_masked == id_number(2)[:4] + "*" * 10 + id_number(2)[-4:]
    assert phone_masked == "138****0002" and level == "助理社会工作师"
    assert rows[0][9] == "南关厢社区" and rows[0][11] == "是"
    assert len(export("auditor")) == 3
    assert {r[0] for r in export("county", region=HAIZHOU)} == {"张海涛"}
    assert export("community_b") == []
    flat = json.dumps([[str(c) for c in r] for r in export("county")], ensure_ascii=False)
    assert id_number(1) not in flat and "13800000001" not in flat


def test_import_permission_is_for_writers(role_users):
    assert role_users["community_a"].has_perm(SocialWorkerAdapter.import_permission)
    assert not role_users["auditor"].has_perm(SocialWorkerAdapter.import_permission)
    assert role_users["auditor"].has_perm(SocialWorkerAdapter.export_permission)
    assert not role_users["resident"].has_perm(SocialWorkerAdapter.export_permission)
