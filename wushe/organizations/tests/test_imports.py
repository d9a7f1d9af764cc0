from datetime import date

import pytest

from wushe.audit.models import AuditEvent
from wushe.core.identifiers import parse_credit_code
from wushe.imports.adapters import CleanRow, ImportContext, RowInvalid, adapter_for
from wushe.organizations.models import LegalStatus, Organization, OrganizationContact
from wushe.taxonomy.models import Term
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI

from .conftest import CODE_AGENCY, CODE_ASSOCIATION

pytestmark = pytest.mark.django_db


@pytest.fixture
def adapter():
    found = adapter_for("organizations")
    assert found is not None and found.entity == "organization"
    return found


def ctx_for(user):
    return ImportContext(user=user, today=date(2025, 6, 1))


def term(vocabulary, code):
    return Term.objects.get(vocabulary=vocabulary, code=code)


def row(**values):
    base = dict.fromkeys(("name", "credit_code", "legal_status", "region"))
    base.update(values)
    return base


def run(adapter, ctx, rows):
    """What the engine does: clean, key, existing, write."""
    cleaned = [adapter.clean(r, ctx) for r in rows]
    keys = [adapter.key(c, ctx) for c in cleaned]
    existing = adapter.existing([k for k in keys if k], ctx)
    clean_rows = [
        CleanRow(row_number=i + 2, data=c, existing_pk=existing.get(k))
        for i, (c, k) in enumerate(zip(cleaned, keys, strict=True))
    ]
    return adapter.write(clean_rows, ctx)


def test_clean_and_write_create_then_update(adapter, role_users):
    ctx = ctx_for(role_users["township"])
    rows = [
        row(
            name="南关厢  邻里互助队",
            legal_status="filed",
            filing_number="硖石备2024第001号",
            region="硖石街道",
            coverage=["南关厢社区", DONGSHAN],
            category=[term("org_category", "mutual_aid")],
            service_categories=[term("service_category", "elderly_care")],
            contact_name="周阿姨",
            contact_phone="+8613812345678",
            is_hub=True,
            founded_on=date(2020, 1, 5),
        ),
        row(
            name="海宁市硖石某服务中心",
            credit_code=parse_credit_code(CODE_AGENCY),
            region=XIASHI,
            grade="AAAA",
            grade_awarded_on=date(2024, 3, 1),
            registered_on=date(2018, 1, 1),
        ),
    ]
    assert run(adapter, ctx, rows) == (2, 0)
    filed = Organization.objects.get(name="南关厢 邻里互助队")
    assert (filed.legal_status, filed.is_hub, filed.category.code) == ("filed", True, "mutual_aid")
    assert sorted(filed.coverage.values_list("code", flat=True)) == [DONGSHAN, NANGUANXIANG]
    assert filed.contacts.get().phone_masked == "138****5678"
    agency = Organization.objects.get(credit_code=CODE_AGENCY)
    assert agency.legal_status == LegalStatus.REGISTERED  # a code without a status: registered
    assert agency.org_kind == "service_agency"  # read from the code's second character
    assert (agency.grade, agency.grade_expires_on) == ("4A", date(2029, 2, 28))
    event = AuditEvent.objects.get(action="organizations.organization.imported")
    assert event.changes["created"] == 2 and event.region_code == XIASHI

    # Second file: same organisations, matched by credit code / (region, name), updated.
    rows = [
        row(name="南关厢 邻里互助队", region=XIASHI, address="南关厢 1 号", contact_name="周阿姨"),
        row(name="新名字服务中心", credit_code=parse_credit_code(CODE_AGENCY), region=XIASHI),
    ]
    assert run(adapter, ctx, rows) == (0, 2)
    filed.refresh_from_db()
    agency.refresh_from_db()
    assert filed.address == "南关厢 1 号" and filed.is_hub is True  # empty cells keep values
    assert filed.contacts.get().phone_masked == "138****5678"
    assert agency.name == "新名字服务中心" and agency.grade == "4A"
    assert OrganizationContact.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"legal_status": "registered"}, "credit_code", "required"),
        (
            {"legal_status": "filed", "credit_code": CODE_ASSOCIATION},
            "credit_code",
            "not_for_filed",
        ),
        ({"region": "火星"}, "region", "not_found"),
        ({"coverage": ["不存在社区"]}, "coverage", "not_found"),
        ({"grade": "6A"}, "grade", "invalid"),
        ({"grade": "3A"}, "grade", "not_registered"),
        ({"contact_phone": "+8613812345678"}, "contact_name", "required"),
        ({"founded_on": date(2030, 1, 1)}, "founded_on", "future"),
        ({"region": "330481002000"}, "region", "out_of_scope"),
    ],
)
def test_row_errors_name_field_and_rule(adapter, role_users, values, field, rule):
    values = dict(values)
    if isinstance(values.get("credit_code"), str):
        values["credit_code"] = parse_credit_code(values["credit_code"])
    data = row(name="某组织", region=XIASHI, **{k: v for k, v in values.items() if k != "region"})
    if "region" in values:
        data["region"] = values["region"]
    with pytest.raises(RowInvalid) as caught:
        adapter.clean(data, ctx_for(role_users["township"]))
    assert (field, rule) in [(f, r) for f, r, _m in caught.value.errors]
    assert all(str(message) for _f, _r, message in caught.value.errors)


def test_community_worker_imports_only_their_community(adapter, role_users):
    ctx = ctx_for(role_users["community_a"])
    cleaned = adapter.clean(
        row(name="南关厢书画社", region="硖石街道", coverage=[NANGUANXIANG]), ctx
    )
    assert cleaned["region"] == XIASHI
    with pytest.raises(RowInvalid) as caught:
        adapter.clean(row(name="东山书画社", region="硖石街道", coverage=[DONGSHAN]), ctx)
    assert caught.value.errors[0][:2] == ("region", "out_of_scope")


def test_records_outside_the_importers_reach_are_reported_elsewhere(adapter, role_users, orgs):
    ctx = ctx_for(role_users["community_b"])
    key = adapter.key(
        {"credit_code": orgs["agency_nan"].credit_code, "region": "", "name": ""}, ctx
    )
    assert adapter.existing([key], ctx) == {key: None}


def test_same_organisation_twice_in_a_file(adapter, role_users):
    ctx = ctx_for(role_users["township"])
    adapter.clean(row(name="重复组织", region=XIASHI), ctx)
    with pytest.raises(RowInvalid) as caught:
        adapter.clean(
            row(name="重复组织", region=XIASHI, credit_code=parse_credit_code(CODE_AGENCY)), ctx
        )
    assert caught.value.errors[0][:2] == ("name", "duplicate_in_file")


def test_export_is_scoped_and_masked(adapter, role_users, orgs):
    ctx = ctx_for(role_users["community_a"])
    exported = list(adapter.export_queryset(ctx))
    assert {o.name for o in exported} == {orgs["nan"].name, orgs["agency_nan"].name}
    headers = [c.header for c in adapter.columns]
    cells = dict(zip(headers, adapter.export_row(orgs["nan"]), strict=True))
    assert cells["联系电话"] == "138****5678"
    assert cells["登记状态"] == "备案"
    assert cells["服务社区"] == f"南关厢社区（{NANGUANXIANG}）"
    assert cells["登记机关区划"] == f"硖石街道（{XIASHI}）"
    # What was exported reads back: the region cells resolve to the same codes.
    again = adapter.clean(
        row(name=orgs["nan"].name, region=cells["登记机关区划"], coverage=[cells["服务社区"]]),
        ctx_for(role_users["township"]),
    )
    assert again["region"] == XIASHI
    assert again["imported"].coverage == [NANGUANXIANG]


def test_adapter_permissions(role_users):
    assert role_users["community_a"].has_perm("organizations.import_organizations")
    assert not role_users["auditor"].has_perm("organizations.import_organizations")
    assert role_users["auditor"].has_perm("organizations.export_organizations")
    assert not role_users["org_staff"].has_perm("organizations.export_organizations")


def test_a_messy_csv_through_the_import_engine(adapter, role_users):
    """The real engine: title row, full-width code, Chinese dates, 是/否, region names."""
    from django.db import transaction

    from wushe.imports import engine
    from wushe.imports.services import import_context

    full_width = CODE_ASSOCIATION.translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"}
    )
    text = (
        "硖石街道社会组织台账（2025年）\n"
        "组织名称,统一社会信用代码,登记状态,组织类型,组织类别,服务领域,登记机关区划,服务社区,"
        "评估等级,等级评定日期,联系人,联系电话,成立日期,登记日期,是否枢纽型组织\n"
        f"硖石街道南关厢邻里互助队,,备案,社区社会组织,居民互助类,养老服务、助残服务,硖石街道,"
        f"南关厢社区,,,周阿姨,138 1234 5678,2020年1月5日,,否\n"
        f"海宁市书画协会,{full_width},,社会团体,文体活动类,文体娱乐,330481,南关厢社区、东山社区,"
        f"AAA,2024/3/1,,,2018-01-01,2018/1/1,是\n"
        "东山某队,,备案,社区社会组织,,,硖石街道,不存在社区,,,,,,,\n"
    )
    ctx = import_context(user=role_users["county"])
    with transaction.atomic():
        outcome = engine.run(text.encode("utf-8"), adapter, ctx, filename="台账.csv", write=True)
    assert (outcome.rows_valid, outcome.rows_invalid, outcome.created) == (2, 1, 2)
    assert [(i.row_number, i.code) for i in outcome.issues] == [
        (5, "organization.coverage.not_found")
    ]
    filed = Organization.objects.get(name="硖石街道南关厢邻里互助队")
    assert filed.founded_on == date(2020, 1, 5)
    assert set(filed.service_categories.values_list("code", flat=True)) == {
        "elderly_care",
        "disability",
    }
    association = Organization.objects.get(credit_code=CODE_ASSOCIATION)
    assert (association.legal_status, association.org_kind, association.grade) == (
        "registered",
        "association",
        "3A",
    )
    assert association.is_hub is True


def test_export_through_the_engine_is_filtered_and_masked(role_users, orgs):
    import io

    from openpyxl import load_workbook

    from wushe.imports.services import export_create

    content, name = export_create(
        kind="organizations", actor=role_users["township"], filters={"org_kind": "community"}
    )
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)
    assert orgs["nan"].name in text and orgs["dong"].name in text
    assert orgs["agency_nan"].name not in text  # filtered out: a service agency
    assert "138****5678" in text and "13812345678" not in text
