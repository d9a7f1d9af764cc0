from __future__ import annotations

import pytest

from wushe.indicators import engine
from wushe.testing import HAINING, ZHEJIANG, bearer_client

from .conftest import C1, C2, T1, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(world: World) -> World:
    engine.compute(years=[2026])
    return world


def test_indicators_of_a_region(computed):
    client = bearer_client(computed.users["county"])
    response = client.get(f"/api/v1/indicators?region={C1}&period=2026-10")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["region"]["code"] == C1
    assert body["period"] == {"key": "2026-10", "label": "2026年10月"}
    by_code = {i["code"]: i for i in body["indicators"]}
    accepted = by_code["requests.accepted_on_time"]
    assert (accepted["numerator"], accepted["denominator"]) == ("2", "3")
    assert accepted["value"].startswith("66.6666")
    hub = by_code["organizations.hub_org_urban_coverage"]
    assert (hub["value"], hub["target"], hub["status"], hub["status_label"]) == (
        "100",
        "100",
        "met",
        "达标",
    )
    none = by_code["organizations.brand_community_orgs"]
    assert (none["value"], none["display"], none["status"]) == (None, "无数据", "no_data")


def test_breakdown_per_sub_region(computed):
    client = bearer_client(computed.users["county"])
    response = client.get(
        f"/api/v1/indicators/socialworkers.elderly_per_social_worker/breakdown?region={T1}&period=2026-Q4"
    )
    assert response.status_code == 200, response.content
    rows = {r["region"]["code"]: r for r in response.json()["regions"]}
    assert rows[C1]["value"] == "2"
    assert (rows[C2]["value"], rows[C2]["display"], rows[C2]["status"]) == (
        None,
        "分母为零",
        "zero_denominator",
    )
    assert len(rows) > 2  # every community of 硖石街道, with or without data


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        (f"region={C1}&period=2026-13", 422, "indicators.period_invalid"),
        (f"region={C1}&period=10-2026", 422, "indicators.period_invalid"),
        ("region=33048&period=2026", 422, "region.code_invalid"),
        ("region=320000000000&period=2026", 404, "indicators.region_not_found"),
    ],
)
def test_bad_region_or_period(computed, query, status, code):
    response = bearer_client(computed.users["county"]).get(f"/api/v1/indicators?{query}")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_unknown_indicator(computed):
    response = bearer_client(computed.users["county"]).get(
        f"/api/v1/indicators/nope.nothing/breakdown?region={C1}&period=2026"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "indicators.indicator_not_found"


@pytest.mark.parametrize(
    ("user", "region", "status"),
    [
        ("community_a", C1, 200),
        ("community_a", C2, 404),  # a sibling community: out of scope
        ("community_a", T1, 404),  # the township above: out of scope
        ("township", C2, 200),
        ("township", HAINING, 404),
        ("county", HAINING, 200),
        ("county", ZHEJIANG, 404),
        ("province", ZHEJIANG, 200),
        ("resident", C1, 404),  # residents do not see indicators
        ("volunteer", C1, 404),
    ],
)
def test_scope(computed, user, region, status):
    response = bearer_client(computed.users[user]).get(
        f"/api/v1/indicators?region={region}&period=2026"
    )
    assert response.status_code == status
    breakdown = bearer_client(computed.users[user]).get(
        f"/api/v1/indicators/requests.satisfaction/breakdown?region={region}&period=2026"
    )
    assert breakdown.status_code == status
