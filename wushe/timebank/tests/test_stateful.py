"""Property-based test (hypothesis, stateful): random sequences of earns, gifts, donations,
redemptions, exchanges, reversals and replayed idempotency keys, checked after every step
against a model of the balances and against every ledger invariant (`ledger_problems`).

Each example runs in a savepoint on top of one world (schemes, family, stranger) and is
rolled back at teardown, so examples do not see each other's transfers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from wushe.core.errors import Conflict, DomainError
from wushe.testing import DONGSHAN, NANGUANXIANG
from wushe.timebank import services
from wushe.timebank.models import Balance, Entry, Transfer, TransferKind
from wushe.timebank.verify import ledger_problems

from .conftest import World, build_world

DAY0 = date(2026, 11, 2)
CAP = 120  # default daily earning cap: 2 h


def machine_for(w: World) -> type[RuleBasedStateMachine]:
    pool_n = services.pool_for(scheme=w.coin, region_code=NANGUANXIANG)
    pool_d = services.pool_for(scheme=w.coin, region_code=DONGSHAN)
    coin_people = {"parent": w.parent, "child": w.child, "stranger": w.stranger}
    people = st.sampled_from(sorted(coin_people))
    relatives = {frozenset({"parent", "child"})}
    adults = {"parent", "stranger"}  # 60 or older
    pool_of = {"parent": pool_n, "child": pool_n, "stranger": pool_d}
    modeled = [w.parent, w.child, w.stranger, w.child_points, w.child_other, pool_n, pool_d]

    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            # Counts as the test case's own block, so the services' durable atomics may
            # nest in it.
            self.atomic._from_testcase = True  # type: ignore[attr-defined]
            self.atomic.__enter__()
            self.balance: dict[int, int] = defaultdict(int)
            self.earned: dict[tuple[int, date], int] = defaultdict(int)
            # transfer pk → (legs on modeled accounts, (account, day, earned) or None)
            self.open: dict[int, tuple[list[tuple[int, int]], tuple[int, date, int] | None]] = {}
            self.keys: dict[str, tuple[dict[str, Any], int]] = {}
            self.n = 0

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _record(self, transfer: Transfer, earn: tuple[int, date, int] | None = None) -> None:
            legs = [
                (a, x)
                for a, x in transfer.entries.values_list("account_id", "amount")
                if a in {m.pk for m in modeled}
            ]
            for account, amount in legs:
                self.balance[account] += amount
            self.open[transfer.pk] = (legs, earn)

        def _expect(self, code: str | None, call: Any) -> Transfer | None:
            if code is None:
                transfer, created = call()
                assert created
                return transfer  # type: ignore[no-any-return]
            with pytest.raises(DomainError) as caught:
                call()
            assert caught.value.code == code
            return None

        @rule(who=people, minutes=st.integers(1, 150), day=st.integers(0, 2))
        def earn(self, who: str, minutes: int, day: int) -> None:
            account = coin_people[who]
            on = DAY0 + timedelta(days=day)
            room = CAP - self.earned[(account.pk, on)]
            code = "timebank.daily_cap_reached" if room <= 0 else None
            transfer = self._expect(
                code,
                lambda: services.coins_earn(
                    account=account, minutes=minutes, value_date=on, actor=w.admin
                ),
            )
            if transfer is not None:
                assert transfer.amount == min(minutes, room)
                self.earned[(account.pk, on)] += transfer.amount
                self._record(transfer, (account.pk, on, transfer.amount))

        @rule(src=people, dst=people, amount=st.integers(1, 100))
        def gift(self, src: str, dst: str, amount: int) -> None:
            a, b = coin_people[src], coin_people[dst]
            if src == dst:
                code: str | None = "timebank.gift.target"
            elif frozenset({src, dst}) not in relatives:
                code = "timebank.gift.not_relative"
            elif self.balance[a.pk] < amount:
                code = "timebank.insufficient_balance"
            else:
                code = None
            t = self._expect(
                code, lambda: services.coins_gift(source=a, target=b, amount=amount, actor=w.admin)
            )
            if t is not None:
                self._record(t)

        @rule(src=people, amount=st.integers(1, 100), replay=st.booleans())
        def donate(self, src: str, amount: int, replay: bool) -> None:
            a = coin_people[src]
            key = f"k{self.n}"
            self.n += 1
            code = "timebank.insufficient_balance" if self.balance[a.pk] < amount else None
            t = self._expect(
                code,
                lambda: services.coins_donate(
                    source=a, amount=amount, actor=w.admin, idempotency_key=key
                ),
            )
            if t is not None:
                self._record(t)
                assert (
                    Balance.objects.get(account=pool_of[src]).amount
                    == self.balance[pool_of[src].pk]
                )
                if replay:  # a retry returns the same transfer and moves nothing
                    again, created = services.coins_donate(
                        source=a, amount=amount, actor=w.admin, idempotency_key=key
                    )
                    assert (again.pk, created) == (t.pk, False)
                    with pytest.raises(Conflict) as caught:
                        services.coins_donate(
                            source=a, amount=amount + 1, actor=w.admin, idempotency_key=key
                        )
                    assert caught.value.code == "idempotency.key_reused"

        @rule(src=people, amount=st.integers(1, 100))
        def redeem(self, src: str, amount: int) -> None:
            a = coin_people[src]
            if src not in adults:
                code: str | None = "timebank.redeem.age"
            elif self.balance[a.pk] < amount:
                code = "timebank.insufficient_balance"
            else:
                code = None
            t = self._expect(
                code, lambda: services.coins_redeem(source=a, amount=amount, actor=w.admin)
            )
            if t is not None:
                self._record(t)

        @rule(src=people, to_points=st.booleans(), units=st.integers(1, 20))
        def exchange(self, src: str, to_points: bool, units: int) -> None:
            a = coin_people[src]
            target = w.child_points if to_points else w.child_other
            amount = units * 6 if to_points else units
            code = "timebank.insufficient_balance" if self.balance[a.pk] < amount else None
            t = self._expect(
                code,
                lambda: services.coins_exchange(
                    source=a, target=target, amount=amount, actor=w.admin
                ),
            )
            if t is not None:
                self._record(t)

        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            if not self.open:
                return
            pk = data.draw(st.sampled_from(sorted(self.open)))
            legs, earn = self.open[pk]
            after = dict(self.balance)
            for account, amount in legs:
                after[account] = after.get(account, 0) - amount
            code = "timebank.insufficient_balance" if min(after.values(), default=0) < 0 else None
            t = self._expect(
                code,
                lambda: services.transfer_reverse(transfer=pk, reason="更正", actor=w.admin),
            )
            if t is not None:
                del self.open[pk]
                self.balance.update(after)
                if earn is not None:
                    self.earned[(earn[0], earn[1])] -= earn[2]

        @invariant()
        def balances_match_the_model(self) -> None:
            stored = dict(
                Balance.objects.filter(account__in=modeled).values_list("account_id", "amount")
            )
            assert stored == {m.pk: self.balance[m.pk] for m in modeled}

        @invariant()
        def ledger_holds(self) -> None:
            assert ledger_problems() == []
            per_unit: dict[str, int] = defaultdict(int)
            for unit, amount in Entry.objects.values_list("unit", "amount"):
                per_unit[unit] += amount
            assert all(v == 0 for v in per_unit.values())
            assert not Transfer.objects.filter(
                kind=TransferKind.REVERSAL, reverses__isnull=True
            ).exists()

        @initialize()
        def start(self) -> None:
            assert Transfer.objects.count() == 0

    return Ledger


@pytest.mark.django_db
def test_ledger_state_machine(role_users: dict[str, Any]) -> None:
    world = build_world(role_users)
    run_state_machine_as_test(
        machine_for(world),
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
