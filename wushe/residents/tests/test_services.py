"""Writes to the register: ID-number rules (GB 11643), scope, duplicates, households, tags,
status transitions and consent."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from wushe.audit.models import AuditEvent
from wushe.core.errors import Conflict, ValidationFailed
from wushe.core.identifiers import age_on, id_number_check_char
from wushe.privacy.models import Consent
from wushe.regions.models import Region
from wushe.residents import services
from wushe.residents.models import Household, Resident, ResidentStatus, ResidentTag
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI

from .conftest import make_id, make_resident

pytestmark = pytest.mark.django_db


def _code(call, *args, **kwargs) -> str:
    with pytest.raises((ValidationFailed, Conflict)) as info:
        call(*args, **kwargs)
    return info.value.code


# --- ID numbers --------------------------------------------------------------------------------


def test_birth_date_sex_and_age_come_from_the_id_number(admin):
    resident = make_resident(admin, id_number=make_id("19560312", 2))
    assert resident.birth_date == date(1956, 3, 12)
    assert resident.sex == "female"
    assert resident.current_age == age_on(date(1956, 3, 12), timezone.localdate())
    assert resident.id_number_masked == "3304**********" + make_id("19560312", 2)[-4:]
    male = make_resident(admin, name="王强", id_number=make_id("19900101", 13))
    assert male.sex == "male"


def test_lower_case_x_is_accepted_and_stored_upper_case(admin):
    resident = make_resident(admin, id_number="11010519491231002x")
    assert resident.id_number_masked.endswith("002X")
    same = Resident.objects.get(pk=resident.pk)
    from wushe.core.personal import unseal

    assert unseal(same, "id_number") == "11010519491231002X"


def test_legacy_15_digit_number_is_upgraded_to_18(admin):
    resident = make_resident(admin, id_number="330481560312002")
    body = "33048119560312002"
    from wushe.core.personal import id_number_hash, unseal

    assert unseal(resident, "id_number") == body + id_number_check_char(body)
    assert resident.id_number_hash == id_number_hash(body + id_number_check_char(body))
    assert resident.birth_date == date(1956, 3, 12)


def test_permanent_residence_card_starting_with_9_is_accepted(admin):
    body = "93048119800101001"
    resident = make_resident(admin, name="Anna", id_number=body + id_number_check_char(body))
    assert resident.birth_date == date(1980, 1, 1)
    assert resident.sex == "male"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("330481195603120021", "resident.id_number.checksum"),  # wrong check digit
        ("3.30481E+17", "resident.id_number.excel_number"),
        ("33048119560230002X", "resident.id_number.birth_date"),  # 30 February
        ("33048119560312", "resident.id_number.format"),
        ("", "resident.id_number.required"),
    ],
)
def test_bad_id_numbers_are_422_with_a_resident_code(admin, raw, code):
    if raw == "330481195603120021":
        assert make_id("19560312", 2)[-1] != "1"
    with pytest.raises(ValidationFailed) as info:
        make_resident(admin, id_number=raw)
    assert info.value.code == code
    assert info.value.status == 422
    assert "id_number" in info.value.fields
    assert not Resident.objects.exists()


def test_bad_phone_is_refused(admin):
    assert _code(make_resident, admin, phone="0573-87654321") == "resident.phone.format"


# --- Region and scope --------------------------------------------------------------------------


def test_region_must_be_a_community_in_the_writer_scope(role_users):
    assert (
        _code(make_resident, role_users["township"], region=XIASHI)
        == "resident.region.not_community"
    )
    assert (
        _code(make_resident, role_users["community_b"], region=NANGUANXIANG)
        == "resident.region.out_of_scope"
    )
    assert _code(make_resident, role_users["auditor"]) == "resident.region.out_of_scope"
    assert make_resident(role_users["community_a"]).region_id == NANGUANXIANG


# --- Duplicates --------------------------------------------------------------------------------


def _other_county_community() -> str:
    Region.objects.get_or_create(
        code="330402000000",
        defaults={
            "name": "南湖区",
            "short_name": "南湖区",
            "level": 3,
            "parent_id": "330400000000",
        },
    )
    Region.objects.get_or_create(
        code="330402001000",
        defaults={
            "name": "建设街道",
            "short_name": "建设街道",
            "level": 4,
            "parent_id": "330402000000",
        },
    )
    region, _ = Region.objects.get_or_create(
        code="330402001001",
        defaults={
            "name": "测试社区",
            "short_name": "测试社区",
            "level": 5,
            "kind": "urban",
            "parent_id": "330402001000",
        },
    )
    return region.code


def test_one_record_per_person_per_county(admin):
    make_resident(admin)
    assert _code(make_resident, admin, region=DONGSHAN) == "resident.id_number.duplicate"
    # The database says the same, should a service ever forget.
    twin = Resident.objects.get()
    twin.pk = None
    twin.place(DONGSHAN)
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_active_record_in_another_county_blocks_moved_out_one_does_not(admin):
    other = _other_county_community()
    first = make_resident(admin, region=other)
    assert _code(make_resident, admin) == "resident.id_number.registered_elsewhere"
    services.resident_move_out(
        resident=first, moved_out_on=timezone.localdate(), destination="海宁", actor=admin
    )
    assert make_resident(admin).county_code == "330481"


# --- Households --------------------------------------------------------------------------------


def test_household_by_number_is_created_once_and_gets_its_head(admin):
    head = make_resident(admin, household_number="NGX-1", relation_to_head="head")
    spouse = make_resident(
        admin,
        name="王伟",
        id_number=make_id("19550101", 11),
        household_number="NGX-1",
        relation_to_head="spouse",
    )
    household = Household.objects.get()
    assert head.household_id == spouse.household_id == household.pk
    assert household.head_id == head.pk
    assert household.county_code == "330481"
    assert (
        _code(services.household_create, region_code=NANGUANXIANG, number="NGX-1", actor=admin)
        == "household.number.duplicate"
    )


def test_household_head_must_be_a_member(admin):
    household = services.household_create(region_code=NANGUANXIANG, number="7", actor=admin)
    stranger = make_resident(admin)
    assert (
        _code(
            services.household_update,
            household=household,
            changes={"head": stranger.pk},
            actor=admin,
        )
        == "household.head.not_member"
    )


def test_household_of_another_community_is_refused(admin):
    household = services.household_create(region_code=DONGSHAN, number="7", actor=admin)
    assert _code(make_resident, admin, household_id=household.pk) == "resident.household.not_found"


# --- Update ------------------------------------------------------------------------------------


def test_update_moves_within_the_county_and_tags_follow(admin):
    resident = make_resident(admin)
    services.resident_tag_add(
        resident=resident, tag="alone_elder", start_date=date(2024, 1, 1), actor=admin
    )
    services.resident_update(resident=resident, changes={"region": DONGSHAN}, actor=admin)
    resident.refresh_from_db()
    assert resident.region_id == DONGSHAN
    assert ResidentTag.objects.get().region_id == DONGSHAN
    other = _other_county_community()
    assert (
        _code(services.resident_update, resident=resident, changes={"region": other}, actor=admin)
        == "resident.region.other_county"
    )


def test_update_without_changes_writes_nothing(admin):
    resident = make_resident(admin, address="南关厢 1 幢")
    before = AuditEvent.objects.count()
    services.resident_update(
        resident=resident, changes={"address": "南关厢 1 幢", "name": "张秀英"}, actor=admin
    )
    assert AuditEvent.objects.count() == before


def test_update_of_the_id_number_rechecks_and_rederives(admin):
    resident = make_resident(admin)
    make_resident(admin, name="王强", id_number=make_id("19900101", 13))
    assert (
        _code(
            services.resident_update,
            resident=resident,
            changes={"id_number": make_id("19900101", 13)},
            actor=admin,
        )
        == "resident.id_number.duplicate"
    )
    services.resident_update(
        resident=resident, changes={"id_number": make_id("19700505", 21)}, actor=admin
    )
    resident.refresh_from_db()
    assert resident.birth_date == date(1970, 5, 5)
    assert resident.sex == "male"


# --- Tags --------------------------------------------------------------------------------------


def test_disability_needs_category_and_grade_and_only_for_disabled(admin):
    resident = make_resident(admin)
    with pytest.raises(ValidationFailed) as info:
        services.resident_tag_add(
            resident=resident, tag="disabled", start_date=date(2024, 1, 1), actor=admin
        )
    assert info.value.code == "resident.tag.disability_required"
    assert set(info.value.fields) == {"disability_category", "disability_grade"}
    assert (
        _code(
            services.resident_tag_add,
            resident=resident,
            tag="alone_elder",
            start_date=date(2024, 1, 1),
            disability_category="physical",
            actor=admin,
        )
        == "resident.tag.disability_not_allowed"
    )
    tag = services.resident_tag_add(
        resident=resident,
        tag="disabled",
        start_date=date(2024, 1, 1),
        disability_category="physical",
        disability_grade="3",
        source="disabled_federation",
        actor=admin,
    )
    assert tag.get_disability_category_display() == "肢体残疾"
    assert tag.get_disability_grade_display() == "三级"


def test_a_person_carries_several_tags_but_one_current_of_each_kind(admin):
    resident = make_resident(admin)
    for tag in ("dibao", "alone_elder", "incapacitated_elder"):
        services.resident_tag_add(
            resident=resident, tag=tag, start_date=date(2024, 1, 1), actor=admin
        )
    assert resident.tags.count() == 3
    assert (
        _code(
            services.resident_tag_add,
            resident=resident,
            tag="dibao",
            start_date=date(2024, 6, 1),
            actor=admin,
        )
        == "resident.tag.duplicate"
    )


def test_ending_a_tag_keeps_history_and_allows_a_new_period(admin):
    resident = make_resident(admin)
    tag = services.resident_tag_add(
        resident=resident, tag="dibao", start_date=date(2024, 1, 1), actor=admin
    )
    assert (
        _code(services.resident_tag_end, tag=tag, end_date=date(2023, 12, 31), actor=admin)
        == "resident.tag.end_before_start"
    )
    services.resident_tag_end(tag=tag, end_date=date(2024, 6, 30), actor=admin)
    again = services.resident_tag_end(tag=tag, end_date=date(2024, 7, 30), actor=admin)
    assert again.end_date == date(2024, 6, 30)  # ending twice is a no-op
    services.resident_tag_add(
        resident=resident, tag="dibao", start_date=date(2025, 1, 1), actor=admin
    )
    assert list(resident.tags.order_by("start_date").values_list("end_date", flat=True)) == [
        date(2024, 6, 30),
        None,
    ]


def test_database_refuses_an_end_before_the_start(admin):
    resident = make_resident(admin)
    tag = services.resident_tag_add(
        resident=resident, tag="dibao", start_date=date(2024, 1, 1), actor=admin
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentTag.objects.filter(pk=tag.pk).update(end_date=date(2023, 1, 1))


def test_future_dates_are_refused(admin):
    resident = make_resident(admin)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert (
        _code(
            services.resident_tag_add,
            resident=resident,
            tag="dibao",
            start_date=tomorrow,
            actor=admin,
        )
        == "resident.tag.start_future"
    )
    assert (
        _code(services.resident_move_out, resident=resident, moved_out_on=tomorrow, actor=admin)
        == "resident.moved_out_on.future"
    )


# --- Status ------------------------------------------------------------------------------------


def test_move_out_keeps_the_record_ends_tags_and_repeats_as_no_op(admin):
    resident = make_resident(admin)
    services.resident_tag_add(
        resident=resident, tag="alone_elder", start_date=date(2024, 1, 1), actor=admin
    )
    today = timezone.localdate()
    moved = services.resident_move_out(resident=resident, moved_out_on=today, actor=admin)
    assert moved.status == ResidentStatus.MOVED_OUT and moved.moved_out_on == today
    assert ResidentTag.objects.get().end_date == today
    services.resident_move_out(resident=resident, moved_out_on=today, actor=admin)
    assert AuditEvent.objects.filter(action="residents.resident.moved_out").count() == 1
    assert (
        _code(
            services.resident_tag_add,
            resident=resident,
            tag="dibao",
            start_date=date(2024, 1, 1),
            actor=admin,
        )
        == "resident.tag.resident_inactive"
    )
    services.resident_mark_deceased(resident=resident, deceased_on=today, actor=admin)
    with pytest.raises(Conflict) as info:
        services.resident_move_out(resident=resident, moved_out_on=today, actor=admin)
    assert info.value.code == "resident.invalid_transition"


# --- Consent -----------------------------------------------------------------------------------


def test_child_under_14_needs_a_guardian_for_consent(admin):
    today = timezone.localdate()
    birth = (today - timedelta(days=365 * 8)).strftime("%Y%m%d")
    child = make_resident(admin, name="小明", id_number=make_id(birth, 13))
    consent = services.ConsentInput(given_on=today)
    with pytest.raises(ValidationFailed) as info:
        services.resident_consent_record(resident=child, consent=consent, actor=admin)
    assert info.value.code == "consent.guardian_required"
    recorded = services.resident_consent_record(
        resident=child,
        consent=services.ConsentInput(
            given_on=today, guardian_name="王伟", guardian_relation="父亲"
        ),
        actor=admin,
    )
    assert recorded.subject_type == "residents.resident"
    assert recorded.county_code == "330481"


def test_consent_taken_at_registration_rolls_back_with_it(admin):
    today = timezone.localdate()
    birth = (today - timedelta(days=365 * 8)).strftime("%Y%m%d")
    with pytest.raises(ValidationFailed):
        make_resident(
            admin,
            name="小明",
            id_number=make_id(birth, 13),
            consent=services.ConsentInput(given_on=today),
        )
    assert not Resident.objects.exists() and not Consent.objects.exists()
    make_resident(admin, consent=services.ConsentInput(given_on=today))
    assert Consent.objects.get().subject_id == Resident.objects.get().pk


# --- Audit -------------------------------------------------------------------------------------


def test_audit_log_never_holds_the_full_id_number_or_phone(admin):
    number = make_id("19560312", 2)
    resident = make_resident(admin, id_number=number, phone="13912345678")
    services.resident_update(
        resident=resident, changes={"phone": "13812349876", "name": "张秀"}, actor=admin
    )
    events = AuditEvent.objects.filter(target_type="residents.resident")
    assert events.count() == 2
    dump = json.dumps(list(events.values_list("changes", flat=True)), ensure_ascii=False)
    for secret in (number, "13912345678", "13812349876"):
        assert secret not in dump
    assert "139****5678" in dump and "138****9876" in dump


def test_sensitive_tags_are_audited_without_their_kind(admin):
    resident = make_resident(admin)
    services.resident_tag_add(
        resident=resident, tag="dibao", start_date=date(2024, 1, 1), actor=admin
    )
    services.resident_tag_add(
        resident=resident, tag="alone_elder", start_date=date(2024, 1, 1), actor=admin
    )
    added = AuditEvent.objects.filter(action="residents.tag.added").order_by("id")
    assert [e.changes["tag"] for e in added] == ["sensitive", "alone_elder"]
    assert all("低保" not in e.target_label for e in added)


def test_a_lost_race_is_a_conflict_not_a_500(admin, monkeypatch):
    make_resident(admin)
    # As if a concurrent request registered the person between the check and the insert.
    monkeypatch.setattr(services, "check_duplicate", lambda *a, **k: None)
    assert _code(make_resident, admin, region=DONGSHAN) == "resident.id_number.duplicate"
    assert Resident.objects.count() == 1
