"""`wushe timebank verify`: every invariant of the ledger (models.py docstring), checked with
set-based queries. Returns a list of human-readable problems; empty means the ledger holds."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Sum

from .models import NEGATIVE_ALLOWED, Account, AccountKind, Balance, Entry, Transfer, TransferKind


def ledger_problems(limit: int = 100) -> list[str]:
    problems: list[str] = []

    # 1. Each transfer sums to zero per unit.
    for row in (
        Entry.objects.values("transfer_id", "unit")
        .annotate(s=Sum("amount"))
        .exclude(s=0)
        .order_by("transfer_id")[:limit]
    ):
        problems.append(
            f"transfer {row['transfer_id']}: entries in {row['unit']} sum to {row['s']}, not 0"
        )

    # Every transfer has entries; every entry is in its account's unit and region.
    for pk in (
        Transfer.objects.annotate(n=Count("entries"))
        .filter(n=0)
        .values_list("pk", flat=True)[:limit]
    ):
        problems.append(f"transfer {pk}: has no entries")
    accounts = {
        a.pk: a
        for a in Account.objects.select_related("scheme").only(
            "pk", "kind", "region_id", "scheme__code"
        )
    }
    bad_unit = 0
    for entry_id, account_id, unit, region_id in Entry.objects.values_list(
        "pk", "account_id", "unit", "region_id"
    ).iterator():
        account = accounts[account_id]
        if unit != account.scheme.code or region_id != account.region_id:
            bad_unit += 1
            if bad_unit <= limit:
                problems.append(f"entry {entry_id}: unit/region differ from account {account_id}")

    # 2. Exchanges: exactly two units, each with one clearing leg (the pairing).
    legs: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for transfer_id, unit, kind, amount in Entry.objects.filter(
        transfer__kind=TransferKind.EXCHANGE
    ).values_list("transfer_id", "unit", "account__kind", "amount"):
        legs[transfer_id].append((unit, kind, amount))
    for transfer_id, rows in sorted(legs.items())[: limit * 10]:
        units = {u for u, _k, _a in rows}
        clearing = [(u, a) for u, k, a in rows if k == AccountKind.CLEARING]
        if len(units) != 2 or len(clearing) != 2 or {u for u, _a in clearing} != units:
            problems.append(f"exchange {transfer_id}: legs are not paired through clearing")
        elif not any(a > 0 for _u, a in clearing) or not any(a < 0 for _u, a in clearing):
            problems.append(f"exchange {transfer_id}: clearing legs do not go in and out")

    # Reversals negate their original exactly.
    for reversal in Transfer.objects.filter(kind=TransferKind.REVERSAL).iterator():
        if reversal.reverses_id is None:
            problems.append(f"reversal {reversal.pk}: reverses nothing")
            continue
        mine = sorted(reversal.entries.values_list("account_id", "amount"))
        original = sorted(
            (a, -x)
            for a, x in Entry.objects.filter(transfer_id=reversal.reverses_id).values_list(
                "account_id", "amount"
            )
        )
        if mine != original:
            problems.append(
                f"reversal {reversal.pk}: does not negate transfer {reversal.reverses_id}"
            )

    # 3. Balances equal the sum of entries; 4. none negative where forbidden.
    sums = dict(
        Entry.objects.values("account_id")
        .annotate(s=Sum("amount"))
        .values_list("account_id", "s")
        .order_by()
    )
    balances = dict(Balance.objects.values_list("account_id", "amount"))
    for account_id, account in sorted(accounts.items()):
        total = sums.get(account_id) or 0
        if account_id not in balances:
            problems.append(f"account {account_id}: has no balance row")
        elif balances[account_id] != total:
            problems.append(
                f"account {account_id}: balance {balances[account_id]} != sum of entries {total}"
            )
        if total < 0 and account.kind not in NEGATIVE_ALLOWED:
            problems.append(f"account {account_id}: negative ({total}) but may not be")
    return problems
