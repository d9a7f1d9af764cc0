"""Every order transition against every role: allowed, forbidden (403, the order is seen) or
not found (404, the order is outside the role's reach)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from wushe.core.errors import NotFound, PermissionDenied
from wushe.menu import services
from wushe.menu.models import OrderStatus

from .conftest import TODAY

pytestmark = pytest.mark.django_db
WHEN = timezone.make_aware(datetime(2026, 3, 4, 9, 30))
OK, DENIED, HIDDEN = "ok", PermissionDenied, NotFound
ROLES = [
    "resident",
    "other_resident",
    "org_staff",
    "other_org",
    "community_a",
    "community_b",
    "township",
    "county",
    "auditor",
    "volunteer",
]
PROVIDER_RULE = {
    "resident": DENIED,
    "other_resident": HIDDEN,
    "org_staff": OK,
    "other_org": HIDDEN,
    "community_a": OK,
    "community_b": HIDDEN,
    "township": OK,
    "county": OK,
    "auditor": DENIED,
    "volunteer": HIDDEN,
}
EXPECTED = {
    "confirm": PROVIDER_RULE,
    "decline": PROVIDER_RULE,
    "schedule": PROVIDER_RULE,
    "deliver": PROVIDER_RULE,
    "rate": {
        **PROVIDER_RULE,
        "resident": OK,
        "org_staff": DENIED,
        "community_a": DENIED,
        "township": DENIED,
        "county": DENIED,
    },
    "cancel": {**PROVIDER_RULE, "resident": OK},
}
# The state each action starts from.
SETUP = {
    "confirm": [],
    "decline": [],
    "cancel": [],
    "schedule": ["confirm"],
    "deliver": ["confirm", "schedule"],
    "rate": ["confirm", "schedule", "deliver"],
}
RESULT = {
    "confirm": OrderStatus.CONFIRMED,
    "decline": OrderStatus.DECLINED,
    "schedule": OrderStatus.SCHEDULED,
    "deliver": OrderStatus.DELIVERED,
    "rate": OrderStatus.RATED,
    "cancel": OrderStatus.CANCELLED,
}


def run(action: str, order_id: int, actor) -> None:
    call = {
        "confirm": lambda: services.order_confirm(order_id=order_id, actor=actor),
        "decline": lambda: services.order_decline(order_id=order_id, actor=actor, reason="满员"),
        "schedule": lambda: services.order_schedule(order_id=order_id, actor=actor, when=WHEN),
        "deliver": lambda: services.order_deliver(order_id=order_id, actor=actor),
        "rate": lambda: services.order_rate(order_id=order_id, actor=actor, rating=4),
        "cancel": lambda: services.order_cancel(order_id=order_id, actor=actor, reason="有事"),
    }[action]
    call()


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_action_by_role(world, action, role):
    order, _ = services.order_create(
        actor=world.users["resident"],
        offering_id=world.offering.pk,
        service_date=TODAY + timedelta(days=2),
    )
    for step in SETUP[action]:
        run(step, order.pk, world.users["org_staff"])
    before = order.__class__.objects.get(pk=order.pk).status
    expected = EXPECTED[action][role]
    if expected == OK:
        run(action, order.pk, world.users[role])
        order.refresh_from_db()
        assert order.status == RESULT[action]
    else:
        with pytest.raises(expected):
            run(action, order.pk, world.users[role])
        order.refresh_from_db()
        assert order.status == before
