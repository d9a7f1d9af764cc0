"""The ledger rules, one test per rule (domain.md §5)."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from wushe.audit.models import AppendOnlyError, AuditEvent
from wushe.charity.models import CharityStore, StoreItem
from wushe.core.errors import Conflict, NotFound, ValidationFailed
from wushe.testing import NANGUANXIANG
from wushe.timebank import services
from wushe.timebank.models import AccountKind, Balance, Entry, Transfer, TransferKind
from wushe.timebank.verify import ledger_problems

from .conftest import World

DAY = date(2026, 11, 2)


def bal(account: Any) -> int:
    return Balance.objects.get(account=account).amount


def earn(w: World, account: Any, minutes: int, day: date = DAY, **kw: Any) -> Transfer:
    transfer, _created = services.coins_earn(
        account=account, minutes=minutes, value_date=day, actor=w.admin, **kw
    )
    return transfer


def test_earn_one_hour_is_one_coin_and_balances(world: World) -> None:
    transfer = earn(world, world.child, 60)
    assert bal(world.child) == 60  # 60 units = 1 coin
    issuance = services.scheme_account(world.coin, AccountKind.ISSUANCE)
    assert bal(issuance) == -60
    assert sorted(transfer.entries.values_list("amount", flat=True)) == [-60, 60]
    assert AuditEvent.objects.filter(action="timebank.transfer.earn").count() == 1
    assert ledger_problems() == []


def test_daily_cap_credits_up_to_the_cap_then_refuses(world: World) -> None:
    earn(world, world.child, 90)
    second = earn(world, world.child, 90)
    assert second.amount == 30  # cap 2 h a day
    assert bal(world.child) == 120
    with pytest.raises(Conflict) as caught:
        earn(world, world.child, 10)
    assert caught.value.code == "timebank.daily_cap_reached"
    earn(world, world.child, 60, day=date(2026, 11, 3))  # a new day
    assert bal(world.child) == 180


def test_storage_cap_overflow_goes_to_the_community_pool(role_users: dict[str, Any]) -> None:
    from .conftest import build_world

    w = build_world(role_users, storage_cap=100, daily_earn_cap=None)
    earn(w, w.child, 80)
    earn(w, w.child, 60)
    pool = services.pool_for(scheme=w.coin, region_code=NANGUANXIANG)
    assert bal(w.child) == 100
    assert bal(pool) == 40
    assert ledger_problems() == []


def test_gift_only_to_direct_relatives(world: World) -> None:
    earn(world, world.child, 120)
    services.coins_gift(source=world.child, target=world.parent, amount=60, actor=world.admin)
    assert (bal(world.child), bal(world.parent)) == (60, 60)
    with pytest.raises(Conflict) as caught:
        services.coins_gift(source=world.child, target=world.stranger, amount=10, actor=world.admin)
    assert caught.value.code == "timebank.gift.not_relative"


def test_overdraft_is_refused(world: World) -> None:
    earn(world, world.child, 30)
    with pytest.raises(Conflict) as caught:
        services.coins_donate(source=world.child, amount=31, actor=world.admin)
    assert caught.value.code == "timebank.insufficient_balance"
    assert bal(world.child) == 30
    assert Transfer.objects.filter(kind=TransferKind.DONATE).count() == 0


def test_donate_to_pool(world: World) -> None:
    earn(world, world.child, 60)
    services.coins_donate(source=world.child, amount=20, actor=world.admin)
    assert bal(services.pool_for(scheme=world.coin, region_code=NANGUANXIANG)) == 20


def test_redeem_age_gate(world: World) -> None:
    earn(world, world.child, 60)
    with pytest.raises(Conflict) as caught:
        services.coins_redeem(source=world.child, amount=30, actor=world.admin)
    assert caught.value.code == "timebank.redeem.age"
    services.coins_gift(source=world.child, target=world.parent, amount=60, actor=world.admin)
    services.coins_redeem(source=world.parent, amount=60, actor=world.admin)  # born 1948
    assert bal(world.parent) == 0


def test_store_redemption_lowers_stock_and_reversal_restores_it(world: World) -> None:
    store = CharityStore(name="爱心超市")
    store.place(NANGUANXIANG)
    store.save()
    item = StoreItem(store=store, name="大米", unit="袋", points_price=5, stock=2)
    item.place(NANGUANXIANG)
    item.save()
    earn(world, world.child_points, 60)  # 10 points per hour
    transfer, _c = services.coins_redeem(
        source=world.child_points, store_item=item, quantity=2, actor=world.admin
    )
    item.refresh_from_db()
    assert (item.stock, bal(world.child_points)) == (0, 0)
    services.transfer_reverse(transfer=transfer, reason="退货", actor=world.admin)
    item.refresh_from_db()
    assert (item.stock, bal(world.child_points)) == (2, 10)


def test_out_of_stock_is_refused(world: World) -> None:
    store = CharityStore(name="爱心超市")
    store.place(NANGUANXIANG)
    store.save()
    item = StoreItem(store=store, name="大米", unit="袋", points_price=1, stock=1)
    item.place(NANGUANXIANG)
    item.save()
    earn(world, world.child_points, 60)
    with pytest.raises(Conflict) as caught:
        services.coins_redeem(
            source=world.child_points, store_item=item, quantity=2, actor=world.admin
        )
    assert caught.value.code == "timebank.store.out_of_stock"
    assert bal(world.child_points) == 10


def test_exchange_balances_in_both_schemes(world: World) -> None:
    earn(world, world.child, 120)
    transfer, _c = services.coins_exchange(
        source=world.child, target=world.child_points, amount=60, actor=world.admin
    )
    assert bal(world.child) == 60
    assert bal(world.child_points) == 10
    sums: dict[str, int] = {}
    for unit, amount in transfer.entries.values_list("unit", "amount"):
        sums[unit] = sums.get(unit, 0) + amount
    assert sums == {"hn-coin": 0, "hn-points": 0}
    with pytest.raises(ValidationFailed) as caught:
        services.coins_exchange(
            source=world.child, target=world.child_points, amount=7, actor=world.admin
        )
    assert caught.value.code == "timebank.exchange.inexact"
    assert ledger_problems() == []


def test_reversal_negates_and_only_once(world: World) -> None:
    transfer = earn(world, world.child, 60)
    services.transfer_reverse(transfer=transfer, reason="记录有误", actor=world.admin)
    assert bal(world.child) == 0
    with pytest.raises(Conflict) as caught:
        services.transfer_reverse(transfer=transfer, reason="again", actor=world.admin)
    assert caught.value.code == "timebank.reversal.not_allowed"
    # a reversed earn no longer counts toward the daily cap
    earn(world, world.child, 120)
    assert ledger_problems() == []


def test_reversal_of_spent_value_is_refused(world: World) -> None:
    transfer = earn(world, world.child, 60)
    services.coins_donate(source=world.child, amount=60, actor=world.admin)
    with pytest.raises(Conflict) as caught:
        services.transfer_reverse(transfer=transfer, reason="x", actor=world.admin)
    assert caught.value.code == "timebank.insufficient_balance"


def test_idempotency_same_key_same_transfer_other_body_conflict(world: World) -> None:
    earn(world, world.child, 120)
    first, created = services.coins_donate(
        source=world.child, amount=10, actor=world.admin, idempotency_key="k-1"
    )
    again, created_again = services.coins_donate(
        source=world.child, amount=10, actor=world.admin, idempotency_key="k-1"
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert bal(world.child) == 110
    with pytest.raises(Conflict) as caught:
        services.coins_donate(
            source=world.child, amount=11, actor=world.admin, idempotency_key="k-1"
        )
    assert caught.value.code == "idempotency.key_reused"


def test_source_document_is_credited_once(world: World) -> None:
    a = earn(world, world.child, 60, source_ref="record:1")
    b = earn(world, world.child, 60, source_ref="record:1")
    assert a.pk == b.pk and bal(world.child) == 60


def test_scope_and_ownership(world: World, role_users: dict[str, Any]) -> None:
    earn(world, world.child, 60)
    # the volunteer owns the child's account and may spend it
    services.coins_donate(source=world.child, amount=1, actor=role_users["volunteer"])
    for who in ("resident", "community_b", "auditor"):
        with pytest.raises(NotFound):
            services.coins_donate(source=world.child, amount=1, actor=role_users[who])
    with pytest.raises(NotFound):
        services.coins_earn(
            account=world.child, minutes=10, value_date=DAY, actor=role_users["community_b"]
        )
    services.coins_earn(
        account=world.child, minutes=10, value_date=DAY, actor=role_users["community_a"]
    )


def test_entries_are_append_only_in_the_orm(world: World) -> None:
    earn(world, world.child, 60)
    entry = Entry.objects.first()
    assert entry is not None
    with pytest.raises(AppendOnlyError):
        Entry.objects.all().update(amount=1)
    with pytest.raises(AppendOnlyError):
        entry.delete()
    entry.amount = 5
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        Transfer.objects.all().delete()


def test_verify_command_reports_and_rebuild_fixes(world: World) -> None:
    earn(world, world.child, 60)
    out = StringIO()
    call_command("timebank", "verify", stdout=out)
    assert "OK" in out.getvalue()
    Balance.objects.filter(account=world.child).update(amount=7)
    err = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("timebank", "verify", stdout=StringIO(), stderr=err)
    assert exited.value.code == 1
    assert "balance 7 != sum of entries 60" in err.getvalue()
    call_command("timebank", "rebuild-balances", stdout=StringIO())
    assert ledger_problems() == []


def test_optional_expiry_takes_the_oldest_value(role_users: dict[str, Any]) -> None:
    from .conftest import build_world

    w = build_world(role_users, expiry_days=30, daily_earn_cap=None)
    earn(w, w.child, 100, day=date(2026, 1, 1))
    services.coins_donate(source=w.child, amount=40, actor=w.admin)  # spends old value first
    earn(w, w.child, 50, day=date(2026, 3, 1))
    assert services.coins_expire(account=w.child, on=date(2026, 3, 10), actor=w.admin) is not None
    assert bal(w.child) == 50  # the 60 left of January expired
    assert services.coins_expire(account=w.child, on=date(2026, 3, 10), actor=w.admin) is None
    assert services.coins_expire(account=w.parent, on=date(2026, 3, 10), actor=w.admin) is None
    assert ledger_problems() == []


def test_verify_catches_an_unbalanced_transfer_and_unpaired_exchange(world: World) -> None:
    earn(world, world.child, 120)
    exchange, _c = services.coins_exchange(
        source=world.child, target=world.child_other, amount=30, actor=world.admin
    )
    gift, _c = services.coins_gift(
        source=world.child, target=world.parent, amount=10, actor=world.admin
    )
    # Inserting is the one thing append-only allows: forge a stray leg on each transfer.
    for transfer in (gift, exchange):
        stray = Entry(transfer=transfer, account=world.parent, amount=5, unit="hn-coin")
        stray.place(world.parent.region_id)
        stray.save()
    problems = "\n".join(ledger_problems())
    assert f"transfer {gift.pk}: entries in hn-coin sum to 5, not 0" in problems
    assert f"account {world.parent.pk}: balance 10 != sum of entries 20" in problems
    clearing = services.scheme_account(world.coin, AccountKind.CLEARING)
    rogue = Entry(transfer=exchange, account=clearing, amount=-5, unit="hn-coin")
    rogue.place(clearing.region_id)
    rogue.save()
    assert f"exchange {exchange.pk}: legs are not paired" in "\n".join(ledger_problems())
