"""The pages: a resident sees their community's menu and orders; the provider works the
queue; forbidden and foreign orders are not shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from wushe.menu import services
from wushe.menu.models import OrderStatus, ServiceOrder

from .conftest import TODAY, signed_in

pytestmark = pytest.mark.django_db


def test_resident_orders_from_the_menu_page(world):
    client = signed_in(world.users["resident"])
    page = client.get(reverse("menu:browse")).content.decode()
    assert "上门助浴" in page and "南关厢" in page
    response = client.post(
        reverse("menu:order", args=[world.offering.pk]),
        {"service_date": (TODAY + timedelta(days=1)).isoformat(), "idempotency_key": "p-1"},
    )
    assert response.status_code == 302
    order = ServiceOrder.objects.get()
    assert response["Location"] == reverse("menu:order_detail", args=[order.pk])
    # A double tap with the same hidden key does not order twice.
    client.post(
        reverse("menu:order", args=[world.offering.pk]),
        {"service_date": (TODAY + timedelta(days=1)).isoformat(), "idempotency_key": "p-1"},
    )
    assert ServiceOrder.objects.count() == 1
    assert "上门助浴" in client.get(reverse("menu:mine")).content.decode()


def test_tag_restricted_offering_refused_on_the_page(world):
    offering = world.offer(title="独居老人助餐", audience="tagged", eligible_tags=["alone_elder"])
    client = signed_in(world.users["other_resident"])
    page = client.get(reverse("menu:browse")).content.decode()
    assert "独居老人助餐" in page and "您暂不符合条件" in page
    assert (
        "您暂不符合条件"
        not in signed_in(world.users["resident"]).get(reverse("menu:browse")).content.decode()
    )
    response = client.post(
        reverse("menu:order", args=[offering.pk]),
        {"service_date": TODAY.isoformat(), "idempotency_key": "p-2"},
        follow=True,
    )
    assert "仅面向特定困难群体" in response.content.decode()
    assert ServiceOrder.objects.count() == 0


def test_provider_confirms_schedules_delivers_and_resident_rates_on_pages(world):
    order, _ = services.order_create(
        actor=world.users["resident"],
        offering_id=world.offering.pk,
        service_date=TODAY + timedelta(days=1),
    )
    provider = signed_in(world.users["org_staff"])
    queue = provider.get(reverse("menu:orders")).content.decode()
    assert "张阿姨" in queue
    detail = provider.get(reverse("menu:order_detail", args=[order.pk])).content.decode()
    assert "确认接单" in detail and "提交评价" not in detail
    act = lambda who, action, data=None: who.post(  # noqa: E731
        reverse("menu:order_action", args=[order.pk, action]), data or {}
    )
    assert act(provider, "confirm").status_code == 302
    act(provider, "schedule", {"scheduled_for": "2026-03-03T10:00"})
    act(provider, "deliver", {"note": "已助浴"})
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    resident = signed_in(world.users["resident"])
    assert (
        "提交评价" in resident.get(reverse("menu:order_detail", args=[order.pk])).content.decode()
    )
    act(resident, "rate", {"rating": "4", "comment": "很好"})
    order.refresh_from_db()
    assert (order.status, order.rating) == (OrderStatus.RATED, 4)


def test_foreign_orders_are_404_on_pages(world):
    order, _ = services.order_create(
        actor=world.users["resident"], offering_id=world.offering.pk, service_date=TODAY
    )
    for key in ("other_resident", "other_org", "community_b"):
        client = signed_in(world.users[key])
        assert client.get(reverse("menu:order_detail", args=[order.pk])).status_code == 404
        response = client.post(reverse("menu:order_action", args=[order.pk, "confirm"]))
        assert response.status_code == 404
    assert ServiceOrder.objects.get().status == OrderStatus.PLACED


def test_provider_puts_a_service_on_the_menu(world):
    client = signed_in(world.users["org_staff"])
    form = client.get(reverse("menu:offering_create")).content.decode()
    assert world.organization.name in form
    response = client.post(
        reverse("menu:offering_create"),
        {
            "provider": f"organization:{world.organization.pk}",
            "region": world.resident.region_id,
            "category": "health",
            "title": "上门量血压",
            "audience": "everyone",
            "price": "2.50",
            "subsidy": "10",
            "capacity": "12",
            "period": "month",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from wushe.menu.models import ServiceOffering

    created = ServiceOffering.objects.get(title="上门量血压")
    assert (created.price_fen, created.subsidy_fen) == (250, 1000)
    assert "上门量血压" in client.get(reverse("menu:offerings")).content.decode()


def test_pages_closed_to_roles_without_them(world):
    assert signed_in(world.users["volunteer"]).get(reverse("menu:orders")).status_code == 403
    assert signed_in(world.users["resident"]).get(reverse("menu:offerings")).status_code == 403


def test_worker_orders_on_a_residents_behalf_from_the_menu_page(world):
    client = signed_in(world.users["community_a"])
    page = client.get(reverse("menu:browse")).content.decode()
    assert "上门助浴" in page and "居民档案编号" in page
    response = client.post(
        reverse("menu:order", args=[world.offering.pk]),
        {
            "service_date": TODAY.isoformat(),
            "resident_id": str(world.other.pk),
            "idempotency_key": "w-1",
        },
    )
    assert response.status_code == 302
    order = ServiceOrder.objects.get()
    assert order.on_behalf and order.resident == world.other
    # A worker of another community cannot reach that resident.
    other = signed_in(world.users["community_b"])
    other.post(
        reverse("menu:order", args=[world.offering.pk]),
        {
            "service_date": TODAY.isoformat(),
            "resident_id": str(world.resident.pk),
            "idempotency_key": "w-2",
        },
    )
    assert ServiceOrder.objects.count() == 1
