"""Capacity under real concurrency (PostgreSQL, one connection per thread): many residents
order the last places at the same moment; never more orders than places."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from wushe.menu import services
from wushe.menu.models import ServiceOrder
from wushe.testing import (
    NANGUANXIANG,
    XIASHI,
    bearer_client,
    ensure_default_terms,
    ensure_haining_regions,
    make_user,
)

from .conftest import resident_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _offering(capacity: int) -> Any:
    staff = make_user("provider", "org_staff", XIASHI)
    organization = staff.grants.get().organization
    return services.offering_create(
        actor=staff,
        region_code=XIASHI,
        provider_kind="organization",
        provider_id=organization.pk,
        spec=services.OfferingSpec(category="elderly_care", title="上门助浴", capacity=capacity),
    )


def _race(clients: list[Any], body: dict[str, Any], key: str = "") -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def post(client: Any, n: int) -> None:
        try:
            barrier.wait()
            extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
            response = client.post("/api/v1/orders", body, content_type="application/json", **extra)
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(clients)
    return results


def test_many_residents_ordering_the_last_places_never_exceed_capacity():
    ensure_haining_regions()
    ensure_default_terms()
    offering = _offering(capacity=3)
    clients = []
    for i in range(12):
        user = make_user(f"racer{i}", "resident", NANGUANXIANG)
        resident_record(f"居民{i}", user, [])
        clients.append(bearer_client(user))
    day = timezone.localdate() + timedelta(days=1)
    body = {"offering": offering.pk, "service_date": day.isoformat()}
    results = _race(clients, body)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 3, results
    assert statuses.count(409) == 9
    assert {b["code"] for s, b in results if s == 409} == {"menu.order.capacity_full"}
    assert ServiceOrder.objects.filter(offering=offering).count() == 3
    assert len(set(ServiceOrder.objects.values_list("resident_id", flat=True))) == 3


def test_one_key_sent_many_times_at_once_takes_one_place():
    ensure_haining_regions()
    ensure_default_terms()
    offering = _offering(capacity=5)
    user = make_user("retrier", "resident", NANGUANXIANG)
    resident_record("重试居民", user, [])
    clients = [bearer_client(user) for _ in range(6)]
    day = timezone.localdate() + timedelta(days=1)
    body = {"offering": offering.pk, "service_date": day.isoformat()}
    results = _race(clients, body, key="order-race-1")
    assert ServiceOrder.objects.count() == 1
    order_id = ServiceOrder.objects.get().pk
    assert {b.get("id") for _s, b in results} == {order_id}
    assert sorted(s for s, _ in results).count(201) == 1
