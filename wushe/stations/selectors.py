"""Reads of service stations, scoped to the caller (accounts.scoping)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import NotFound
from wushe.regions import codes
from wushe.socialworkers.models import EmploymentStatus

from .models import ServiceStation, StationKind
from .rules import staff_organization_ids

# The indicator "≥ 2 resident social workers per township station" (domain.md §9).
RESIDENT_STAFF_TARGET = 2


@dataclass(frozen=True)
class StationFilter:
    kind: str = ""
    region: str = ""  # significant prefix, e.g. 330481001
    active: bool | None = None
    q: str = ""  # part of the name or address
    understaffed: bool = False  # 社工站 with fewer than RESIDENT_STAFF_TARGET resident workers


def stations_visible(*, user: Any) -> QuerySet[ServiceStation]:
    """Stations in the user's worker scope, plus those operated by their organisation."""
    qs = ServiceStation.objects.select_related("region", "operator")
    if NATIONWIDE in scope_prefixes(user, WORKER_ROLES):
        return qs
    visible = scope_q(user, "region", WORKER_ROLES)
    organizations = staff_organization_ids(user)
    if organizations:
        visible |= Q(operator_id__in=organizations)
    return qs.filter(visible)


def staff_counts() -> dict[str, Count]:
    """Annotations `staff_count` (social workers in post) and `resident_staff_count` (驻站)."""
    in_post = Q(social_workers__status=EmploymentStatus.ACTIVE)
    return {
        "staff_count": Count("social_workers", filter=in_post),
        "resident_staff_count": Count(
            "social_workers", filter=in_post & Q(social_workers__resident_at_station=True)
        ),
    }


def station_search(*, user: Any, filters: StationFilter) -> QuerySet[ServiceStation]:
    qs = stations_visible(user=user).annotate(**staff_counts())
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region_id__gte=low, region_id__lte=high)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(Q(name__contains=text) | Q(address__contains=text))
    if filters.understaffed:
        # The annotation comes from staff_counts(); the mypy plugin cannot follow it.
        qs = qs.filter(
            kind=StationKind.SOCIAL_WORK,
            resident_staff_count__lt=RESIDENT_STAFF_TARGET,  # type: ignore[misc]
        )
    return qs.order_by("region_id", "kind", "name", "id")


def station_get(*, user: Any, station_id: int) -> ServiceStation:
    """One visible station with its staff counts, or NotFound."""
    station = stations_visible(user=user).annotate(**staff_counts()).filter(pk=station_id).first()
    if station is None:
        raise NotFound()
    return station


def station_choices(*, user: Any, county_code: str | None = None) -> QuerySet[ServiceStation]:
    """Active stations the user may link people to (forms and imports)."""
    qs = stations_visible(user=user).filter(active=True)
    if county_code:
        qs = qs.filter(county_code=county_code)
    return qs.order_by("region_id", "kind", "name")
