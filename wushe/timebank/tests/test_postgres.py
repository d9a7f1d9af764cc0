"""What only PostgreSQL can show: the append-only triggers, and that concurrent spends of one
balance never double-spend (row locks in one order, idempotency keys under races)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import DatabaseError, connection, connections, transaction

from wushe.charity.models import CharityStore, StoreItem
from wushe.core.errors import Conflict
from wushe.testing import NANGUANXIANG
from wushe.timebank import services
from wushe.timebank.models import Balance, Transfer, TransferKind
from wushe.timebank.verify import ledger_problems

from .conftest import build_world

pytestmark = pytest.mark.postgres


def run_threads(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db
def test_triggers_refuse_update_and_delete(role_users: dict[str, Any]) -> None:
    w = build_world(role_users)
    transfer, _c = services.coins_earn(
        account=w.child, minutes=60, value_date=date(2026, 11, 2), actor=w.admin
    )
    for sql in (
        "UPDATE timebank_entry SET amount = 1 WHERE transfer_id = %s",
        "DELETE FROM timebank_entry WHERE transfer_id = %s",
        "UPDATE timebank_transfer SET amount = 1 WHERE id = %s",
        "DELETE FROM timebank_transfer WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [transfer.pk])


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_double_spend(role_users: dict[str, Any]) -> None:
    w = build_world(role_users, daily_earn_cap=None)
    services.coins_earn(account=w.child, minutes=100, value_date=date(2026, 11, 2), actor=w.admin)

    def spend(i: int) -> Transfer:
        if i % 2:
            return services.coins_donate(source=w.child, amount=30, actor=w.admin)[0]
        return services.coins_gift(source=w.child, target=w.parent, amount=30, actor=w.admin)[0]

    results, errors = run_threads(8, spend)
    assert len(results) == 3
    assert len(errors) == 5
    assert all(
        isinstance(e, Conflict) and e.code == "timebank.insufficient_balance" for e in errors
    )
    assert Balance.objects.get(account=w.child).amount == 10
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_under_one_key_make_one_transfer(role_users: dict[str, Any]) -> None:
    w = build_world(role_users)
    services.coins_earn(account=w.child, minutes=50, value_date=date(2026, 11, 2), actor=w.admin)

    def twin(i: int) -> tuple[int, bool]:
        t, created = services.coins_donate(
            source=w.child, amount=50, actor=w.admin, idempotency_key="same-key"
        )
        return t.pk, created

    results, errors = run_threads(6, twin)
    assert not errors
    assert len({pk for pk, _c in results}) == 1
    assert sum(1 for _pk, created in results if created) == 1
    assert Transfer.objects.filter(kind=TransferKind.DONATE).count() == 1
    assert Balance.objects.get(account=w.child).amount == 0
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True)
def test_gifts_both_ways_do_not_deadlock(role_users: dict[str, Any]) -> None:
    w = build_world(role_users, daily_earn_cap=None)
    for account in (w.child, w.parent):
        services.coins_earn(
            account=account, minutes=600, value_date=date(2026, 11, 2), actor=w.admin
        )

    def gift(i: int) -> None:
        src, dst = (w.child, w.parent) if i % 2 else (w.parent, w.child)
        for _ in range(10):
            services.coins_gift(source=src, target=dst, amount=1, actor=w.admin)

    _results, errors = run_threads(6, gift)
    assert not errors
    assert Balance.objects.get(account=w.child).amount == 600
    assert Balance.objects.get(account=w.parent).amount == 600
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True)
def test_store_stock_never_below_zero_with_concurrent_buyers(role_users: dict[str, Any]) -> None:
    w = build_world(role_users)
    store = CharityStore(name="爱心超市")
    store.place(NANGUANXIANG)
    store.save()
    item = StoreItem(store=store, name="大米", unit="袋", points_price=1, stock=3)
    item.place(NANGUANXIANG)
    item.save()
    services.coins_earn(
        account=w.child_points, minutes=120, value_date=date(2026, 11, 2), actor=w.admin
    )  # 20 points

    def buy(i: int) -> Transfer:
        return services.coins_redeem(
            source=w.child_points, store_item=item.pk, quantity=1, actor=w.admin
        )[0]

    results, errors = run_threads(6, buy)
    assert len(results) == 3
    assert all(isinstance(e, Conflict) and e.code == "timebank.store.out_of_stock" for e in errors)
    assert StoreItem.objects.get(pk=item.pk).stock == 0
    assert Balance.objects.get(account=w.child_points).amount == 17
    assert ledger_problems() == []
