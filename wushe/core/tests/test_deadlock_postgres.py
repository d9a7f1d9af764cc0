"""A real deadlock on PostgreSQL: the request's transaction is the one PostgreSQL rolls back,
and the client gets 503 `server.conflict_retry` with Retry-After instead of a 500."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from django.db import connection, transaction

from wushe.accounts.models import User
from wushe.testing import NANGUANXIANG, bearer_client, ensure_haining_regions, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

API_GRANTS = "wushe.accounts.api.selectors.grants_for_display"


def _deadlock_timeout(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL deadlock_timeout = '{value}'")


def test_request_chosen_as_deadlock_victim_answers_503_conflict_retry():
    ensure_haining_regions()
    caller = make_user("caller", "community_worker", NANGUANXIANG)
    first, second = (
        make_user("first", "resident", NANGUANXIANG),
        make_user("second", "resident", NANGUANXIANG),
    )
    request_holds_first = threading.Event()
    other_holds_second = threading.Event()
    other_errors: list[BaseException] = []

    def other_transaction() -> None:
        try:
            with transaction.atomic():
                _deadlock_timeout("10s")  # the request's check runs first: it is the victim
                User.objects.select_for_update().get(pk=second.pk)
                other_holds_second.set()
                assert request_holds_first.wait(10)
                User.objects.select_for_update().get(pk=first.pk)
        except BaseException as exc:
            other_errors.append(exc)
        finally:
            connection.close()

    def locks_in_the_other_order(*args, **kwargs):
        with transaction.atomic():
            _deadlock_timeout("50ms")
            User.objects.select_for_update().get(pk=first.pk)
            request_holds_first.set()
            assert other_holds_second.wait(10)
            User.objects.select_for_update().get(pk=second.pk)
        raise AssertionError("no deadlock")

    client = bearer_client(caller)
    other = threading.Thread(target=other_transaction)
    other.start()
    try:
        with mock.patch(API_GRANTS, side_effect=locks_in_the_other_order):
            response = client.get("/api/v1/me")
    finally:
        other.join(20)
    assert not other_errors, other_errors
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "server.conflict_retry"
    assert "请稍后重试" in response.json()["message"]
