"""Races on PostgreSQL: two workers enrolling the same resident at once make one enrolment
(the other is told it exists), and visits recorded at once by several visitors all count and
leave the latest day as the last visit."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from wushe.core.errors import Conflict
from wushe.testing import NANGUANXIANG, ensure_default_terms, ensure_haining_regions, make_user
from wushe.visits import services
from wushe.visits.models import Enrolment, Visit

from .conftest import make_resident

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            try:
                outcome: Any = work(i)
            except Exception as exc:
                outcome = exc
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_manual_enrolment_makes_one():
    ensure_haining_regions()
    ensure_default_terms()
    workers = [make_user(f"w{i}", "community_worker", NANGUANXIANG) for i in range(6)]
    resident = make_resident("李阿姨", NANGUANXIANG, "left_behind_woman")
    results = _race(
        6,
        lambda i: services.enrolment_create(
            resident_id=resident.pk, risk_level="low", actor=workers[i]
        ),
    )
    assert Enrolment.objects.filter(resident=resident).count() == 1
    assert sum(isinstance(r, Enrolment) for r in results) == 1
    assert all(isinstance(r, Enrolment | Conflict) for r in results), results


def test_concurrent_visits_all_count():
    ensure_haining_regions()
    ensure_default_terms()
    workers = [make_user(f"v{i}", "community_worker", NANGUANXIANG) for i in range(5)]
    resident = make_resident("钱奶奶", NANGUANXIANG, "alone_elder")
    services.enrolments_sync(today=date.today() - timedelta(days=30))
    enrolment = Enrolment.objects.get(resident=resident)
    now = timezone.now()
    moments: list[datetime] = [now - timedelta(days=d) for d in range(5)]
    results = _race(
        5,
        lambda i: services.visit_record(
            enrolment_id=enrolment.pk, method="home", visited_at=moments[i], actor=workers[i]
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Visit.objects.count() == 5
    enrolment.refresh_from_db()
    assert enrolment.last_visited_on == timezone.localdate(now)
