"""Scoped reads of the time bank. A person sees their own accounts (linked login); workers see
the accounts of their region (WORKER_ROLES); anything else is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet, Sum, Window

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import in_scope, scope_filter
from wushe.core.errors import NotFound
from wushe.regions import codes

from .models import Account, Entry, Scheme, SchemeKind


def _accounts() -> QuerySet[Account]:
    return Account.objects.select_related("scheme", "balance")


def accounts_mine(*, user: Any) -> QuerySet[Account]:
    return _accounts().filter(user_id=user.pk).order_by("scheme__code", "pk")


def accounts_in_scope(*, user: Any, scheme: str = "", kind: str = "") -> QuerySet[Account]:
    qs = scope_filter(_accounts(), user, "region", WORKER_ROLES)
    if scheme:
        qs = qs.filter(scheme__code=scheme)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("pk")


def account_get(*, user: Any, account_id: int) -> Account:
    account = _accounts().filter(pk=account_id).first()
    if account is None or not (
        (account.user_id is not None and account.user_id == user.pk)
        or in_scope(user, account.region_id, WORKER_ROLES)
    ):
        raise NotFound(code="timebank.account.not_found")
    return account


def statement(*, account: Account) -> QuerySet[Entry]:
    """The account's entries, newest first, each with the balance after it (`running`)."""
    return (
        Entry.objects.filter(account=account)
        .select_related("transfer")
        .annotate(running=Window(Sum("amount"), order_by=F("id").asc()))
        .order_by("-id")
    )


def scheme_for(region_code: str, kind: str = SchemeKind.COIN) -> Scheme | None:
    """The most specific active scheme of `kind` covering the region (its own or an
    ancestor's), or None."""
    chain = [*codes.ancestor_codes(region_code), region_code]
    found = list(Scheme.objects.filter(region_id__in=chain, kind=kind, active=True))
    if not found:
        return None
    return max(found, key=lambda s: (codes.level_of(s.region_id), -s.pk))


def gift_targets(*, account: Account) -> list[Account]:
    """Accounts of the same scheme held by members of the account holder's household (the
    gift rule itself is checked by the service)."""
    resident = account.resident
    if resident is None or resident.household_id is None:
        return []
    return list(
        Account.objects.filter(
            scheme_id=account.scheme_id,
            kind=account.kind,
            resident__household_id=resident.household_id,
        )
        .exclude(pk=account.pk)
        .order_by("pk")
    )
