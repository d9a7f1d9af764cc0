from datetime import date, timedelta

import pytest
from django.utils import timezone

from wushe.audit.models import AuditEvent
from wushe.core.errors import Conflict, PermissionDenied, ValidationFailed
from wushe.organizations.models import GradeState, LegalStatus, Organization, OrgKind
from wushe.organizations.services import (
    KIND_MISMATCH_WARNING,
    grade_expiry,
    organization_deregister,
    organization_file,
    organization_grade,
    organization_register,
    organization_update,
)
from wushe.testing import HAINING, NANGUANXIANG, XIASHI

from .conftest import CODE_AGENCY, CODE_ASSOCIATION, credit_code, make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(role_users):
    return role_users["admin"]


def registered(admin, *, code=CODE_AGENCY, registered_on=date(2015, 1, 10), **extra):
    return make_org(
        admin,
        legal_status=LegalStatus.REGISTERED,
        name=extra.pop("name", "海宁市阳光社会工作服务社"),
        region=HAINING,
        org_kind=extra.pop("org_kind", OrgKind.SERVICE_AGENCY),
        credit_code=code,
        registered_on=registered_on,
        **extra,
    )


# --- credit codes ------------------------------------------------------------------------------


def test_registered_organisation_keeps_a_normalised_credit_code(admin):
    org = registered(admin, code=" " + CODE_AGENCY.lower() + " ")
    assert org.credit_code == CODE_AGENCY
    assert org.credit_code_warnings == []
    event = AuditEvent.objects.get(action="organizations.organization.created", target_id=org.pk)
    assert event.changes["credit_code"] == CODE_AGENCY


def test_bad_checksum_is_a_422_with_a_field_code(admin):
    bad = CODE_AGENCY[:-1] + ("0" if CODE_AGENCY[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as caught:
        registered(admin, code=bad)
    assert caught.value.code == "organization.credit_code.checksum"
    assert "校验不通过" in caught.value.fields["credit_code"][0]
    assert not Organization.objects.filter(credit_code=bad).exists()


@pytest.mark.parametrize("head", ["N2330481MA0000018", "Y1330481MA0000027", "91110000600037341"])
def test_letter_prefixed_and_business_codes_are_accepted(admin, head):
    code = credit_code(head)
    org = registered(admin, code=code, name=f"组织{head}")
    assert org.credit_code == code


def test_embedded_organisation_code_mismatch_is_a_stored_warning_not_an_error(admin):
    code = credit_code("52330481MJ0000019")  # organisation code check should be 8
    org = registered(admin, code=code)
    assert org.credit_code == code
    assert org.credit_code_warnings == ["credit_code.org_code_checksum"]


def test_kind_that_contradicts_the_code_is_a_warning(admin):
    org = registered(admin, code=CODE_ASSOCIATION, org_kind=OrgKind.FOUNDATION)
    assert KIND_MISMATCH_WARNING in org.credit_code_warnings


def test_registered_needs_a_code_and_filed_must_not_have_one(admin):
    with pytest.raises(ValidationFailed) as caught:
        registered(admin, code="")
    assert caught.value.code == "organization.credit_code.required"
    with pytest.raises(ValidationFailed) as caught:
        make_org(admin, name="某队", region=XIASHI, credit_code=CODE_AGENCY)
    assert caught.value.code == "organization.credit_code.not_for_filed"


def test_filed_organisation_has_a_filing_number_instead(admin):
    org = make_org(
        admin,
        name="南关厢银龄互助社",
        region=XIASHI,
        coverage=[NANGUANXIANG],
        filing_number=" 硖石备2024第007号 ",
    )
    assert (org.legal_status, org.credit_code, org.filing_number) == (
        LegalStatus.FILED,
        "",
        "硖石备2024第007号",
    )


def test_credit_code_is_unique(admin):
    registered(admin)
    with pytest.raises(ValidationFailed) as caught:
        registered(admin, name="另一个组织")
    assert caught.value.code == "organization.credit_code.duplicate"


def test_name_is_unique_within_the_registering_region(admin):
    make_org(admin, name="邻里互助队", region=XIASHI)
    with pytest.raises(ValidationFailed) as caught:
        make_org(admin, name="邻里互助队", region=XIASHI)
    assert caught.value.code == "organization.name.duplicate"
    make_org(admin, name="邻里互助队", region=NANGUANXIANG, legal_status=LegalStatus.INFORMAL)


def test_several_problems_are_reported_together(admin):
    with pytest.raises(ValidationFailed) as caught:
        make_org(
            admin,
            name="",
            region="330481999999",
            category="nope",
            contact_phone="0573-87654321",
        )
    assert caught.value.code == "organization.name.required"
    assert {"name", "region", "category", "contact_phone", "contact_name"} <= set(
        caught.value.fields
    )


# --- lifecycle ---------------------------------------------------------------------------------


def test_filed_to_registered_needs_a_code_and_is_audited(admin):
    org = make_org(admin, name="东山书画社", region=XIASHI)
    with pytest.raises(ValidationFailed) as caught:
        organization_register(organization=org, credit_code="", actor=admin)
    assert caught.value.code == "organization.credit_code.required"
    org = organization_register(
        organization=org, credit_code=CODE_ASSOCIATION, registered_on=date(2024, 5, 6), actor=admin
    )
    org.refresh_from_db()
    assert (org.legal_status, org.credit_code, org.registered_on) == (
        LegalStatus.REGISTERED,
        CODE_ASSOCIATION,
        date(2024, 5, 6),
    )
    assert (
        AuditEvent.objects.filter(
            action="organizations.organization.registered", target_id=str(org.pk)
        ).count()
        == 1
    )


def test_repeating_a_done_transition_is_a_no_op(admin):
    org = make_org(admin, name="东山书画社", region=XIASHI)
    organization_register(organization=org, credit_code=CODE_ASSOCIATION, actor=admin)
    again = organization_register(organization=org, credit_code=CODE_AGENCY, actor=admin)
    assert again.credit_code == CODE_ASSOCIATION
    organization_deregister(organization=org, actor=admin)
    organization_deregister(organization=org, actor=admin)
    actions = list(
        AuditEvent.objects.filter(target_id=str(org.pk)).values_list("action", flat=True)
    )
    assert actions.count("organizations.organization.registered") == 1
    assert actions.count("organizations.organization.deregistered") == 1


@pytest.mark.parametrize(
    ("start", "transition"),
    [
        (LegalStatus.INFORMAL, "register"),
        (LegalStatus.REGISTERED, "file"),
        (LegalStatus.DEREGISTERED, "register"),
        (LegalStatus.DEREGISTERED, "file"),
    ],
)
def test_forbidden_transitions_are_conflicts(admin, start, transition):
    org = make_org(
        admin,
        name="测试组织",
        region=XIASHI,
        legal_status=start if start != LegalStatus.REGISTERED else LegalStatus.REGISTERED,
        credit_code=CODE_AGENCY if start == LegalStatus.REGISTERED else "",
        org_kind=OrgKind.COMMUNITY,
    )
    service = {
        "register": lambda: organization_register(
            organization=org, credit_code=CODE_ASSOCIATION, actor=admin
        ),
        "file": lambda: organization_file(organization=org, actor=admin),
    }[transition]
    with pytest.raises(Conflict) as caught:
        service()
    assert caught.value.code == "organization.invalid_transition"
    assert caught.value.status == 409
    org.refresh_from_db()
    assert org.legal_status == start


def test_informal_group_is_filed_then_deregistered(admin):
    org = make_org(admin, name="南关厢广场舞队", region=NANGUANXIANG, legal_status="informal")
    org = organization_file(organization=org, filing_number="硖石备2025第003号", actor=admin)
    assert (org.legal_status, org.filing_number) == (LegalStatus.FILED, "硖石备2025第003号")
    assert org.filed_on == timezone.localdate()
    org = organization_deregister(organization=org, reason="团队解散", actor=admin)
    assert org.legal_status == LegalStatus.DEREGISTERED
    event = AuditEvent.objects.get(action="organizations.organization.deregistered")
    assert event.changes["from"] == "filed" and event.changes["reason"] == "团队解散"


def test_status_cannot_be_changed_by_an_update(admin):
    org = make_org(admin, name="东山书画社", region=XIASHI)
    with pytest.raises(ValidationFailed) as caught:
        organization_update(organization=org, changes={"legal_status": "registered"}, actor=admin)
    assert caught.value.code == "organization.fields.unknown"


# --- grades ------------------------------------------------------------------------------------


def test_grade_needs_two_full_years_of_registration(admin):
    org = registered(admin, registered_on=date(2022, 3, 1))
    with pytest.raises(ValidationFailed) as caught:
        organization_grade(organization=org, grade="3A", awarded_on=date(2024, 2, 29), actor=admin)
    assert caught.value.code == "organization.grade.too_early"
    assert "2024-03-01" in str(caught.value.message)
    org = organization_grade(organization=org, grade="3A", awarded_on=date(2024, 3, 1), actor=admin)
    assert org.grade_expires_on == date(2029, 2, 28)  # five years, last valid day


def test_only_registered_organisations_are_graded(admin):
    org = make_org(admin, name="东山书画社", region=XIASHI)
    with pytest.raises(Conflict) as caught:
        organization_grade(organization=org, grade="3A", awarded_on=date(2024, 1, 1), actor=admin)
    assert caught.value.code == "organization.grade.not_registered"


def test_grade_without_registration_date_is_refused(admin):
    org = registered(admin, registered_on=None)
    with pytest.raises(ValidationFailed) as caught:
        organization_grade(organization=org, grade="4A", awarded_on=date(2024, 1, 1), actor=admin)
    assert caught.value.code == "organization.grade.registered_on_missing"


def test_grade_expiry_states():
    today = date(2025, 6, 1)
    org = Organization(grade="4A", grade_awarded_on=date(2020, 6, 1))
    org.grade_expires_on = grade_expiry(org.grade_awarded_on)
    assert org.grade_expires_on == date(2025, 5, 31)
    assert org.grade_state(today) == GradeState.EXPIRED
    org.grade_expires_on = today + timedelta(days=30)
    assert (org.grade_state(today), org.grade_days_left(today)) == (GradeState.EXPIRING, 30)
    org.grade_expires_on = today + timedelta(days=91)
    assert org.grade_state(today) == GradeState.VALID
    assert Organization().grade_state(today) == GradeState.NONE


def test_same_grade_again_is_a_no_op(admin):
    org = registered(admin)
    organization_grade(organization=org, grade="5A", awarded_on=date(2023, 1, 1), actor=admin)
    organization_grade(organization=org, grade="5A", awarded_on=date(2023, 1, 1), actor=admin)
    assert AuditEvent.objects.filter(action="organizations.organization.graded").count() == 1


# --- updates -----------------------------------------------------------------------------------


def test_update_changes_only_what_is_given_and_audits_it(admin):
    org = make_org(
        admin,
        name="南关厢邻里互助队",
        region=XIASHI,
        coverage=[NANGUANXIANG],
        contact_name="周阿姨",
        contact_phone="13812345678",
    )
    organization_update(
        organization=org,
        changes={"description": "互助", "staff_part_time": 8, "contact_phone": ""},
        actor=admin,
    )
    org.refresh_from_db()
    assert (org.description, org.staff_part_time) == ("互助", 8)
    assert org.contacts.get().phone_masked == "138****5678"  # empty phone keeps the sealed one
    event = AuditEvent.objects.get(action="organizations.organization.updated")
    assert event.changes == {"description": "互助", "staff_part_time": 8}


def test_org_staff_cannot_change_official_facts(role_users):
    own = role_users["org_staff"].grants.get().organization
    staff = role_users["org_staff"]
    organization_update(organization=own, changes={"address": "文宗路 1 号"}, actor=staff)
    with pytest.raises(PermissionDenied) as caught:
        organization_update(organization=own, changes={"name": "新名字"}, actor=staff)
    assert caught.value.code == "organization.official_fields_forbidden"
