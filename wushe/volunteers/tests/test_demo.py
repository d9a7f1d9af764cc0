"""The Haining demo step: plausible, deterministic for a seed, idempotent."""

import random

import pytest

from wushe.accounts.roles import Role
from wushe.audit.models import AuditEvent
from wushe.core.identifiers import parse_id_number
from wushe.core.personal import unseal
from wushe.demo.services import STEPS, DemoContext
from wushe.privacy.models import Consent
from wushe.testing import NANGUANXIANG, make_user
from wushe.volunteers import geo
from wushe.volunteers.demo import TOWNSHIP_CENTRES, demo_volunteers
from wushe.volunteers.models import (
    TeamMembership,
    Volunteer,
    VolunteerNumberCounter,
    VolunteerTeam,
)

pytestmark = pytest.mark.django_db


def load(seed=3, scale=0.25, login=None):
    ctx = DemoContext(seed=seed, scale=scale, rng=random.Random(seed), password="x")
    if login is not None:
        ctx.users["demo_volunteer"] = login
    demo_volunteers(ctx)
    return ctx


def snapshot():
    return (
        sorted(
            Volunteer.objects.values_list(
                "number", "name", "region_id", "id_number_hash", "availability", "latitude"
            )
        ),
        sorted(TeamMembership.objects.values_list("team__name", "volunteer__number", "role")),
        sorted(VolunteerTeam.objects.values_list("name", "region_id")),
    )


def test_step_runs_after_the_logins():
    names = [name for name, _step in STEPS]
    assert names.index("volunteers") > names.index("logins")


def test_demo_is_plausible_and_idempotent(regions):
    login = make_user("demo_volunteer", Role.VOLUNTEER, NANGUANXIANG)
    load(login=login)
    first = snapshot()
    events = AuditEvent.objects.count()
    count = Volunteer.objects.count()
    # 236 communities × 8–25 × 0.25
    assert 236 * 2 <= count <= 236 * 7
    assert Consent.objects.filter(purpose="volunteer_record").count() == count
    assert VolunteerTeam.objects.count() == 12
    mine = Volunteer.objects.get(user=login)
    assert mine.name == "李志愿" and mine.region_id == NANGUANXIANG
    for v in Volunteer.objects.all()[:200]:
        parsed = parse_id_number(unseal(v, "id_number"))
        assert parsed.address_code == "330481"
        centre = TOWNSHIP_CENTRES[v.region_id[:9]]
        assert geo.haversine_m(float(v.latitude), float(v.longitude), *centre) < 5_000
        assert v.availability and v.skills.exists()
    assert Volunteer.objects.values("region").distinct().count() == 236

    ctx = load(login=login)
    assert snapshot() == first
    assert AuditEvent.objects.count() == events
    assert "0 created" in ctx.log[-1]


def test_same_seed_same_people_other_seed_other_people(regions):
    load(seed=9, scale=0.1)
    first = snapshot()
    TeamMembership.objects.all().delete()
    VolunteerTeam.objects.all().delete()
    Volunteer.objects.all().delete()
    VolunteerNumberCounter.objects.all().delete()
    load(seed=9, scale=0.1)
    assert snapshot() == first
    TeamMembership.objects.all().delete()
    VolunteerTeam.objects.all().delete()
    Volunteer.objects.all().delete()
    load(seed=10, scale=0.1)
    assert snapshot()[0] != first[0]
