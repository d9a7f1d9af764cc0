"""Reads of party members' check-ins, scoped to the caller: workers in their region scope,
a member their own check-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import NotFound
from wushe.regions import codes
from wushe.taxonomy.models import Term

from .models import CheckinCategory, CheckinSkill, PartyMemberCheckin


@dataclass(frozen=True)
class CheckinFilter:
    q: str = ""  # part of the name, work unit or party organisation
    status: str = ""
    region: str = ""  # significant prefix
    category: str = ""  # term code (request_category)
    skill: str = ""  # term code (skill)


def checkins_visible(*, user: Any) -> QuerySet[PartyMemberCheckin]:
    qs = PartyMemberCheckin.objects.select_related("region")
    if NATIONWIDE in scope_prefixes(user, WORKER_ROLES):
        return qs
    visible = scope_q(user, "region", WORKER_ROLES)
    if getattr(user, "is_authenticated", False):
        visible |= Q(user=user)
    return qs.filter(visible)


def with_terms(qs: QuerySet[PartyMemberCheckin]) -> QuerySet[PartyMemberCheckin]:
    return qs.prefetch_related(
        Prefetch("categories", queryset=Term.objects.order_by("order", "code")),
        Prefetch("skills", queryset=Term.objects.order_by("order", "code")),
    )


def checkin_search(*, user: Any, filters: CheckinFilter) -> QuerySet[PartyMemberCheckin]:
    qs = checkins_visible(user=user)
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(
            Q(name__contains=text)
            | Q(work_unit__contains=text)
            | Q(party_organization__contains=text)
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region_id__gte=low, region_id__lte=high)
    if filters.category:
        qs = qs.filter(
            pk__in=CheckinCategory.objects.filter(term__code=filters.category).values("checkin_id")
        )
    if filters.skill:
        qs = qs.filter(
            pk__in=CheckinSkill.objects.filter(term__code=filters.skill).values("checkin_id")
        )
    return with_terms(qs).order_by("region_id", "name", "id")


def checkin_get(*, user: Any, checkin_id: int) -> PartyMemberCheckin:
    checkin = with_terms(checkins_visible(user=user)).filter(pk=checkin_id).first()
    if checkin is None:
        raise NotFound()
    return checkin
