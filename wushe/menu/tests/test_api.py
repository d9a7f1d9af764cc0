"""The API of the menu and orders: a resident orders with an Idempotency-Key, the provider
walks the order through explicit transition endpoints, scope gives 404."""

from __future__ import annotations

import pytest

from wushe.menu.models import ServiceOrder
from wushe.testing import NANGUANXIANG, bearer_client

pytestmark = pytest.mark.django_db


def _order(client, world, key: str = "o-1", **extra):
    body = {"offering": world.offering.pk, "service_date": "2026-03-04", **extra}
    return client.post(
        "/api/v1/orders", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_menu_of_the_community_shows_places_left(world):
    client = bearer_client(world.users["resident"])
    response = client.get(f"/api/v1/services?community={NANGUANXIANG}")
    assert response.status_code == 200
    item = next(i for i in response.json()["items"] if i["id"] == world.offering.pk)
    assert item["places_left"] == 3
    assert item["provider"]["kind"] == "organization"
    _order(client, world)
    response = client.get(f"/api/v1/services?community={NANGUANXIANG}")
    item = next(i for i in response.json()["items"] if i["id"] == world.offering.pk)
    assert item["places_left"] == 2


def test_order_with_idempotency_key_is_created_once(world):
    client = bearer_client(world.users["resident"])
    first = _order(client, world)
    assert first.status_code == 201, first.content
    assert first.json()["actions"] == ["cancel"]
    again = _order(client, world)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = _order(client, world, note="另一件事")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency.key_reused"
    assert ServiceOrder.objects.count() == 1


def test_transitions_through_the_api(world):
    resident = bearer_client(world.users["resident"])
    provider = bearer_client(world.users["org_staff"])
    order_id = _order(resident, world).json()["id"]
    assert resident.post(f"/api/v1/orders/{order_id}/confirm").status_code == 403
    response = provider.post(f"/api/v1/orders/{order_id}/confirm")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    response = provider.post(
        f"/api/v1/orders/{order_id}/schedule",
        {"scheduled_for": "2026-03-04T09:30:00+08:00"},
        content_type="application/json",
    )
    assert response.json()["status"] == "scheduled"
    response = provider.post(
        f"/api/v1/orders/{order_id}/deliver", {"note": "已完成"}, content_type="application/json"
    )
    assert response.json()["status"] == "delivered"
    assert "rate" in resident.get(f"/api/v1/orders/{order_id}").json()["actions"]
    response = resident.post(
        f"/api/v1/orders/{order_id}/rate",
        {"rating": 5, "comment": "服务很细心"},
        content_type="application/json",
    )
    assert response.json()["rating"] == 5
    response = resident.post(
        f"/api/v1/orders/{order_id}/cancel", {}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "menu.order.invalid_transition"
    satisfaction = provider.get("/api/v1/orders/satisfaction").json()
    assert satisfaction["rated"] == 1 and satisfaction["good_share"] == 1.0


def test_orders_outside_scope_are_404(world):
    order_id = _order(bearer_client(world.users["resident"]), world).json()["id"]
    for key in ("other_resident", "other_org", "community_b", "volunteer"):
        client = bearer_client(world.users[key])
        assert client.get(f"/api/v1/orders/{order_id}").status_code == 404, key
        assert client.post(f"/api/v1/orders/{order_id}/confirm").status_code == 404, key
        assert client.get("/api/v1/orders").json()["count"] == 0, key
    for key in ("org_staff", "community_a", "township", "county"):
        client = bearer_client(world.users[key])
        assert client.get(f"/api/v1/orders/{order_id}").status_code == 200, key
        assert client.get("/api/v1/orders").json()["count"] == 1, key


def test_capacity_full_is_409(world):
    from datetime import timedelta

    from wushe.menu import services
    from wushe.testing import make_user

    from .conftest import TODAY, resident_record

    for i in range(3):
        user = make_user(f"u_full_{i}", "resident", NANGUANXIANG)
        resident_record(f"满{i}", user, [])
        services.order_create(
            actor=user, offering_id=world.offering.pk, service_date=TODAY + timedelta(days=2)
        )
    response = _order(bearer_client(world.users["resident"]), world)
    assert response.status_code == 409
    assert response.json()["code"] == "menu.order.capacity_full"


def test_offering_crud_by_provider(world):
    provider = bearer_client(world.users["org_staff"])
    body = {
        "region": NANGUANXIANG,
        "provider_kind": "organization",
        "provider_id": world.organization.pk,
        "category": "health",
        "title": "上门量血压",
        "audience": "tagged",
        "eligible_tags": ["alone_elder", "empty_nest_elder"],
        "price_fen": 500,
        "subsidy_fen": 1500,
        "capacity": 20,
        "period": "month",
    }
    response = provider.post("/api/v1/services", body, content_type="application/json")
    assert response.status_code == 201, response.content
    offering_id = response.json()["id"]
    assert response.json()["price_fen"] == 500
    response = provider.post(f"/api/v1/services/{offering_id}/pause")
    assert response.json()["active"] is False
    stranger = bearer_client(world.users["other_org"])
    assert stranger.post(f"/api/v1/services/{offering_id}/resume").status_code == 403
    assert bearer_client(world.users["community_b"]).post(
        f"/api/v1/services/{offering_id}/resume"
    ).status_code in (403, 404)


def test_offering_outside_the_menu_is_404_and_update_changes_new_orders_only(world):
    from wushe.menu import services
    from wushe.testing import HAIZHOU

    elsewhere = services.offering_create(
        actor=world.users["county"],
        region_code=HAIZHOU,
        provider_kind="organization",
        provider_id=world.organization.pk,
        spec=services.OfferingSpec(category="health", title="义诊"),
    )
    resident = bearer_client(world.users["resident"])
    assert resident.get(f"/api/v1/services/{elsewhere.pk}").status_code == 404
    assert resident.get(f"/api/v1/services/{world.offering.pk}").status_code == 200
    ids = {i["id"] for i in resident.get("/api/v1/services").json()["items"]}
    assert world.offering.pk in ids and elsewhere.pk not in ids
    order_id = _order(resident, world).json()["id"]
    provider = bearer_client(world.users["org_staff"])
    body = {"category": "elderly_care", "title": "上门助浴", "price_fen": 900, "capacity": 5}
    response = provider.put(
        f"/api/v1/services/{world.offering.pk}", body, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["price_fen"] == 900
    assert resident.get(f"/api/v1/orders/{order_id}").json()["price_fen"] == 0
    assert (
        resident.put(
            f"/api/v1/services/{world.offering.pk}", body, content_type="application/json"
        ).status_code
        == 403
    )


def test_a_retry_after_the_service_date_passed_returns_the_stored_order(world, time_machine):
    client = bearer_client(world.users["resident"])
    first = _order(client, world, key="late-retry", service_date="2026-03-02")
    assert first.status_code == 201
    time_machine.move_to("2026-03-03 09:00:00+08:00", tick=False)
    client = bearer_client(world.users["resident"])  # a fresh sign-in the next day
    again = _order(client, world, key="late-retry", service_date="2026-03-02")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    fresh = _order(client, world, key="new-key", service_date="2026-03-02")
    assert fresh.status_code == 422  # a new order for a past day is refused
