"""Scoped reads of charity resources. Totals are SQL aggregates over the donation ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, ExtractYear

from wushe.accounts.scoping import (
    NATIONWIDE,
    get_in_scope,
    in_scope,
    scope_filter,
    scope_prefixes,
    scope_q,
)
from wushe.core.errors import NotFound
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.regions.models import Region

from .models import (
    CharityFund,
    CharityStore,
    Donation,
    Donor,
    FundStatus,
    StoreItem,
)
from .rules import READ_ROLES, shopper_store_regions


def _sum_of(column: str, **lookup: Any) -> Any:
    """Coalesce(SUM(column), 0) of the donations matching `lookup` (with OuterRef), as a
    correlated subquery: no GROUP BY on the outer query, so it pages and counts cheaply."""
    sums = (
        Donation.objects.filter(**lookup)
        .order_by()
        .values(*lookup.keys())
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(sums, output_field=IntegerField()), Value(0))


# --- Funds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundFilter:
    status: str = ""
    kind: str = ""
    region: str = ""  # significant prefix
    q: str = ""


def funds_visible(*, user: Any) -> QuerySet[CharityFund]:
    return scope_filter(
        CharityFund.objects.select_related("region", "managing_org"), user, "region", READ_ROLES
    ).prefetch_related("purposes")


def funds_with_totals(*, user: Any, filters: FundFilter | None = None) -> QuerySet[CharityFund]:
    """Funds in scope, each with `received_fen` (net money) and `goods_value_fen`."""
    filters = filters or FundFilter()
    qs = funds_visible(user=user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region__gte=low, region__lte=high)
    if filters.q:
        qs = qs.filter(name__contains=filters.q.strip())
    return qs.annotate(
        received_fen=_sum_of("amount_fen", fund=OuterRef("pk")),
        goods_value_fen=_sum_of("estimated_value_fen", fund=OuterRef("pk")),
    ).order_by("region", "name", "id")


def fund_get(*, user: Any, pk: int) -> CharityFund:
    return get_in_scope(funds_visible(user=user), user, "region", READ_ROLES, pk=pk)


def funds_open_for_donations(*, user: Any) -> QuerySet[CharityFund]:
    return funds_visible(user=user).filter(status=FundStatus.ACTIVE)


@dataclass(frozen=True)
class YearTotal:
    year: int
    received_fen: int
    goods_value_fen: int
    donations: int


@dataclass(frozen=True)
class FundTotals:
    received_fen: int = 0
    goods_value_fen: int = 0
    donations: int = 0  # originals not reversed
    by_year: list[YearTotal] = field(default_factory=list)


def _totals_of(entries: QuerySet[Donation]) -> dict[str, int]:
    row = entries.order_by().aggregate(
        received=Coalesce(Sum("amount_fen"), 0),
        goods=Coalesce(Sum("estimated_value_fen"), 0),
        originals=Count("id", filter=Q(reverses__isnull=True)),
        reversals=Count("id", filter=Q(reverses__isnull=False)),
    )
    return {
        "received_fen": int(row["received"]),
        "goods_value_fen": int(row["goods"]),
        "donations": int(row["originals"]) - int(row["reversals"]),
    }


def fund_totals(*, fund: CharityFund) -> FundTotals:
    """Net money received, goods value and live donation count, overall and per calendar year
    of `received_on` (a reversal carries its original's date, so it corrects that year)."""
    entries = Donation.objects.filter(county_code=fund.county_code, fund=fund)
    # Typed loosely: django-stubs cannot follow values().annotate() with filtered aggregates.
    rows: Any = (
        entries.order_by()
        .annotate(year=ExtractYear("received_on"))
        .values("year")
        .annotate(
            received=Coalesce(Sum("amount_fen"), 0),
            goods=Coalesce(Sum("estimated_value_fen"), 0),
            originals=Count("id", filter=Q(reverses__isnull=True)),
            reversed_entries=Count("id", filter=Q(reverses__isnull=False)),
        )
        .order_by("-year")
    )
    by_year = [
        YearTotal(
            year=int(row["year"]),
            received_fen=int(row["received"]),
            goods_value_fen=int(row["goods"]),
            donations=int(row["originals"]) - int(row["reversed_entries"]),
        )
        for row in rows
    ]
    return FundTotals(**_totals_of(entries), by_year=by_year)


def fund_ledger(*, fund: CharityFund) -> QuerySet[Donation]:
    """The fund's donations, newest first, each with `running_fen`: the net money received up
    to and including that entry, in ledger order (received_on, recorded_at, id)."""
    ledger_order = [F("received_on").asc(), F("recorded_at").asc(), F("id").asc()]
    return (
        Donation.objects.filter(county_code=fund.county_code, fund=fund)
        .select_related("donor", "purpose", "reverses", "recorded_by")
        .annotate(
            running_fen=Window(Sum("amount_fen"), order_by=ledger_order),
            running_goods_fen=Window(Sum("estimated_value_fen"), order_by=ledger_order),
            reversed=Exists(
                Donation.objects.filter(county_code=fund.county_code, reverses=OuterRef("pk"))
            ),
        )
        .order_by("-received_on", "-recorded_at", "-id")
    )


# --- Donors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DonorFilter:
    kind: str = ""
    q: str = ""
    region: str = ""


def donors_visible(*, user: Any) -> QuerySet[Donor]:
    return scope_filter(Donor.objects.select_related("region"), user, "region", READ_ROLES)


def donor_search(*, user: Any, filters: DonorFilter | None = None) -> QuerySet[Donor]:
    """Donors in scope with `given_fen` (net money given) and `gifts` (live donations)."""
    filters = filters or DonorFilter()
    qs = donors_visible(user=user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(name__contains=filters.q.strip())
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region__gte=low, region__lte=high)
    return qs.annotate(
        given_fen=_sum_of("amount_fen", donor=OuterRef("pk")),
        goods_value_fen=_sum_of("estimated_value_fen", donor=OuterRef("pk")),
    ).order_by("name", "id")


def donor_get(*, user: Any, pk: int) -> Donor:
    return get_in_scope(donors_visible(user=user), user, "region", READ_ROLES, pk=pk)


def donors_for_target(*, user: Any, county_code: str) -> QuerySet[Donor]:
    """Donors who may give to a fund or store of `county_code` (same county), in scope."""
    return donors_visible(user=user).filter(county_code=county_code).order_by("name", "id")


# --- Donations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DonationFilter:
    fund: int | None = None
    donor: int | None = None
    store: int | None = None
    year: int | None = None
    kind: str = ""


def donations_visible(*, user: Any) -> QuerySet[Donation]:
    return scope_filter(
        Donation.objects.select_related("fund", "store", "donor", "purpose", "region"),
        user,
        "region",
        READ_ROLES,
    )


def donation_search(*, user: Any, filters: DonationFilter | None = None) -> QuerySet[Donation]:
    filters = filters or DonationFilter()
    qs = donations_visible(user=user)
    if filters.fund is not None:
        qs = qs.filter(fund_id=filters.fund)
    if filters.donor is not None:
        qs = qs.filter(donor_id=filters.donor)
    if filters.store is not None:
        qs = qs.filter(store_id=filters.store)
    if filters.year is not None:
        qs = qs.filter(received_on__gte=date(filters.year, 1, 1)).filter(
            received_on__lte=date(filters.year, 12, 31)
        )
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    reversal = Donation.objects.filter(county_code=OuterRef("county_code"), reverses=OuterRef("pk"))
    return qs.annotate(is_reversed=Exists(reversal)).order_by("-received_on", "-recorded_at", "-id")


def donation_get(*, user: Any, pk: int) -> Donation:
    return get_in_scope(donations_visible(user=user), user, "region", READ_ROLES, pk=pk)


def donation_totals(*, entries: QuerySet[Donation]) -> dict[str, int]:
    """Net money, goods value and live donation count of any set of ledger entries."""
    return _totals_of(entries)


def is_reversed(*, donation: Donation) -> bool:
    return Donation.objects.filter(
        county_code=donation.county_code, reverses_id=donation.pk
    ).exists()


# --- Stores ----------------------------------------------------------------------------------


def _store_q(user: Any, field_prefix: str = "") -> Q | None:
    """Rows of stores the user sees: workers' scope, plus open stores serving a resident or
    volunteer. None means every store (nationwide scope)."""
    if NATIONWIDE in scope_prefixes(user, READ_ROLES):
        return None
    region = f"{field_prefix}region"
    q = scope_q(user, region, READ_ROLES)
    shopper = shopper_store_regions(user)
    if shopper:
        active = f"{field_prefix}active" if field_prefix else "active"
        q |= Q(**{f"{region}__in": sorted(shopper), active: True})
    return q


def stores_visible(*, user: Any) -> QuerySet[CharityStore]:
    qs = CharityStore.objects.select_related("region", "operator")
    q = _store_q(user)
    return qs if q is None else qs.filter(q)


def store_list(*, user: Any, region: str = "", q: str = "") -> QuerySet[CharityStore]:
    """Stores in scope with `item_count` (listed items) and `stock_total`."""
    qs = stores_visible(user=user)
    if region:
        low, high = codes.scope_range(region)
        qs = qs.filter(region__gte=low, region__lte=high)
    if q:
        qs = qs.filter(name__contains=q.strip())
    items = StoreItem.objects.filter(store=OuterRef("pk"), active=True).order_by()
    return qs.annotate(
        item_count=Coalesce(
            Subquery(
                items.values("store").annotate(n=Count("id")).values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        stock_total=Coalesce(
            Subquery(
                items.values("store").annotate(n=Sum("stock")).values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    ).order_by("region", "name", "id")


def store_get(*, user: Any, pk: int) -> CharityStore:
    store = stores_visible(user=user).filter(pk=pk).first()
    if store is None:
        raise NotFound()
    return store


def store_items(*, user: Any, store: CharityStore) -> QuerySet[StoreItem]:
    """Items of a store the user may see: all of them for workers in scope, only listed ones
    for residents and volunteers."""
    qs = StoreItem.objects.filter(county_code=store.county_code, store=store).select_related(
        "store", "source_donation"
    )
    if not in_scope(user, store.region_id, READ_ROLES):
        qs = qs.filter(active=True)
    return qs.order_by("name", "id")


def item_get(*, user: Any, pk: int) -> StoreItem:
    """One item in the user's scope (workers). Residents and volunteers use `store_items`."""
    return get_in_scope(
        StoreItem.objects.select_related("store", "store__region", "source_donation"),
        user,
        "region",
        READ_ROLES,
        pk=pk,
    )


def stores_serving(*, user: Any) -> QuerySet[CharityStore]:
    """Open stores serving the user's community as a resident or volunteer, with their listed
    goods prefetched (the 爱心超市 page)."""
    from django.db.models import Prefetch

    regions = sorted(shopper_store_regions(user))
    return (
        CharityStore.objects.filter(region__in=regions, active=True)
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=StoreItem.objects.filter(active=True).order_by("name", "id"),
                to_attr="listed_items",
            )
        )
        .order_by("-region", "name")
    )


def region_choices(*, user: Any, roles: frozenset[str], levels: set[int]) -> QuerySet[Region]:
    """Regions the user may create records in at the given levels (for form pickers). A very
    wide scope (a province) offers down to townships only, so the list stays usable."""
    qs = scope_filter(Region.objects.filter(level__in=levels), user, "code", roles)
    if qs.count() > 600:
        qs = qs.filter(level__lte=4)
    return qs.order_by("code")


def organizations_in_scope(*, user: Any, roles: frozenset[str]) -> QuerySet[Organization]:
    """Organisations a writer of `roles` may name as a fund's manager or a store's operator:
    registered in a region of the user's scope, or serving one (`coverage`), as the register
    shows them to workers (organizations.selectors). A county-registered agency serving a
    township is then a choice for that township's officer; an organisation of another county
    or province is not."""
    prefixes = scope_prefixes(user, roles)
    if NATIONWIDE in prefixes:
        return Organization.objects.all()
    in_scope_q = scope_q(user, "region_id", roles)
    # A subquery rather than a join: no duplicate rows for an organisation covering several.
    covered = Organization.coverage.through.objects.filter(in_scope_q).values("organization_id")
    return Organization.objects.filter(in_scope_q | Q(pk__in=covered))


def organization_choices(
    *, user: Any, roles: frozenset[str], current: int | None = None
) -> QuerySet[Organization]:
    """`organizations_in_scope` for a form's <select>, plus the organisation already chosen
    (an edit must not silently drop a manager set earlier by a wider scope)."""
    qs = organizations_in_scope(user=user, roles=roles)
    if current is not None:
        qs = qs | Organization.objects.filter(pk=current)
    return qs.only("pk", "name").order_by("name", "pk")
