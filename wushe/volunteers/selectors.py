"""Scoped reads of the volunteer register. Every query here applies the caller's scope
(rules.py describes who sees what); outside it a record does not exist (NotFound)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import DomainError, NotFound
from wushe.core.personal import id_number_hash
from wushe.regions import codes

from . import availability as slots
from .models import TeamMembership, Volunteer, VolunteerSkill, VolunteerTeam
from .rules import staff_organization_ids


@dataclass(frozen=True)
class VolunteerFilter:
    region: str = ""  # significant code prefix (township 9 digits, community 12 …)
    skill: str = ""  # skill term code
    day: int | None = None  # 0 = 周一 … 6 = 周日
    period: int | None = None  # 0 上午, 1 下午, 2 晚上 (with day; alone: any day)
    status: str = ""
    team: int | None = None
    name: str = ""  # prefix of the name
    id_number_hash: str = ""  # exact match (hash of a parsed ID number)


def _visibility_q(user: Any) -> Q | None:
    """None = everything (nationwide worker); else the Q of visible volunteers.

    The worker scope is a set of code ranges on `region`, which the index
    volunteer_region_number serves in list order. The user's own record and org staff's team
    members are ORed in only when they add something: an OR on another column would turn the
    ordered index scan into a sort of the whole scope."""
    prefixes = scope_prefixes(user, WORKER_ROLES)
    if NATIONWIDE in prefixes:
        return None
    q = scope_q(user, "region", WORKER_ROLES) if prefixes else Q(pk__in=[])
    if getattr(user, "is_authenticated", False):
        own = [
            pk
            for pk, region_id in Volunteer.objects.filter(user=user).values_list("pk", "region_id")
            if not any(region_id.startswith(p) for p in prefixes)
        ]
        if own:
            q |= Q(pk__in=own)
    orgs = staff_organization_ids(user)
    if orgs:
        q |= Q(
            Exists(
                TeamMembership.objects.filter(
                    volunteer=OuterRef("pk"), team__organization_id__in=orgs
                )
            )
        )
    return q


def volunteers_visible(*, user: Any) -> QuerySet[Volunteer]:
    q = _visibility_q(user)
    qs = Volunteer.objects.all() if q is None else Volunteer.objects.filter(q)
    return qs.select_related("region")


def _skills_prefetch() -> Prefetch[Any]:
    from wushe.taxonomy.models import Term

    return Prefetch("skills", queryset=Term.objects.order_by("order", "code"))


def volunteer_search(*, user: Any, filters: VolunteerFilter) -> QuerySet[Volunteer]:
    """The list of volunteers the user may see, filtered, ordered by community and number
    (index volunteer_region_number), skills prefetched. Counting is the caller's business
    (capped, core.paging)."""
    qs = apply_filters(volunteers_visible(user=user), filters)
    # (region, number) is unique (numbers are unique per county, regions lie in one county),
    # so this order is total and the index serves it without a sort.
    return qs.prefetch_related(_skills_prefetch()).order_by("region_id", "number")


def apply_filters(qs: QuerySet[Volunteer], filters: VolunteerFilter) -> QuerySet[Volunteer]:
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region__gte=low, region__lte=high)
        if len(filters.region) >= 6:
            qs = qs.filter(county_code=filters.region[:6])
    if filters.skill:
        qs = qs.filter(
            Exists(
                VolunteerSkill.objects.filter(
                    volunteer=OuterRef("pk"), term__code=filters.skill, term__vocabulary="skill"
                )
            )
        )
    bits = _availability_bits(filters.day, filters.period)
    if bits:
        qs = qs.annotate(_free=F("availability").bitand(bits)).filter(_free__gt=0)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.team is not None:
        qs = qs.filter(
            Exists(TeamMembership.objects.filter(volunteer=OuterRef("pk"), team_id=filters.team))
        )
    if filters.name:
        qs = qs.filter(name__startswith=filters.name.strip())
    if filters.id_number_hash:
        qs = qs.filter(id_number_hash=filters.id_number_hash)
    return qs


def filter_from_query(query: Mapping[str, str]) -> VolunteerFilter:
    """The list page's filters from a query string, leniently (a bad value is ignored): used
    by exports, which receive the list's GET parameters."""

    def small_int(key: str, top: int) -> int | None:
        value = str(query.get(key, "")).strip()
        return int(value) if value.isdigit() and int(value) <= top else None

    region = ""
    if query.get("region"):
        try:
            region = codes.significant_prefix(codes.normalize(query["region"]))
        except DomainError:
            region = ""
    id_hash = ""
    if query.get("id_number"):
        try:
            id_hash = hash_of_id_number(query["id_number"])
        except DomainError:
            id_hash = "-"  # an invalid number matches nobody
    return VolunteerFilter(
        region=region,
        skill=str(query.get("skill", "")).strip(),
        day=small_int("day", 6),
        period=small_int("period", 2),
        status=str(query.get("status", "")).strip(),
        team=small_int("team", 2**62),
        name=str(query.get("name", "")).strip(),
        id_number_hash=id_hash,
    )


def _availability_bits(day: int | None, period: int | None) -> int:
    """Slots that match the filter: a day (any period), a period (any day) or both."""
    if day is None and period is None:
        return 0
    days = [day] if day is not None else range(len(slots.DAYS))
    periods = [period] if period is not None else range(len(slots.PERIODS))
    return slots.mask_of((d, p) for d in days for p in periods)


def hash_of_id_number(raw: str) -> str:
    """Search by ID number: parse (raises ValidationFailed with id_number.* codes) and hash."""
    from wushe.core.identifiers import parse_id_number

    return id_number_hash(parse_id_number(raw).number)


def volunteer_get(*, user: Any, pk: int) -> Volunteer:
    """One visible volunteer with skills and teams, or NotFound."""
    volunteer = (
        volunteers_visible(user=user)
        .prefetch_related(
            _skills_prefetch(),
            Prefetch(
                "memberships",
                queryset=TeamMembership.objects.select_related("team").order_by("team__name"),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if volunteer is None:
        raise NotFound()
    return volunteer


def volunteer_of_user(*, user: Any) -> Volunteer | None:
    """The user's own volunteer record ("我的志愿者信息"), if linked."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Volunteer.objects.filter(user=user)
        .select_related("region")
        .prefetch_related(
            _skills_prefetch(),
            Prefetch("memberships", queryset=TeamMembership.objects.select_related("team")),
        )
        .order_by("-registered_on", "id")
        .first()
    )


# --- Teams -------------------------------------------------------------------------------------


def teams_visible(*, user: Any) -> QuerySet[VolunteerTeam]:
    prefixes = scope_prefixes(user, WORKER_ROLES)
    qs = VolunteerTeam.objects.all()
    if NATIONWIDE not in prefixes:
        q = scope_q(user, "region", WORKER_ROLES) if prefixes else Q(pk__in=[])
        orgs = staff_organization_ids(user)
        if orgs:
            q |= Q(organization_id__in=orgs)
        if getattr(user, "is_authenticated", False):
            q |= Q(Exists(TeamMembership.objects.filter(team=OuterRef("pk"), volunteer__user=user)))
        qs = qs.filter(q)
    return qs.select_related("region", "organization", "leader").annotate(
        member_count=Count("memberships")
    )


def team_list(*, user: Any, region: str = "") -> QuerySet[VolunteerTeam]:
    qs = teams_visible(user=user)
    if region:
        low, high = codes.scope_range(region)
        qs = qs.filter(region__gte=low, region__lte=high)
    return qs.order_by("region_id", "name", "id")


def team_get(*, user: Any, pk: int) -> VolunteerTeam:
    team = teams_visible(user=user).filter(pk=pk).first()
    if team is None:
        raise NotFound()
    return team


def team_members(*, team: VolunteerTeam) -> QuerySet[TeamMembership]:
    """Members of a team the caller may see (checked by the caller)."""
    return (
        TeamMembership.objects.filter(team=team)
        .select_related("volunteer", "volunteer__region")
        .order_by("role", "joined_on", "id")
    )


def teams_for_region_choice(*, user: Any, region_code: str) -> QuerySet[VolunteerTeam]:
    """Teams a writer may put a volunteer of `region_code` into: same county, in scope."""
    return teams_visible(user=user).filter(county_code=region_code[:6]).order_by("name")
