"""The menu and needs demo steps: a menu in every Haining township, orders that follow the
transition table and never exceed capacity, idempotent, and the demo logins find their
orders and needs."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from wushe.accounts.models import User
from wushe.menu import selectors
from wushe.menu.models import HOLDING_STATUSES, OrderStatus, ServiceOffering, ServiceOrder
from wushe.needs import selectors as need_selectors
from wushe.needs.models import Need

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        sorted(ServiceOffering.objects.values_list("region_id", "title", "provider_kind")),
        sorted(ServiceOrder.objects.values_list("offering__title", "status", "rating")),
        Need.objects.count(),
    )


def test_demo_menu_and_needs():
    call_command("demo", "load", "--seed", "5", "--scale", "0.2")
    first = _snapshot()
    call_command("demo", "load", "--seed", "5", "--scale", "0.2")
    assert _snapshot() == first

    townships = set(ServiceOffering.objects.values_list("region_id", flat=True))
    assert len(townships) == 12  # every township of Haining has a menu
    assert ServiceOrder.objects.filter(status=OrderStatus.RATED).count() >= 20
    over = (
        ServiceOrder.objects.filter(status__in=HOLDING_STATUSES)
        .values("offering_id", "period_start", "offering__capacity")
        .annotate(n=Count("pk"))
        .filter(n__gt=F("offering__capacity"))
    )
    assert not over.exists()
    assert not ServiceOrder.objects.filter(status=OrderStatus.RATED, rating__isnull=True).exists()
    assert not ServiceOrder.objects.filter(
        status__in=[OrderStatus.RATED, OrderStatus.DELIVERED], delivered_at__isnull=True
    ).exists()

    def user(name: str) -> User:
        return User.objects.get(username=name)

    mine = selectors.order_search(
        user=user("demo_resident"), filters=selectors.OrderFilter(mine=True)
    )
    assert {o.status for o in mine} >= {OrderStatus.DELIVERED, OrderStatus.RATED}
    assert selectors.orders_visible(user=user("demo_org")).exists()
    assert need_selectors.need_groups(
        user=user("demo_township"), filters=need_selectors.NeedFilter(status="pending")
    )
