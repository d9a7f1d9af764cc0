"""Every indicator checked against values computed by hand on the small world of conftest.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wushe.indicators import engine, selectors
from wushe.indicators.periods import Period
from wushe.indicators.registry import all_indicators, get
from wushe.regions.models import Region
from wushe.testing import HAINING

from .conftest import C1, C2, T1, T2, World

pytestmark = pytest.mark.django_db

D = Decimal


def value(code: str, region: str, period: str) -> selectors.Result:
    indicator = get(code)
    assert indicator is not None, code
    return selectors.results([region], Period.parse(period), [indicator])[(code, region)]


def close_to(result: selectors.Result, expected: Decimal | str) -> bool:
    assert result.value is not None, (result.indicator.code, result.region_code, result.status)
    return abs(result.value - D(str(expected))) < D("0.01")


def communities(prefix: str, kind: str | None = None) -> int:
    qs = Region.objects.filter(code__startswith=prefix, level=Region.Level.COMMUNITY)
    return qs.filter(kind=kind).count() if kind else qs.count()


@pytest.fixture
def computed(world: World) -> World:
    engine.compute(years=[2026])
    return world


# (indicator, region, period, expected value) — expected worked out from conftest.py.
CASES = [
    ("organizations.community_orgs_per_urban_community", C1, "2026-10", "2"),  # A, B / 1
    ("organizations.community_orgs_per_urban_community", C2, "2026", "1"),
    ("organizations.hub_org_urban_coverage", C1, "2026-10", "100"),  # deregistered hub ignored
    ("organizations.hub_org_urban_coverage", C2, "2026-10", "0"),
    ("organizations.registered_per_10k_residents", HAINING, "2026-10", "2500"),  # 1 / 4 active
    ("organizations.registered_per_10k_residents", C1, "2026-10", "0"),
    ("organizations.brand_community_orgs", C2, "2026-Q4", "1"),
    ("organizations.brand_community_orgs", HAINING, "2026", "1"),
    ("stations.township_social_work_station_coverage", T1, "2026-10", "100"),
    ("stations.township_social_work_station_coverage", T2, "2026-10", "0"),
    ("stations.volunteer_post_coverage", C1, "2026-10", "100"),
    ("stations.volunteer_post_coverage", C2, "2026-10", "0"),  # its post is closed
    ("stations.service_space_per_100_households", C1, "2026-10", "2500"),  # 50 m² / 2 × 100
    ("stations.service_space_per_100_households", T1, "2026-10", "2666.67"),  # 80 / 3 × 100
    ("socialworkers.stations_with_two_resident_workers", T1, "2026-10", "100"),
    ("socialworkers.per_10k_residents", HAINING, "2026-10", "10000"),  # 4 workers / 4
    ("socialworkers.per_10k_residents", C1, "2026-10", "3333.33"),  # 1 / 3
    ("socialworkers.community_worker_certified_share", C1, "2026-10", "100"),  # 1 / 1 grant
    ("socialworkers.community_worker_certified_share", T1, "2026-10", "50"),  # 1 / 2 grants
    ("socialworkers.community_workers_per_10k_urban", T1, "2026-10", "5000"),  # 2 / 4
    ("socialworkers.elderly_per_social_worker", T1, "2026-10", "0.75"),  # 3 elderly / 4
    ("socialworkers.elderly_per_social_worker", C1, "2026-10", "2"),  # born 1950, 1966-12-31
    ("socialworkers.households_per_community_worker", T1, "2026-10", "1.5"),  # 3 / 2
    ("requests.accepted_on_time", C1, "2026-10", "66.67"),  # 2 of 3
    ("requests.accepted_on_time", C1, "2026-09", "100"),
    ("requests.accepted_on_time", C1, "2026-Q4", "66.67"),
    ("requests.accepted_on_time", HAINING, "2026", "75"),  # 3 of 4
    ("requests.resolved_on_time", C1, "2026-10", "66.67"),
    ("requests.resolved_on_time", C1, "2026-11", "0"),  # 00:00 Shanghai 1 Nov is November
    ("requests.satisfaction", T1, "2026-10", "66.67"),  # 5, 4 of 5, 4, 2
    ("activities.verified_volunteer_hours", C1, "2026-10", "3"),  # 120 + 60 min
    ("activities.verified_volunteer_hours", T1, "2026-10", "4.5"),
    ("activities.verified_volunteer_hours", C1, "2026", "3.5"),  # + 30 min in September
    ("activities.hours_per_volunteer", T1, "2026-10", "1.5"),  # 270 min / 3 active / 60
    ("volunteers.registered_share", C1, "2026-10", "66.67"),  # 2 active / 3 residents
    ("volunteers.registered_share", C2, "2026-10", "100"),
    ("charity.money_donations", C1, "2026-10", "500"),  # 500 + 100 − 100
    ("charity.money_donations", HAINING, "2026-Q4", "580"),
    ("partymembers.checked_in_per_community", C1, "2026-10", "2"),
    ("partymembers.checked_in_per_community", C2, "2026-10", "0"),
]


@pytest.mark.parametrize(("code", "region", "period", "expected"), CASES)
def test_value_matches_hand_computation(computed, code, region, period, expected):
    assert close_to(value(code, region, period), expected)


def test_ratios_over_region_counts(computed):
    urban_t1 = communities("330481001", Region.Kind.URBAN)
    got = value("organizations.community_orgs_per_urban_community", T1, "2026-10")
    assert (got.numerator, got.denominator) == (D(3), D(urban_t1))
    rural = value("organizations.community_orgs_per_rural_community", computed.rural, "2026-10")
    assert close_to(rural, "1")
    hub = value("organizations.hub_org_urban_coverage", T1, "2026-10")
    assert (hub.numerator, hub.denominator) == (D(1), D(urban_t1))
    townships = Region.objects.filter(code__startswith="330481", level=Region.Level.TOWNSHIP)
    cover = value("stations.township_social_work_station_coverage", HAINING, "2026-10")
    assert (cover.numerator, cover.denominator) == (D(1), D(townships.count()))
    posts = value("stations.volunteer_post_coverage", T1, "2026-10")
    assert (posts.numerator, posts.denominator) == (D(1), D(communities("330481001")))
    party = value("partymembers.checked_in_per_community", T1, "2026-10")
    assert (party.numerator, party.denominator) == (D(2), D(communities("330481001")))


def test_every_indicator_of_these_modules_is_checked():
    mine = {
        "organizations",
        "stations",
        "socialworkers",
        "requests",
        "activities",
        "volunteers",
        "charity",
        "partymembers",
    }
    checked = {c[0] for c in CASES} | {"organizations.community_orgs_per_rural_community"}
    registered = {i.code for i in all_indicators() if i.code.split(".")[0] in mine}
    assert registered <= checked


def test_zero_denominator_and_missing_data_are_said(computed):
    # C2 has an elderly resident but no social worker: 分母为零, not 0.
    zero = value("socialworkers.elderly_per_social_worker", C2, "2026-10")
    assert zero.value is None
    assert zero.status == selectors.Status.ZERO_DENOMINATOR
    assert zero.display == "分母为零"
    # No donation anywhere in September: 无数据.
    none = value("charity.money_donations", C1, "2026-09")
    assert none.value is None
    assert none.display == "无数据"
    # No requests at all in 2025.
    assert value("requests.satisfaction", C1, "2025").status == selectors.Status.NO_DATA


def test_status_against_default_and_set_targets(computed):
    from wushe.indicators.models import IndicatorTarget

    code = "stations.volunteer_post_coverage"
    t1 = value(code, T1, "2026-10")  # 1 of many communities: far below 80 %
    assert t1.target == D(80)
    assert t1.status == selectors.Status.BEHIND
    IndicatorTarget.objects.create(indicator=code, region_id=HAINING, year=2026, value=D("5"))
    IndicatorTarget.objects.create(indicator=code, region_id=T1, year=2026, value=D("1"))
    assert value(code, T1, "2026-10").target == D(1)  # the deepest target wins
    assert value(code, T2, "2026-10").target == D(5)
    assert value(code, T1, "2025-10").target == D(80)  # other year: the default
    assert value(code, C1, "2026-10").status == selectors.Status.MET
