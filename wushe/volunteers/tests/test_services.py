"""Registration with consent, duplicates, numbers, updates, status transitions, teams."""

from datetime import date
from decimal import Decimal

import pytest

from wushe.audit.models import AuditEvent
from wushe.core.errors import Conflict, PermissionDenied, ValidationFailed
from wushe.core.masking import mask_id_number
from wushe.core.personal import unseal
from wushe.privacy.models import Consent
from wushe.regions.models import Region
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI
from wushe.volunteers import availability as slots
from wushe.volunteers import geo, services
from wushe.volunteers.models import (
    TeamMembership,
    TeamRole,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
)

from .helpers import id_number, register


def other_county_community():
    """A community of 南湖区 (330402), outside Haining."""
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
    Region.objects.get_or_create(
        code="330402001001",
        defaults={
            "name": "紫阳社区居委会",
            "short_name": "紫阳社区",
            "level": 5,
            "parent_id": "330402001000",
        },
    )
    return "330402001001"


pytestmark = pytest.mark.django_db


def test_registration_records_consent_in_the_same_transaction(role_users):
    actor = role_users["community_a"]
    v = register(
        actor=actor,
        skills=["medical", "智能手机教学"],
        availability=slots.parse("周一上午、周六全天"),
        registered_on=date(2024, 1, 5),
    )
    assert v.number == "3304812024000001"
    assert v.county_code == "330481" and v.region_id == NANGUANXIANG
    assert v.id_number_masked == mask_id_number(id_number())
    assert v.phone_masked == "138****5678"
    assert unseal(v, "id_number") == id_number()
    assert v.birth_date == date(1990, 3, 7) and v.sex == "female"
    assert sorted(t.code for t in v.skills.all()) == ["digital", "medical"]
    consent = Consent.objects.get(subject_type="volunteers.volunteer", subject_id=v.pk)
    assert consent.purpose == "volunteer_record" and consent.given_on == date(2024, 1, 5)
    assert consent.recorded_by == actor
    event = AuditEvent.objects.get(action="volunteers.volunteer.registered")
    assert event.region_code == NANGUANXIANG
    assert id_number() not in str(event.changes) and "13812345678" not in str(event.changes)


def test_no_consent_no_record(role_users):
    with pytest.raises(ValidationFailed) as info:
        register(actor=role_users["community_a"], consent_given=False)
    assert info.value.code == "volunteer.consent_required"
    assert "知情同意" in str(info.value.message)
    assert not Volunteer.objects.exists() and not Consent.objects.exists()


def test_a_child_under_14_needs_a_guardian(role_users):
    child = {"birth": "20150601", "sequence": 11, "registered_on": date(2026, 1, 10)}
    with pytest.raises(ValidationFailed) as info:
        register(actor=role_users["community_a"], **child)
    assert info.value.code == "consent.guardian_required"
    assert not Volunteer.objects.exists()
    v = register(
        actor=role_users["community_a"],
        guardian_name="王芳",
        guardian_relation="母亲",
        **child,
    )
    consent = Consent.objects.get(subject_id=v.pk)
    assert (consent.guardian_name, consent.guardian_relation) == ("王芳", "母亲")


def test_one_registration_per_id_number_in_a_county(role_users):
    register(actor=role_users["community_a"])
    with pytest.raises(Conflict) as info:
        register(actor=role_users["community_b"], region=DONGSHAN, name="另一人")
    assert info.value.code == "volunteer.duplicate"
    assert "已在本区县登记为志愿者" in str(info.value.message)
    assert Volunteer.objects.count() == 1


def test_numbers_are_per_county_and_year_and_given_numbers_are_kept(role_users):
    a = register(actor=None, sequence=2, registered_on=date(2025, 5, 1))
    b = register(actor=None, sequence=4, registered_on=date(2025, 6, 1))
    c = register(actor=None, sequence=6, registered_on=date(2026, 1, 2))
    d = register(actor=None, sequence=8, number="zj-old-0007")
    assert [a.number, b.number, c.number] == [
        "3304812025000001",
        "3304812025000002",
        "3304812026000001",
    ]
    assert d.number == "ZJ-OLD-0007"
    with pytest.raises(ValidationFailed) as info:
        register(actor=None, sequence=10, number="ZJ-OLD-0007")
    assert info.value.code == "volunteer.number.duplicate"
    # A carried-over number in the generated form is skipped by the counter.
    register(actor=None, sequence=12, number="3304812026000002", registered_on=date(2026, 2, 1))
    e = register(actor=None, sequence=14, registered_on=date(2026, 3, 1))
    assert e.number == "3304812026000003"


def test_home_must_be_a_community_and_dates_not_in_the_future(role_users):
    with pytest.raises(ValidationFailed) as info:
        register(region=XIASHI)
    assert info.value.code == "volunteer.region.not_community"
    with pytest.raises(ValidationFailed) as info:
        register(registered_on=date(2999, 1, 1))
    assert info.value.code == "volunteer.registered_on.future"
    with pytest.raises(ValidationFailed) as info:
        register(id_number="330481199003070020")
    assert info.value.code == "id_number.checksum"
    with pytest.raises(ValidationFailed) as info:
        register(skills=["飞行"])
    assert info.value.code == "volunteer.skills.unknown"


def test_location_is_stored_in_wgs84_whatever_the_input(role_users):
    wgs = (30.5110, 120.6880)
    gcj = geo.wgs84_to_gcj02(*wgs)
    bd = geo.wgs84_to_bd09(*wgs)
    v1 = register(sequence=2, latitude=str(gcj[0]), longitude=str(gcj[1]), coord_source="gcj02")
    v2 = register(sequence=4, latitude=bd[0], longitude=bd[1], coord_source="bd09")
    v3 = register(sequence=6, latitude="30.5110", longitude="120.6880")
    for v in (v1, v2, v3):
        v.refresh_from_db()
        assert geo.haversine_m(float(v.latitude), float(v.longitude), *wgs) < 0.2
    assert (v1.coord_source, v2.coord_source, v3.coord_source) == ("gcj02", "bd09", "wgs84")
    assert v3.latitude == Decimal("30.511000")
    with pytest.raises(ValidationFailed) as info:
        register(sequence=8, latitude="30.5")
    assert info.value.code == "volunteer.location.incomplete"
    with pytest.raises(ValidationFailed) as info:
        register(sequence=8, latitude="120.68", longitude="30.51")  # swapped
    assert info.value.code == "volunteer.location.range"


def test_update_changes_and_audits_only_what_changed(role_users):
    actor = role_users["community_a"]
    v = register(actor=actor, skills=["medical"])
    services.volunteer_update(
        volunteer=v,
        actor=actor,
        changes={"skills": ["medical", "legal"], "availability": 5, "phone": "13900001111"},
    )
    v.refresh_from_db()
    assert sorted(t.code for t in v.skills.all()) == ["legal", "medical"]
    assert v.availability == 5 and v.phone_masked == "139****1111"
    assert VolunteerSkill.objects.filter(volunteer=v, county_code="330481").count() == 2
    event = AuditEvent.objects.filter(action="volunteers.volunteer.updated").get()
    assert event.changes["phone"] == "changed" and "13900001111" not in str(event.changes)
    # Same values again: nothing to audit.
    services.volunteer_update(volunteer=v, actor=actor, changes={"availability": 5})
    assert AuditEvent.objects.filter(action="volunteers.volunteer.updated").count() == 1


def test_update_refuses_fields_the_caller_may_not_change(role_users):
    v = register(actor=None)
    with pytest.raises(PermissionDenied) as info:
        services.volunteer_update(
            volunteer=v,
            actor=role_users["volunteer"],
            changes={"name": "改名"},
            allowed_fields=services.SELF_EDITABLE_FIELDS,
        )
    assert info.value.code == "volunteer.field_forbidden"


def test_update_refuses_a_duplicate_id_and_a_move_to_another_county(role_users):
    register(sequence=2)
    other = register(sequence=4, name="王五")
    with pytest.raises(Conflict):
        services.volunteer_update(volunteer=other, actor=None, changes={"id_number": id_number()})
    elsewhere = other_county_community()
    with pytest.raises(ValidationFailed) as info:
        services.volunteer_update(volunteer=other, actor=None, changes={"region_code": elsewhere})
    assert info.value.code == "volunteer.region.other_county"
    services.volunteer_update(volunteer=other, actor=None, changes={"region_code": DONGSHAN})
    other.refresh_from_db()
    assert other.region_id == DONGSHAN


def test_state_machine_allowed_forbidden_and_repeat(role_users):
    actor = role_users["community_a"]
    v = register(actor=actor)
    v = services.volunteer_suspend(volunteer=v, actor=actor, reason="外出务工半年")
    assert v.status == VolunteerStatus.SUSPENDED and v.status_reason == "外出务工半年"
    again = services.volunteer_suspend(volunteer=v, actor=actor)
    assert again.status == VolunteerStatus.SUSPENDED
    assert AuditEvent.objects.filter(action="volunteers.volunteer.suspended").count() == 1
    v = services.volunteer_withdraw(volunteer=v, actor=actor)
    with pytest.raises(Conflict) as info:
        services.volunteer_suspend(volunteer=v, actor=actor)
    assert info.value.code == "volunteer.invalid_transition"
    assert "注销" in str(info.value.message)
    v = services.volunteer_reactivate(volunteer=v, actor=actor)
    assert v.status == VolunteerStatus.ACTIVE


def test_teams_membership_and_leader(role_users):
    actor = role_users["township"]
    team = services.team_create(name="硖石街道志愿服务队", region_code=XIASHI, actor=actor)
    a = register(sequence=2)
    b = register(sequence=4, name="王五")
    services.team_add_member(team=team, volunteer=a, actor=actor)
    services.team_add_member(team=team, volunteer=a, actor=actor)  # no-op
    assert AuditEvent.objects.filter(action="volunteers.team.member_added").count() == 1
    services.team_add_member(team=team, volunteer=b, role=TeamRole.LEADER, actor=actor)
    team.refresh_from_db()
    assert team.leader == b
    membership = TeamMembership.objects.get(team=team, volunteer=b)
    assert membership.role == "leader" and membership.county_code == "330481"
    services.team_update(team=team, actor=actor, changes={"leader": a})
    roles = dict(TeamMembership.objects.filter(team=team).values_list("volunteer_id", "role"))
    assert roles == {a.pk: "leader", b.pk: "member"}
    services.team_remove_member(team=team, volunteer=a, actor=actor)
    team.refresh_from_db()
    assert team.leader is None and team.members.count() == 1
    with pytest.raises(Conflict):
        services.team_create(name="硖石街道志愿服务队", region_code=XIASHI, actor=actor)


def test_withdrawn_volunteers_cannot_join_a_team(role_users):
    team = services.team_create(name="东山志愿队", region_code=DONGSHAN, actor=None)
    v = services.volunteer_withdraw(volunteer=register(), actor=None)
    with pytest.raises(Conflict) as info:
        services.team_add_member(team=team, volunteer=v, actor=None)
    assert info.value.code == "volunteer_team.volunteer_withdrawn"
