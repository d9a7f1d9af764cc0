"""Reads of the service menu and orders, scoped to the caller (rules.py says who sees what):
a community's menu with the places left, the offerings a user manages, the orders a user may
see, one order, and satisfaction figures (aggregated in the database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Avg, Case, Count, DateField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import NotFound
from wushe.regions import codes

from . import rules
from .models import (
    HOLDING_STATUSES,
    OrderStatus,
    Period,
    ServiceOffering,
    ServiceOrder,
    period_start,
)


def _offerings() -> QuerySet[ServiceOffering]:
    return ServiceOffering.objects.select_related(
        "region", "category", "organization", "team", "station"
    )


def with_places(qs: QuerySet[ServiceOffering], on: date) -> QuerySet[ServiceOffering]:
    """Annotate `taken`: the places held in the capacity period containing `on`, counted by
    the database (each offering's period decides which period start applies)."""
    start = Case(
        *(When(period=p, then=Value(period_start(p, on))) for p in Period.values),
        output_field=DateField(),
    )
    return qs.annotate(
        taken=Count(
            "orders",
            filter=Q(orders__status__in=HOLDING_STATUSES, orders__period_start=start),
        )
    )


def community_menu(*, community: str, on: date, category: str = "") -> QuerySet[ServiceOffering]:
    """The active offerings on the menu of a community (its own, its township's, its
    county's), available on `on`, with `taken` places in the period of `on`."""
    chain = [*codes.ancestor_codes(community), community]
    qs = _offerings().filter(region_id__in=chain, active=True)
    qs = qs.filter(Q(available_until__isnull=True) | Q(available_until__gte=on))
    if category:
        qs = qs.filter(category__code=category)
    return with_places(qs, on).order_by("category__order", "title", "id")


def offerings_visible(*, user: Any) -> QuerySet[ServiceOffering]:
    if NATIONWIDE in scope_prefixes(user, WORKER_ROLES):
        return _offerings()
    if not getattr(user, "is_authenticated", False):
        return _offerings().none()
    return _offerings().filter(rules.menu_q(user) | rules.provider_q(user))


def offerings_managed(*, user: Any) -> QuerySet[ServiceOffering]:
    """What the user may edit: offerings they provide and those in their writer scope."""
    if NATIONWIDE in scope_prefixes(user, WRITER_ROLES):
        return _offerings()
    if not getattr(user, "is_authenticated", False):
        return _offerings().none()
    return _offerings().filter(scope_q(user, "region", WRITER_ROLES) | rules.provider_q(user))


def offering_get(*, user: Any, offering_id: int) -> ServiceOffering:
    offering = _offerings().filter(pk=offering_id).first()
    if offering is None or not rules.may_view_offering(user, offering):
        raise NotFound()
    return offering


# --- orders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilter:
    status: str = ""
    offering: int | None = None
    community: str = ""  # significant prefix
    mine: bool = False  # only the caller's own orders (as resident or orderer)


def _orders() -> QuerySet[ServiceOrder]:
    return ServiceOrder.objects.select_related(
        "region",
        "resident",
        "offering",
        "offering__category",
        "offering__organization",
        "offering__team",
        "offering__station",
    )


def own_q(user: Any) -> Q:
    uid = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if uid is None:
        return Q(pk__in=[])
    return Q(resident__user_id=uid) | Q(ordered_by_id=uid)


def orders_visible(*, user: Any) -> QuerySet[ServiceOrder]:
    """Residents their own; provider staff their organisation's; workers their region's."""
    if NATIONWIDE in scope_prefixes(user, WORKER_ROLES):
        return _orders()
    if not getattr(user, "is_authenticated", False):
        return _orders().none()
    return _orders().filter(
        scope_q(user, "region", WORKER_ROLES) | own_q(user) | rules.provider_q(user, "offering__")
    )


def order_search(*, user: Any, filters: OrderFilter) -> QuerySet[ServiceOrder]:
    qs = orders_visible(user=user)
    if filters.mine:
        qs = qs.filter(own_q(user))
    if filters.status == "open":
        qs = qs.filter(
            status__in=[OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.SCHEDULED]
        )
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.offering:
        qs = qs.filter(offering_id=filters.offering)
    if filters.community:
        low, high = codes.scope_range(filters.community)
        qs = qs.filter(region_id__gte=low, region_id__lte=high)
    return qs


def order_get(*, user: Any, order_id: int) -> ServiceOrder:
    order = _orders().filter(pk=order_id).first()
    if order is None or not rules.may_view_order(user, order):
        raise NotFound()
    return order


@dataclass(frozen=True)
class Satisfaction:
    rated: int
    average: float | None  # display only; the figures behind it are integers
    good: int  # ratings of 4 or 5

    @property
    def good_share(self) -> float | None:
        return self.good / self.rated if self.rated else None


def satisfaction(qs: QuerySet[ServiceOrder]) -> Satisfaction:
    """Average rating and the number rated 4–5, over rated orders of `qs` (one query)."""
    row = qs.filter(status=OrderStatus.RATED).aggregate(
        rated=Count("pk"),
        average=Avg("rating"),
        good=Coalesce(Count("pk", filter=Q(rating__gte=4)), 0),
    )
    avg = row["average"]
    return Satisfaction(
        rated=row["rated"], average=float(avg) if avg is not None else None, good=row["good"]
    )


def status_counts(qs: QuerySet[ServiceOrder]) -> dict[str, int]:
    rows = qs.order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(OrderStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts
