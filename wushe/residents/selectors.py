"""Scoped reads of the residents register.

Speed with a province-sized register (1,000,000 residents; target p95 < 200 ms for a list
page on PostgreSQL): every list is ordered by (region, name, id), which the index
`resident_region_name` serves, so a page is one index range scan over the user's code range with
LIMIT; counts are capped (`core.paging`); exact searches (ID number, phone) use the hash
indexes; tags of a page come in one extra query (prefetch of current tags), never one per row."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from wushe.accounts.roles import WORKER_ROLES, Role
from wushe.accounts.scoping import NATIONWIDE, get_in_scope, has_role, scope_prefixes, scope_q
from wushe.core.errors import DomainError, NotFound
from wushe.core.identifiers import parse_id_number, parse_phone
from wushe.core.personal import id_number_hash, phone_hash
from wushe.regions import codes

from .models import Household, Resident, ResidentStatus, ResidentTag, Tag
from .rules import is_sensitive, sensitive_scope_q


@dataclass(frozen=True)
class ResidentFilter:
    region: str = ""  # significant prefix of a community/township/county (scope_range)
    name: str = ""  # part of the name
    id_number: str = ""  # a normalised 18-character ID number: exact match by hash
    phone: str = ""  # E.164: exact match by hash
    tag: str = ""  # a Tag value: residents with that tag current
    age_min: int | None = None
    age_max: int | None = None
    status: str = ResidentStatus.ACTIVE  # "" = every status
    household: int | None = None


def filters_from_params(params: Mapping[str, str]) -> ResidentFilter:
    """A ResidentFilter from query parameters as the list page sends them (the export link
    passes them on). Lenient: a value that does not parse is ignored."""
    values: dict[str, Any] = {}
    region = (params.get("region") or "").strip()
    if region:
        with contextlib.suppress(DomainError):
            values["region"] = codes.significant_prefix(codes.normalize(region))
    values["name"] = (params.get("name") or "").strip()[:50]
    if params.get("id_number"):
        with contextlib.suppress(DomainError):
            values["id_number"] = parse_id_number(params["id_number"]).number
    if params.get("phone"):
        with contextlib.suppress(DomainError):
            values["phone"] = parse_phone(params["phone"])
    if params.get("tag") in Tag.values:
        values["tag"] = params["tag"]
    for key in ("age_min", "age_max"):
        raw = (params.get(key) or "").strip()
        if raw.isdigit():
            values[key] = int(raw)
    status = params.get("status") or ResidentStatus.ACTIVE
    if status == "all":
        values["status"] = ""
    elif status in ResidentStatus.values:
        values["status"] = status
    return ResidentFilter(**values)


def current_tags_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "tags",
        queryset=ResidentTag.objects.filter(end_date__isnull=True).order_by("start_date", "id"),
        to_attr="current_tags",
    )


def _visible_q(user: Any) -> Q | None:
    """Residents the user may see: the WORKER_ROLES scope, plus their own records for users
    with the resident role. None means everything (nationwide). The own-record branch is added
    only for residents: an OR on `user_id` would stop a worker's list from being one ordered
    index range scan."""
    prefixes = scope_prefixes(user, WORKER_ROLES)
    if NATIONWIDE in prefixes:
        return None
    own = Q(user=user) if has_role(user, Role.RESIDENT) else None
    if not prefixes:
        return own if own is not None else Q(pk__in=[])
    in_regions = scope_q(user, "region", WORKER_ROLES)
    return in_regions | own if own is not None else in_regions


def residents_visible(*, user: Any) -> QuerySet[Resident]:
    q = _visible_q(user)
    qs = Resident.objects.all() if q is None else Resident.objects.filter(q)
    return qs.select_related("region", "household")


def birth_date_bounds(
    age_min: int | None, age_max: int | None, today: date
) -> tuple[date | None, date | None]:
    """(born on or after, born on or before) for completed ages in [age_min, age_max]."""
    earliest = latest = None
    if age_max is not None:
        # Age <= age_max  <=>  born after the day age_max + 1 years ago.
        earliest = _years_before(today, age_max + 1) + timedelta(days=1)
    if age_min is not None:
        latest = _years_before(today, age_min)
    return earliest, latest


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year: the birthday counts from 1 March
        return day.replace(year=day.year - years, month=3, day=1) - timedelta(days=1)


def resident_search(*, user: Any, filters: ResidentFilter) -> QuerySet[Resident]:
    """The register list as the user may see it, filtered, in (region, name, id) order, with
    current tags prefetched (`resident.current_tags`)."""
    qs = residents_visible(user=user)
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region__gte=low, region__lte=high)
    if filters.name:
        # A prefix match ("王" finds every 王…, "王秀" every 王秀…) is what a worker types and
        # uses the name index; "contains" would scan a province's register.
        qs = qs.filter(name__startswith=filters.name.strip())
    if filters.id_number:
        qs = qs.filter(id_number_hash=id_number_hash(filters.id_number))
    if filters.phone:
        qs = qs.filter(phone_hash=phone_hash(filters.phone))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.household is not None:
        qs = qs.filter(household_id=filters.household)
    if filters.age_min is not None or filters.age_max is not None:
        earliest, latest = birth_date_bounds(filters.age_min, filters.age_max, timezone.localdate())
        if earliest:
            qs = qs.filter(birth_date__gte=earliest)
        if latest:
            qs = qs.filter(birth_date__lte=latest)
    if filters.tag:
        qs = qs.filter(pk__in=_tagged(user, filters).values("resident_id"))
        if is_sensitive(filters.tag):
            # A sensitive tag is searchable only where the user may see it (rules.py).
            qs = qs.filter(sensitive_scope_q(user, "region"))
    return qs.prefetch_related(current_tags_prefetch()).order_by("region_id", "name", "id")


def _tagged(user: Any, filters: ResidentFilter) -> QuerySet[ResidentTag]:
    """Current tags of the kind, narrowed by the tag rows' own region column (copied from the
    resident for this): the index (tag, end_date, region) finds the few tagged residents of a
    scope without walking every resident of it. The outer query applies the real scope."""
    tagged = ResidentTag.objects.filter(tag=filters.tag, end_date__isnull=True)
    if filters.region:
        low, high = codes.scope_range(filters.region)
        tagged = tagged.filter(region__gte=low, region__lte=high)
    if not has_role(user, Role.RESIDENT):
        tagged = tagged.filter(scope_q(user, "region", WORKER_ROLES))
    return tagged


def resident_get(*, user: Any, pk: int) -> Resident:
    """One resident the user may see, or NotFound (also outside the scope)."""
    resident = residents_visible(user=user).filter(pk=pk).first()
    if resident is None:
        raise NotFound()
    return resident


def resident_own_records(*, user: Any) -> QuerySet[Resident]:
    if not getattr(user, "is_authenticated", False):
        return Resident.objects.none()
    return (
        Resident.objects.filter(user=user)
        .select_related("region", "household")
        .order_by("-status", "region_id", "id")
    )


def resident_tags(*, resident: Resident) -> QuerySet[ResidentTag]:
    """Every tag of the resident, current and ended, oldest first (visibility: rules.tag_views)."""
    return ResidentTag.objects.filter(resident=resident).order_by("start_date", "id")


def household_members(*, household: Household) -> QuerySet[Resident]:
    return household.members.select_related("region").order_by("-status", "name", "id")


def households_visible(*, user: Any) -> QuerySet[Household]:
    return Household.objects.filter(scope_q(user, "region", WORKER_ROLES)).select_related(
        "region", "head"
    )


def household_search(*, user: Any, region: str = "", number: str = "") -> QuerySet[Household]:
    qs = households_visible(user=user)
    if region:
        low, high = codes.scope_range(region)
        qs = qs.filter(region__gte=low, region__lte=high)
    if number:
        qs = qs.filter(number__startswith=number.strip())
    return qs.order_by("region_id", "number", "id")


def household_get(*, user: Any, pk: int) -> Household:
    return get_in_scope(Household.objects.select_related("region", "head"), user, "region", pk=pk)


@dataclass(frozen=True)
class HashMatch:
    pk: int
    region_code: str
    county_code: str
    status: str


def residents_by_id_hash(hashes: Iterable[str], *, batch: int = 2000) -> dict[str, list[HashMatch]]:
    """Every record of the given ID-number hashes, in every county, unscoped: for duplicate
    checks only (services and the import adapter); callers reveal nothing but "registered
    elsewhere" about records outside the user's scope."""
    wanted: Sequence[str] = [h for h in dict.fromkeys(hashes) if h]
    found: dict[str, list[HashMatch]] = {}
    for start in range(0, len(wanted), batch):
        rows = Resident.objects.filter(id_number_hash__in=wanted[start : start + batch])
        for pk, digest, region_code, county_code, status in rows.values_list(
            "pk", "id_number_hash", "region_id", "county_code", "status"
        ):
            found.setdefault(digest, []).append(
                HashMatch(pk=pk, region_code=region_code, county_code=county_code, status=status)
            )
    return found
