"""The spreadsheet adapter (kind "volunteers"): clean() per row, write() in bulk, export masked."""

from datetime import date

import pytest
from django.test import Client

from wushe.audit.models import AuditEvent
from wushe.core.identifiers import parse_id_number
from wushe.core.personal import unseal
from wushe.imports.adapters import CleanRow, ImportContext, RowInvalid, adapter_for
from wushe.privacy.models import Consent
from wushe.taxonomy.models import Term
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI
from wushe.volunteers import services
from wushe.volunteers.imports import VolunteerAdapter
from wushe.volunteers.models import TeamMembership, Volunteer

from .helpers import id_number, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(role_users):
    return ImportContext(
        user=role_users["township"], today=date(2026, 6, 1), scope_prefixes=["330481001"]
    )


@pytest.fixture
def adapter(ctx):
    adapter = adapter_for("volunteers")
    assert isinstance(adapter, VolunteerAdapter) and adapter.entity == "volunteer"
    adapter.prepare(ctx)
    return adapter


def row(**extra):
    """A row as the engine hands it over (cells already converted by kind)."""
    data = {
        "name": "钱多多",
        "id_number": parse_id_number(id_number(sequence=20)),
        "phone": "+8613900001111",
        "region": NANGUANXIANG,
        "skills": list(Term.objects.filter(vocabulary="skill", code__in=["medical", "legal"])),
        "availability": ["周一上午", "周六全天"],
        "number": None,
        "registered_on": date(2024, 1, 5),
        "consent": True,
        "guardian_name": None,
        "guardian_relation": None,
        "team": None,
        "political_status": "cpc_member",
        "longitude": None,
        "latitude": None,
        "coord_source": None,
    }
    data.update(extra)
    return data


def rules_of(exc):
    return {(field, rule) for field, rule, _message in exc.value.errors}


def test_headers_are_chinese_and_required_ones_marked():
    headers = {c.header: c.required for c in VolunteerAdapter.columns}
    for header in ("姓名", "身份证号", "所属社区", "是否已签署知情同意"):
        assert headers[header] is True
    for header in (
        "手机号码",
        "技能特长",
        "可服务时间",
        "志愿者编号",
        "注册日期",
        "所属队伍",
        "经度",
        "纬度",
        "坐标系",
    ):
        assert headers[header] is False


def test_clean_returns_only_sealed_personal_data(adapter, ctx):
    data = adapter.clean(row(), ctx)
    assert id_number(sequence=20) not in str(data) and "13900001111" not in str(data)
    assert data["availability"] == 1 | (0b111 << 15)
    assert data["birth_date"] == date(1990, 3, 7)
    assert adapter.key(data, ctx).startswith("330481:")


def test_consent_must_be_yes(adapter, ctx):
    with pytest.raises(RowInvalid) as info:
        adapter.clean(row(consent=False), ctx)
    assert ("consent", "volunteer.consent_required") in rules_of(info)
    assert "知情同意" in str(info.value)


def test_bad_rows_name_field_and_rule(adapter, ctx):
    with pytest.raises(RowInvalid) as info:
        adapter.clean(
            row(
                region=XIASHI,
                availability=["周八上午"],
                registered_on=date(2027, 1, 1),
                latitude="30.5",
                coord_source="北斗",
                team="不存在的队",
                number="编号!",
            ),
            ctx,
        )
    assert rules_of(info) == {
        ("region", "not_community"),
        ("availability", "format"),
        ("registered_on", "future"),
        ("latitude", "incomplete"),
        ("coord_source", "choice"),
        ("team", "unknown"),
        ("number", "format"),
    }
    messages = " ".join(str(m) for _f, _r, m in info.value.errors)
    assert "周八上午" in messages and "周六全天" in messages


def test_children_need_guardian_columns(adapter, ctx):
    child = parse_id_number(id_number("20180101", 11))
    with pytest.raises(RowInvalid) as info:
        adapter.clean(row(id_number=child), ctx)
    assert ("guardian_name", "required") in rules_of(info)
    data = adapter.clean(row(id_number=child, guardian_name="钱父", guardian_relation="父亲"), ctx)
    assert data["guardian_relation"] == "父亲"


def test_coordinates_in_baidu_are_converted(adapter, ctx):
    data = adapter.clean(row(longitude="120.6997", latitude="30.5175", coord_source="百度"), ctx)
    assert data["coord_source"] == "bd09"
    assert float(data["longitude"]) < 120.6997 and float(data["latitude"]) < 30.5175


def test_write_creates_with_consents_numbers_team_and_one_audit_event(adapter, ctx, role_users):
    team = services.team_create(name="硖石街道志愿服务队", region_code=XIASHI, actor=None)
    adapter.prepare(ctx)
    rows = [
        CleanRow(2, adapter.clean(row(team="硖石街道志愿服务队"), ctx)),
        CleanRow(
            3,
            adapter.clean(
                row(
                    name="孙二",
                    id_number=parse_id_number(id_number(sequence=22)),
                    number="HN-0001",
                    region=DONGSHAN,
                    skills=[],
                ),
                ctx,
            ),
        ),
    ]
    before = AuditEvent.objects.count()
    assert adapter.write(rows, ctx) == (2, 0)
    first = Volunteer.objects.get(name="钱多多")
    assert first.number == "3304812024000001" and unseal(first, "id_number") == id_number(
        sequence=20
    )
    assert unseal(first, "phone") == "+8613900001111"
    assert sorted(t.code for t in first.skills.all()) == ["legal", "medical"]
    assert Volunteer.objects.get(name="孙二").number == "HN-0001"
    assert Consent.objects.filter(purpose="volunteer_record").count() == 2
    assert TeamMembership.objects.get(team=team).volunteer == first
    events = AuditEvent.objects.order_by("id")[before:]
    assert [e.action for e in events] == ["volunteers.volunteer.bulk_written"]
    assert events[0].changes["created"] == 2


def test_existing_rows_update_and_blank_cells_keep_values(adapter, ctx):
    v = register(sequence=20, skills=["digital"], availability=5)
    data = adapter.clean(row(phone=None, skills=[], availability=None, name="钱多多"), ctx)
    key = adapter.key(data, ctx)
    assert adapter.existing([key], ctx) == {key: v.pk}
    assert adapter.write([CleanRow(2, data, existing_pk=v.pk)], ctx) == (0, 1)
    v.refresh_from_db()
    assert v.name == "钱多多" and v.phone_masked == "138****5678" and v.availability == 5
    assert [t.code for t in v.skills.all()] == ["digital"]
    assert Consent.objects.filter(subject_id=v.pk).count() == 1  # no second consent


def test_existing_outside_scope_is_reported_as_elsewhere(adapter, role_users):
    narrow = ImportContext(
        user=role_users["community_b"], today=date(2026, 6, 1), scope_prefixes=["330481001003"]
    )
    register(sequence=20)  # in 南关厢
    data = adapter.clean(row(region=DONGSHAN), narrow)
    key = adapter.key(data, narrow)
    assert adapter.existing([key], narrow) == {key: None}


def test_export_is_scoped_and_masked(adapter, role_users):
    register(
        sequence=20,
        skills=["medical"],
        availability=1,
        latitude="30.511234",
        longitude="120.688765",
    )
    register(sequence=22, region=DONGSHAN, name="东山人")
    narrow = ImportContext(
        user=role_users["community_a"], today=date(2026, 6, 1), scope_prefixes=["330481001007"]
    )
    rows = [adapter.export_row(v) for v in adapter.export_queryset(narrow)]
    assert len(rows) == 1
    cells = dict(zip([c.header for c in VolunteerAdapter.columns], rows[0], strict=True))
    assert cells["身份证号"].startswith("3304") and "*" in cells["身份证号"]
    assert cells["手机号码"] == "138****5678"
    assert cells["所属社区"] == NANGUANXIANG and cells["技能特长"] == "医疗护理"
    assert cells["可服务时间"] == "周一上午" and cells["是否已签署知情同意"] == "是"
    assert (cells["纬度"], cells["经度"], cells["坐标系"]) == ("30.511", "120.689", "WGS-84")
    assert id_number(sequence=20) not in str(rows)


def test_export_applies_the_list_filters(adapter, role_users):
    register(sequence=20, skills=["medical"])
    register(sequence=22, region=DONGSHAN, name="东山人", skills=["legal"])
    ctx = ImportContext(
        user=role_users["township"],
        today=date(2026, 6, 1),
        scope_prefixes=["330481001"],
        filters={"skill": "legal", "page": "3", "day": "x"},
    )
    assert [v.name for v in adapter.export_queryset(ctx)] == ["东山人"]
    ctx.filters = {"id_number": "not-a-number"}
    assert list(adapter.export_queryset(ctx)) == []


def test_export_through_the_engine_is_masked_xlsx(role_users):
    from io import BytesIO

    from openpyxl import load_workbook

    from wushe.testing import PASSWORD

    register(sequence=20, skills=["medical"])
    client = Client()
    client.post("/accounts/login/", {"username": "u_township", "password": PASSWORD})
    response = client.get("/imports/export/volunteers/?skill=medical")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "身份证号" in text and "钱多多" not in text and "李志愿" in text
    assert id_number(sequence=20) not in text and "138****5678" in text


def test_a_real_csv_through_the_engine_preview_then_commit(role_users):
    """End to end with the import engine: Chinese headers, a consent "否", a bad time text,
    a lower-case x; preview names the rows, commit writes the valid ones with consents."""
    from wushe.imports.services import import_commit, import_upload

    good = id_number(sequence=30)
    lower_x = next(
        n for n in (id_number("19950101", seq) for seq in range(1, 999)) if n.endswith("X")
    ).lower()
    csv_text = "\n".join(
        [
            "姓名,身份证号,手机号码,所属社区,技能特长,可服务时间,是否已签署知情同意,坐标系,经度,纬度",
            f"周一,{good},13800001111,南关厢社区,医疗护理,周一上午、周六全天,是,高德,120.69,30.51",
            f"周二,{lower_x},,{NANGUANXIANG},,,是,,,",
            f"周三,{id_number(sequence=32)},,{NANGUANXIANG},,周八上午,是,,,",
            f"周四,{id_number(sequence=34)},,{NANGUANXIANG},法律咨询,工作日晚上,否,,,",
        ]
    )
    job = import_upload(
        kind="volunteers",
        file_name="志愿者.csv",
        data=csv_text.encode("utf-8-sig"),
        actor=role_users["community_a"],
    )
    assert job.status == "previewed", (job.error_code, job.error_message)
    assert (job.rows_valid, job.rows_invalid, job.rows_to_create) == (2, 2, 2)
    codes = {(i.row_number, i.code) for i in job.issues.all()}
    assert codes == {(4, "volunteer.availability.format"), (5, "volunteer.consent_required")}
    assert not Volunteer.objects.exists()
    job = import_commit(job=job, actor=role_users["community_a"])
    assert job.status == "committed" and job.rows_created == 2
    assert unseal(Volunteer.objects.get(name="周二"), "id_number") == lower_x.upper()
    v = Volunteer.objects.get(name="周一")
    assert (
        v.name == "周一"
        and v.coord_source == "gcj02"
        and v.availability_text == ("周一上午、周六全天")
    )
    assert Consent.objects.filter(subject_id=v.pk, purpose="volunteer_record").exists()
