"""Activities API: a volunteer submits their record, the organiser's community verifies it,
coins arrive; scope and error codes. Session auth (the API accepts the login session too)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client

from wushe.timebank.models import Balance

from .conftest import START

URL = "/api/v1/activities"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_submit_verify_and_queue(setup: dict[str, Any]) -> None:
    volunteer = client_for(setup["volunteer"])
    body = {
        "signed_in_at": START.isoformat(),
        "signed_out_at": (START + timedelta(hours=2)).isoformat(),
        "travel_minutes": 30,
        "content": "助餐",
    }
    created = volunteer.post(
        f"{URL}/{setup['activity'].pk}/records", body, content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    record = created.json()
    assert (record["minutes"], record["status"]) == (90, "submitted")
    queue = client_for(setup["community_a"]).get(f"{URL}/records?status=submitted").json()
    assert [r["id"] for r in queue["items"]] == [record["id"]]
    assert client_for(setup["community_b"]).get(f"{URL}/records").json()["count"] == 0
    denied = client_for(setup["community_b"]).post(f"{URL}/records/{record['id']}/verify")
    assert (denied.status_code, denied.json()["code"]) == (404, "activities.record.not_found")
    own = volunteer.post(f"{URL}/records/{record['id']}/verify")
    assert own.status_code == 404  # a volunteer cannot verify their own record
    done = client_for(setup["community_a"]).post(f"{URL}/records/{record['id']}/verify")
    assert done.status_code == 200
    assert done.json()["status"] == "verified" and done.json()["transfer"] is not None
    assert Balance.objects.get(account__volunteer=setup["vol"]).amount == 90
    fixed = client_for(setup["community_a"]).post(
        f"{URL}/records/{record['id']}/correct", {"reason": "时长有误"}, "application/json"
    )
    assert fixed.status_code == 201 and fixed.json()["minutes"] == -90
    assert Balance.objects.get(account__volunteer=setup["vol"]).amount == 0


def test_bad_times_are_422(setup: dict[str, Any]) -> None:
    response = client_for(setup["volunteer"]).post(
        f"{URL}/{setup['activity'].pk}/records",
        {
            "signed_in_at": START.isoformat(),
            "signed_out_at": (START + timedelta(minutes=20)).isoformat(),
            "travel_minutes": 30,
        },
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (422, "activities.record.minutes")
