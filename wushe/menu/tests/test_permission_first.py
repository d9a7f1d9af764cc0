"""Permission before validation (issue 9): a caller who may not act on an order is refused
(403, or 404 outside their scope) whatever the body says, and nothing changes; a caller who
may act is told what is wrong with the body (422, in Chinese)."""

from __future__ import annotations

import pytest

from wushe.audit.models import AuditEvent
from wushe.menu.models import OrderStatus, ServiceOrder
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db


def _placed(world) -> ServiceOrder:
    client = bearer_client(world.users["resident"])
    response = client.post(
        "/api/v1/orders",
        {"offering": world.offering.pk, "service_date": "2026-03-04"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return ServiceOrder.objects.get(pk=response.json()["id"])


def _decline(user, order: ServiceOrder, body: dict):
    return bearer_client(user).post(
        f"/api/v1/orders/{order.pk}/decline", body, content_type="application/json"
    )


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _written_since(pk: int) -> list[str]:
    """Actions audited since `pk`, less the sign-in's own (a bearer token is audited)."""
    return list(
        AuditEvent.objects.filter(pk__gt=pk)
        .exclude(action__startswith="accounts.")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("outsider", "status"),
    [
        ("resident", 403),  # the orderer may cancel, not decline
        ("auditor", 403),  # sees orders, may not act on them
        ("community_b", 404),  # a community worker of another community
    ],
)
def test_decline_with_an_empty_reason_refuses_an_outsider_before_the_reason(
    world, outsider, status
):
    order = _placed(world)
    before = _last_event()
    response = _decline(world.users[outsider], order, {"reason": ""})
    assert response.status_code == status, response.content
    assert response.json()["code"] != "menu.order.reason.required"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert order.status_reason == ""
    assert _written_since(before) == []


def test_decline_with_an_empty_reason_tells_the_provider_what_is_missing(world):
    order = _placed(world)
    response = _decline(world.users["org_staff"], order, {"reason": "  "})
    assert response.status_code == 422
    assert response.json()["code"] == "menu.order.reason.required"
    assert response.json()["message"] == "请填写原因。"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    response = _decline(world.users["org_staff"], order, {"reason": "本周人手不足"})
    assert response.status_code == 200 and response.json()["status"] == "declined"


def test_an_order_by_a_role_that_never_orders_is_refused_whatever_the_body(world):
    # A volunteer (no resident grant, no worker grant) with an offering that does not exist:
    # refused as a caller, not told about the offering.
    response = bearer_client(world.users["volunteer"]).post(
        "/api/v1/orders",
        {"offering": 999_999, "service_date": "2026-03-04"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "menu.order.forbidden"
    assert not ServiceOrder.objects.exists()


def test_rating_out_of_range_is_refused_for_the_provider_and_explained_to_the_resident(world):
    order = _placed(world)
    staff = bearer_client(world.users["org_staff"])
    for step, body in (
        ("confirm", None),
        ("schedule", {"scheduled_for": "2026-03-04T09:30:00+08:00"}),
        ("deliver", {"note": "已完成"}),
    ):
        assert (
            staff.post(
                f"/api/v1/orders/{order.pk}/{step}",
                body or {},
                content_type="application/json",
            ).status_code
            == 200
        )
    # The schema takes 1–5; the service is called directly for an out-of-range rating.
    from wushe.core.errors import PermissionDenied, ValidationFailed
    from wushe.menu import services

    with pytest.raises(PermissionDenied):
        services.order_rate(order_id=order.pk, actor=world.users["org_staff"], rating=9)
    with pytest.raises(ValidationFailed) as info:
        services.order_rate(order_id=order.pk, actor=world.users["resident"], rating=9)
    assert str(info.value.message) == "请给出 1–5 星的评价。"
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.rating is None
