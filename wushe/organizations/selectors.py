"""Reads of the organisation register, scoped by accounts.scoping: an organisation is visible
to a worker when its registering region or one of its coverage regions lies in the worker's
scope, and to org staff when it is their own."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from wushe.accounts.roles import Role
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes
from wushe.core.errors import DomainError, NotFound
from wushe.regions import codes
from wushe.regions.models import Region

from .models import (
    GRADE_WARNING_DAYS,
    GradeState,
    LegalStatus,
    Organization,
    OrganizationContact,
    OrgKind,
)
from .rules import READ_ROLES, own_organization_ids

Coverage = Organization.coverage.through


@dataclass(frozen=True)
class OrganizationFilter:
    region: str = ""  # significant code prefix: registering OR coverage region under it
    legal_status: str = ""
    org_kind: str = ""
    category: str = ""  # Term code
    grade: str = ""
    grade_state: str = ""  # GradeState value
    is_hub: bool | None = None
    q: str = ""  # part of the name, or the start of the credit code / filing number


def _in_regions(prefixes: Sequence[str]) -> Q:
    """Registering region or a coverage region under one of the prefixes."""
    if NATIONWIDE in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    ranges = Q()
    for prefix in prefixes:
        low, high = codes.scope_range(prefix)
        ranges |= Q(region_id__gte=low, region_id__lte=high)
    # A subquery rather than a join: no duplicate rows, no DISTINCT over the whole list.
    covered = Coverage.objects.filter(ranges).values("organization_id")
    return ranges | Q(pk__in=covered)


def visibility_q(user: Any) -> Q:
    prefixes = scope_prefixes(user, READ_ROLES)
    if NATIONWIDE in prefixes:
        return Q()
    q = _in_regions(prefixes)
    own = own_organization_ids(user)
    if own:
        q |= Q(pk__in=sorted(own))
    return q


def _with_related(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    return qs.select_related("region", "category").prefetch_related(
        Prefetch("coverage", queryset=Region.objects.order_by("code")),
        "service_categories",
        Prefetch("contacts", queryset=OrganizationContact.objects.order_by("-is_primary", "id")),
    )


def organizations_visible(*, user: Any) -> QuerySet[Organization]:
    return Organization.objects.filter(visibility_q(user))


def organization_search(
    *, user: Any, filters: OrganizationFilter, today: date | None = None
) -> QuerySet[Organization]:
    qs = organizations_visible(user=user)
    if filters.region:
        qs = qs.filter(_in_regions([filters.region]))
    if filters.legal_status:
        qs = qs.filter(legal_status=filters.legal_status)
    if filters.org_kind:
        qs = qs.filter(org_kind=filters.org_kind)
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.grade:
        qs = qs.filter(grade=filters.grade)
    if filters.grade_state:
        qs = qs.filter(grade_state_q(filters.grade_state, today or timezone.localdate()))
    if filters.is_hub is not None:
        qs = qs.filter(is_hub=filters.is_hub)
    if text := filters.q.strip():
        qs = qs.filter(
            Q(name__contains=text)
            | Q(credit_code__startswith=text.upper())
            | Q(filing_number__startswith=text)
        )
    return _with_related(qs).order_by("name", "id")


def grade_state_q(state: str, today: date) -> Q:
    warn_until = today + timedelta(days=GRADE_WARNING_DAYS)
    if state == GradeState.NONE:
        return Q(grade="")
    if state == GradeState.EXPIRED:
        return ~Q(grade="") & Q(grade_expires_on__lt=today)
    if state == GradeState.EXPIRING:
        return ~Q(grade="") & Q(grade_expires_on__gte=today, grade_expires_on__lte=warn_until)
    if state == GradeState.VALID:
        return ~Q(grade="") & Q(grade_expires_on__gt=warn_until)
    return Q()


def organization_get(*, user: Any, pk: int) -> Organization:
    """One organisation the user may read, with its relations; NotFound otherwise."""
    org = _with_related(organizations_visible(user=user)).filter(pk=pk).first()
    if org is None:
        raise NotFound()
    return org


def primary_contact(organization: Organization) -> OrganizationContact | None:
    """The primary contact (from the prefetch when there is one)."""
    contacts = list(organization.contacts.all())
    return next((c for c in contacts if c.is_primary), contacts[0] if contacts else None)


_CODE_IN_TOKEN = re.compile(r"[(（]\s*([0-9]{6,12})\s*[)）]\s*$")


def region_label(region: Region) -> str:
    """How exports write a region: name and code, which imports read back unambiguously."""
    return f"{region.short_name}（{region.code}）"


def regions_resolve(
    tokens: Iterable[str],
    *,
    within: Sequence[str] = (NATIONWIDE,),
    min_level: int = Region.Level.TOWNSHIP,
) -> tuple[list[str], list[str]]:
    """Region codes for tokens written as codes (12/9/6 digits), names (short or full) or
    "name（code）", limited to regions under one of `within`'s prefixes; names only match
    regions of `min_level` or below. Returns (codes in input order without repeats, tokens that
    matched nothing or more than one region)."""
    wanted = [t.strip() for t in tokens if t and t.strip()]
    scope = Q() if NATIONWIDE in within else Q(pk__in=[])
    if NATIONWIDE not in within:
        for prefix in within:
            low, high = codes.scope_range(prefix)
            scope |= Q(code__gte=low, code__lte=high)
    by_code: dict[str, str] = {}
    names: list[str] = []
    for token in wanted:
        match = _CODE_IN_TOKEN.search(token)
        candidate = match.group(1) if match else token
        try:
            by_code[token] = codes.normalize(candidate)
        except DomainError:  # not a code: try it as a name
            names.append(token)
    found_codes = set(
        Region.objects.filter(scope, code__in=list(by_code.values())).values_list("code", flat=True)
    )
    named: dict[str, set[str]] = {}
    if names:
        rows = Region.objects.filter(
            scope, Q(short_name__in=names) | Q(name__in=names), level__gte=min_level
        ).values_list("code", "short_name", "name")
        for code, short_name, name in rows:
            for key in {short_name, name}:
                if key in names:
                    named.setdefault(key, set()).add(code)
    result: list[str] = []
    missing: list[str] = []
    for token in wanted:
        typed = by_code.get(token)
        if typed is not None:
            candidates = [typed] if typed in found_codes else []
        else:
            candidates = sorted(named.get(token, set()))
        if len(candidates) != 1:
            missing.append(token)
        elif candidates[0] not in result:
            result.append(candidates[0])
    return result, missing


def community_organization_counts(*, prefix: str) -> QuerySet[Region]:
    """Communities under `prefix` with the number of living community social organisations
    (registered or filed) that serve them: the §9 indicator "≥ 10 urban / ≥ 5 rural"."""
    low, high = codes.scope_range(prefix)
    living = Q(
        covering_organizations__org_kind=OrgKind.COMMUNITY,
        covering_organizations__legal_status__in=[LegalStatus.REGISTERED, LegalStatus.FILED],
    )
    return (
        Region.objects.filter(code__gte=low, code__lte=high, level=Region.Level.COMMUNITY)
        .annotate(org_count=Count("covering_organizations", filter=living, distinct=True))
        .order_by("code")
    )


def writer_prefixes(user: Any) -> list[str]:
    """Prefixes where the user may keep organisations (for region pickers)."""
    return scope_prefixes(
        user, {Role.COMMUNITY_WORKER, Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN}
    )
