"""Raising the same need from the same visit twice at once (PostgreSQL, one connection per
thread) stores one need; both callers get it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from wushe.needs import services
from wushe.needs.models import Need, Source
from wushe.testing import NANGUANXIANG, ensure_default_terms, ensure_haining_regions, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_same_visit_need_raised_concurrently_is_stored_once():
    ensure_haining_regions()
    ensure_default_terms()
    worker = make_user("visitor", "community_worker", NANGUANXIANG)
    barrier = threading.Barrier(6)
    got: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def raise_need() -> None:
        try:
            barrier.wait()
            need = services.need_create(
                region_code=NANGUANXIANG,
                category="elderly_care",
                title="需要助餐",
                source=Source.VISIT,
                source_ref="visit-1",
                actor=worker,
                checked_by_caller=True,
            )
            with lock:
                got.append(need.pk)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_need) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Need.objects.count() == 1
    assert set(got) == {Need.objects.get().pk}
