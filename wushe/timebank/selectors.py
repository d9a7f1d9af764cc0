"""Scoped reads of the time bank. A person sees their own accounts (linked login); workers see
the accounts of their region (WORKER_ROLES); anything else is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet, Sum, Window

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, in_scope, scope_filter, scope_prefixes
from wushe.core.errors import NotFound
from wushe.regions import codes

from .models import Account, Entry, Scheme, SchemeKind, Transfer, TransferKind


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


def schemes_in_scope(*, user: Any) -> QuerySet[Scheme]:
    """Schemes a worker may see: those of regions in scope and of their ancestors (a
    community worker sees the county scheme that covers them)."""
    prefixes = scope_prefixes(user, WORKER_ROLES)
    qs = Scheme.objects.select_related("region").order_by("code")
    if NATIONWIDE in prefixes:
        return qs
    codes_seen: set[str] = set()
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(region__code__startswith=prefix)
        full = (prefix + "0" * 12)[:12]
        codes_seen.update(codes.ancestor_codes(full))
    return qs.filter(q | Q(region_id__in=codes_seen))


def scheme_get(*, user: Any, pk: int) -> Scheme:
    scheme = schemes_in_scope(user=user).filter(pk=pk).first()
    if scheme is None:
        raise NotFound(code="timebank.scheme.not_found")
    return scheme


def store_goods(*, account: Account) -> QuerySet[Any]:
    """Charity-store goods a points account can buy: listed items of active stores of the
    holder's community or its township."""
    from wushe.charity.models import StoreItem

    region = account.region_id
    township = region[:9] + "000"
    return (
        StoreItem.objects.filter(
            store__region_id__in={region, township},
            store__active=True,
            active=True,
        )
        .select_related("store")
        .order_by("store__name", "points_price", "name", "pk")
    )


def redemptions(*, account: Account) -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(subject=account, kind=TransferKind.REDEEM)
        .exclude(store_item=None)
        .select_related("store_item", "store_item__store")
        .order_by("-pk")
    )
