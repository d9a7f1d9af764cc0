"""The demo steps of stations, social workers and party members: a story for the indicators,
deterministic for a seed, idempotent."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone

from wushe.accounts.roles import Role
from wushe.demo.services import STEPS, DemoContext
from wushe.organizations.models import Organization
from wushe.partymembers.demo import demo_party_members
from wushe.partymembers.models import CheckinCategory, PartyMemberCheckin
from wushe.socialworkers import registration
from wushe.socialworkers.demo import demo_social_workers
from wushe.socialworkers.models import ContinuingEducation, RegistrationRenewal, SocialWorker
from wushe.socialworkers.selectors import standing_of
from wushe.stations.demo import demo_stations
from wushe.stations.models import ServiceStation, StationKind
from wushe.testing import PASSWORD, XIASHI, make_user

pytestmark = pytest.mark.django_db


def context(seed: int, scale: float, user) -> DemoContext:
    org, _ = Organization.objects.get_or_create(
        name="海宁市硖石街道善行社会工作服务中心", region_id=XIASHI
    )
    return DemoContext(
        seed=seed,
        scale=scale,
        rng=random.Random(seed),
        password="x",
        users={"demo_socialworker": user},
        organizations={"main": org},
    )


def run(seed: int, scale: float, user) -> DemoContext:
    ctx = context(seed, scale, user)
    demo_stations(ctx)
    demo_social_workers(ctx)
    demo_party_members(ctx)
    return ctx


def snapshot():
    return (
        sorted(ServiceStation.objects.values_list("region_id", "name", "kind", "service_area_m2")),
        sorted(
            SocialWorker.objects.values_list(
                "id_number_hash",
                "name",
                "certificate_number",
                "registration_due_on",
                "education_hours",
                "station__name",
                "resident_at_station",
                "user_id",
            )
        ),
        RegistrationRenewal.objects.count(),
        ContinuingEducation.objects.count(),
        sorted(PartyMemberCheckin.objects.values_list("id_number_hash", "region_id", "status")),
        CheckinCategory.objects.count(),
    )


def test_steps_are_registered_in_order():
    names = [name for name, _step in STEPS]
    assert names.index("organizations") < names.index("stations")
    assert names.index("logins") < names.index("social_workers") < names.index("party_members")


def test_demo_tells_a_story_and_runs_twice_without_change(regions):
    user = make_user("demo_socialworker")
    run(5, 1.0, user)
    first = snapshot()
    run(5, 1.0, user)
    assert snapshot() == first

    stations = ServiceStation.objects.filter(county_code="330481")
    assert stations.filter(kind=StationKind.SOCIAL_WORK).count() == 12
    assert stations.filter(kind=StationKind.INCUBATOR).count() == 1
    posts = stations.filter(kind=StationKind.VOLUNTEER).count()
    assert 0.7 * 236 < posts < 0.9 * 236
    resident = (
        stations.filter(kind=StationKind.SOCIAL_WORK)
        .annotate(
            n=Count(
                "social_workers",
                filter=Q(social_workers__resident_at_station=True, social_workers__status="active"),
            )
        )
        .values_list("n", flat=True)
    )
    assert sum(1 for n in resident if n >= 2) >= 6
    assert sum(1 for n in resident if n < 2) >= 3

    workers = list(SocialWorker.objects.filter(county_code="330481"))
    assert len(workers) == 150
    today = timezone.localdate()
    standings = [standing_of(w, today) for w in workers if w.in_post]
    assert any(s.deadline == registration.DUE_SOON for s in standings)
    assert any(s.deadline == registration.OVERDUE for s in standings)
    assert any(s.education_short for s in standings)
    assert sum(s.deadline == registration.OK for s in standings) > len(standings) / 2
    assert any(w.is_community_worker for w in workers)

    linked = SocialWorker.objects.get(user=user)
    assert linked.region_id == XIASHI and linked.resident_at_station
    assert linked.station.name == "硖石街道社会工作服务站"

    members = PartyMemberCheckin.objects.filter(county_code="330481")
    per_community = members.values("region_id").annotate(n=Count("id"))
    assert {row["n"] for row in per_community} <= set(range(3, 11))
    assert members.filter(status="ended").exists()


def test_another_seed_gives_other_people(regions):
    user = make_user("demo_socialworker")
    run(1, 0.1, user)
    one = set(SocialWorker.objects.values_list("id_number_hash", flat=True))
    SocialWorker.objects.update(user=None)
    run(2, 0.1, make_user("demo_socialworker_2"))
    assert set(SocialWorker.objects.values_list("id_number_hash", flat=True)) > one


def test_the_demo_social_worker_sees_their_record_and_station(regions):
    user = make_user("demo_socialworker", Role.SOCIAL_WORKER, XIASHI)
    run(6, 0.2, user)
    linked = SocialWorker.objects.get(user=user)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    home = client.get("/").content.decode()
    assert 'href="/socialworkers/"' in home and 'href="/stations/"' in home
    assert 'href="/partymembers/"' in home
    assert linked.name in client.get("/socialworkers/").content.decode()
    station = client.get(f"/stations/{linked.station_id}/").content.decode()
    assert linked.name in station and "驻站" in station
    assert client.get(f"/socialworkers/{linked.pk}/").status_code == 200
