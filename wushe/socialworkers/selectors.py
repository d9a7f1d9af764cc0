"""Reads of the social worker register, scoped to the caller: workers see their region scope,
a social worker their own record, org staff the workers their organisation employs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import DomainError, NotFound
from wushe.regions import codes
from wushe.stations.models import ServiceStation
from wushe.stations.rules import staff_organization_ids

from . import registration
from .models import (
    CertificateLevel,
    ContinuingEducation,
    EmploymentStatus,
    RegistrationRenewal,
    SocialWorker,
)

DUE_SOON = "due_soon"
OVERDUE = "overdue"
EDUCATION_SHORT = "education_short"
WARNINGS = (DUE_SOON, OVERDUE, EDUCATION_SHORT)


@dataclass(frozen=True)
class SocialWorkerFilter:
    q: str = ""  # part of the name, or the exact certificate number
    level: str = ""
    status: str = ""
    region: str = ""  # significant prefix
    station_id: int | None = None
    employer_id: int | None = None
    resident_at_station: bool | None = None
    warning: str = ""  # DUE_SOON (the "90 天内到期" filter), OVERDUE, EDUCATION_SHORT


def filters_from_params(params: Mapping[str, str]) -> SocialWorkerFilter:
    """A filter from query parameters (list page, export URL); unusable values are ignored."""
    region = ""
    if params.get("region"):
        try:
            region = codes.significant_prefix(codes.normalize(params["region"]))
        except DomainError:
            region = ""
    level = params.get("level", "")
    status = params.get("status", "")
    warning = params.get("warning", "")
    return SocialWorkerFilter(
        q=params.get("q", "")[:50],
        level=level if level in CertificateLevel.values else "",
        status=status if status in EmploymentStatus.values else "",
        region=region,
        resident_at_station={"1": True, "0": False}.get(params.get("resident", "")),
        warning=warning if warning in WARNINGS else "",
    )


def _visible_q(user: Any) -> Q | None:
    """None when the user sees every record (nationwide)."""
    if NATIONWIDE in scope_prefixes(user, WORKER_ROLES):
        return None
    visible = scope_q(user, "region", WORKER_ROLES)
    if getattr(user, "is_authenticated", False):
        visible |= Q(user=user)
    organizations = staff_organization_ids(user)
    if organizations:
        visible |= Q(employer_id__in=organizations)
    return visible


def social_workers_visible(*, user: Any) -> QuerySet[SocialWorker]:
    qs = SocialWorker.objects.select_related("region", "employer", "station")
    visible = _visible_q(user)
    return qs if visible is None else qs.filter(visible)


def warning_q(warning: str, today: date) -> Q:
    """Records (in post) carrying a warning on `today`, as a database filter."""
    in_post = Q(status=EmploymentStatus.ACTIVE)
    if warning == DUE_SOON:
        first, last = registration.warning_window(today)
        return in_post & Q(registration_due_on__gte=first, registration_due_on__lte=last)
    if warning == OVERDUE:
        return in_post & Q(registration_due_on__lt=today)
    if warning == EDUCATION_SHORT:
        short = Q()
        for level in CertificateLevel.values:
            short |= Q(
                certificate_level=level,
                education_hours__lt=registration.required_hours(level),
            )
        _first, last = registration.warning_window(today)
        return (
            in_post & Q(registration_last_on__isnull=False, registration_due_on__lte=last) & short
        )
    raise ValueError(warning)


def social_worker_search(
    *, user: Any, filters: SocialWorkerFilter, today: date | None = None
) -> QuerySet[SocialWorker]:
    today = today or timezone.localdate()
    qs = social_workers_visible(user=user)
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(Q(name__contains=text) | Q(certificate_number=text.upper()))
    if filters.level:
        qs = qs.filter(certificate_level=filters.level)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region_id__gte=low, region_id__lte=high)
    if filters.station_id is not None:
        qs = qs.filter(station_id=filters.station_id)
    if filters.employer_id is not None:
        qs = qs.filter(employer_id=filters.employer_id)
    if filters.resident_at_station is not None:
        qs = qs.filter(resident_at_station=filters.resident_at_station)
    if filters.warning:
        qs = qs.filter(warning_q(filters.warning, today))
        if filters.warning in (DUE_SOON, OVERDUE):
            return qs.order_by("registration_due_on", "id")
    return qs.order_by("region_id", "name", "id")


def warning_counts(*, user: Any, today: date | None = None) -> dict[str, int]:
    """How many visible records carry each warning (one query): the list page header."""
    today = today or timezone.localdate()
    qs = social_workers_visible(user=user).order_by()
    return qs.aggregate(**{name: Count("id", filter=warning_q(name, today)) for name in WARNINGS})


def social_worker_get(*, user: Any, worker_id: int) -> SocialWorker:
    worker = social_workers_visible(user=user).filter(pk=worker_id).first()
    if worker is None:
        raise NotFound()
    return worker


def renewals_of(*, worker: SocialWorker) -> QuerySet[RegistrationRenewal]:
    return RegistrationRenewal.objects.filter(
        county_code=worker.county_code, social_worker=worker
    ).order_by("-renewed_on", "-id")


def education_of(*, worker: SocialWorker) -> QuerySet[ContinuingEducation]:
    return ContinuingEducation.objects.filter(
        county_code=worker.county_code, social_worker=worker
    ).order_by("-taken_on", "-id")


def station_staff(*, user: Any, station: ServiceStation) -> QuerySet[SocialWorker]:
    """The station's social workers the user may see, those in post and resident first."""
    return (
        social_workers_visible(user=user)
        .filter(county_code=station.county_code, station=station)
        .order_by("status", "-resident_at_station", "name", "id")
    )


def standing_of(worker: SocialWorker, today: date | None = None) -> registration.Standing:
    return registration.standing(
        level=worker.certificate_level,
        certificate_date=worker.certificate_date,
        last_registration=worker.registration_last_on,
        hours=worker.education_hours,
        today=today or timezone.localdate(),
    )
