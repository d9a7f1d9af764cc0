"""API of visits under /api/v1/visits: due list, record with an idempotency key, rate by
month with scope, errors as JSON."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from wushe.testing import bearer_client
from wushe.visits.models import Visit

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def test_due_list_and_counts(enrolled):
    client = bearer_client(enrolled.users["community_a"])
    body = client.get("/api/v1/visits/due?bucket=all").json()
    assert body["count"] == 2
    names = sorted(item["resident"]["name"] for item in body["items"])
    assert names == ["孙爷爷", "钱奶奶"]
    assert all("id_number" not in item["resident"] for item in body["items"])
    counts = client.get("/api/v1/visits/due/counts").json()
    assert counts["all"] == 2
    assert client.get("/api/v1/visits/due?bucket=nope").status_code == 422


def test_volunteer_without_assignment_sees_nothing_and_resident_is_refused(enrolled):
    assert (
        bearer_client(enrolled.users["volunteer"])
        .get("/api/v1/visits/due?bucket=all")
        .json()["count"]
        == 0
    )
    response = bearer_client(enrolled.users["resident"]).get("/api/v1/visits/due")
    assert response.status_code == 403
    assert response.json()["code"] == "visits.forbidden"


def test_record_with_idempotency_key(enrolled):
    w = enrolled
    client = bearer_client(w.users["community_a"])
    url = f"/api/v1/visits/enrolments/{w.enrolment(w.alone).pk}/visits"
    with time_machine.travel(datetime(2026, 11, 1, 1, 0, tzinfo=SH), tick=False):
        payload = {
            "method": "video",
            "visited_at": "2026-10-31T23:30:00+08:00",
            "findings": "精神不错",
        }
        first = client.post(
            url, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-1"
        )
        again = client.post(
            url, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-1"
        )
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["visited_on"] == "2026-10-31"
    assert Visit.objects.count() == 1
    listed = client.get(url).json()
    assert listed["count"] == 1 and listed["items"][0]["method"] == "video"


def test_record_out_of_scope_is_404_and_forbidden_is_403(enrolled):
    w = enrolled
    url = f"/api/v1/visits/enrolments/{w.enrolment(w.alone).pk}/visits"
    other = bearer_client(w.users["community_b"]).post(
        url, {"method": "home"}, content_type="application/json"
    )
    assert other.status_code == 404
    township = bearer_client(w.users["township"]).post(
        url, {"method": "home"}, content_type="application/json"
    )
    assert township.status_code == 403


def test_rate_endpoint(enrolled):
    w = enrolled
    with time_machine.travel(datetime(2026, 11, 1, 1, 0, tzinfo=SH), tick=False):
        bearer_client(w.users["community_b"]).post(
            f"/api/v1/visits/enrolments/{w.enrolment(w.dongshan).pk}/visits",
            {"method": "phone", "visited_at": "2026-11-01T00:30:00+08:00"},
            content_type="application/json",
        )
    county = bearer_client(w.users["county"])
    october = county.get("/api/v1/visits/rate?region=330481001003&period=2026-10").json()
    november = county.get("/api/v1/visits/rate?region=330481001003&period=2026-11").json()
    assert (october["numerator"], october["denominator"]) == (0, 1)
    assert (november["numerator"], november["denominator"], november["value"]) == (1, 1, 1.0)
    empty = county.get("/api/v1/visits/rate?region=330481101000&period=2026-10").json()
    assert empty["denominator"] == 0 and empty["value"] is None
    # Out of scope: 东山 for 南关厢's worker.
    assert (
        bearer_client(w.users["community_a"])
        .get("/api/v1/visits/rate?region=330481001003&period=2026-10")
        .status_code
        == 404
    )
    assert county.get("/api/v1/visits/rate?region=330481001003&period=10-2026").status_code == 422


def test_enrol_assign_end(world):
    w = world
    client = bearer_client(w.users["community_a"])
    created = client.post(
        "/api/v1/visits/enrolments",
        {"resident_id": w.woman.pk, "risk_level": "low", "note": "摸排"},
        content_type="application/json",
    )
    assert created.status_code == 201
    enrolment = created.json()
    assert enrolment["frequency"] == "quarterly" and "assign" in enrolment["actions"]
    assigned = client.post(
        f"/api/v1/visits/enrolments/{enrolment['id']}/assign",
        {"visitor_id": w.users["volunteer"].pk},
        content_type="application/json",
    ).json()
    assert assigned["visitor_kind"] == "volunteer"
    ended = client.post(
        f"/api/v1/visits/enrolments/{enrolment['id']}/end",
        {"reason": "迁居"},
        content_type="application/json",
    ).json()
    assert ended["ended_on"] is not None and ended["actions"] == []


def test_overview_and_override(world):
    township = bearer_client(world.users["township"])
    made = township.post(
        "/api/v1/visits/overrides",
        {
            "region": "330481001000",
            "frequency": "weekly",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-07",
            "reason": "寒潮",
        },
        content_type="application/json",
    )
    assert made.status_code == 201
    refused = bearer_client(world.users["community_a"]).post(
        "/api/v1/visits/overrides",
        {
            "region": "330481001000",
            "frequency": "weekly",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-07",
            "reason": "寒潮",
        },
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert township.get("/api/v1/visits/overview").status_code == 200
    assert (
        bearer_client(world.users["community_a"]).get("/api/v1/visits/overview").status_code == 403
    )
