"""Reads of requests, scoped to the caller (rules.py says who sees what): the worker inbox
and its counts, a resident's own requests, a handler's tasks, the supervision list, one
request with its timeline, and the handlers eligible for a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, When
from django.utils import timezone

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import NotFound
from wushe.regions import codes

from . import rules
from .models import (
    OPEN_STATUSES,
    WORKING_STATUSES,
    Assignment,
    AssignmentStatus,
    Level,
    Request,
    RequestEvent,
    RequestPhoto,
    Status,
    overdue_q,
)


@dataclass(frozen=True)
class RequestFilter:
    status: str = ""  # a Status value, or a bucket of BUCKETS
    category: str = ""  # term code
    community: str = ""  # significant prefix of a region (community, township …)
    overdue: bool | None = None
    escalated: bool | None = None
    supervised: bool | None = None
    q: str = ""  # part of the number or of the description


def _base() -> QuerySet[Request]:
    return Request.objects.select_related("region", "category")


def worker_q(user: Any) -> Q:
    """Requests in the user's worker scope (WORKER_ROLES): one code range per grant."""
    return scope_q(user, "region", WORKER_ROLES)


def own_q(user: Any) -> Q:
    uid = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if uid is None:
        return Q(pk__in=[])
    return Q(submitted_by_id=uid) | Q(resident__user_id=uid)


def tasks_q(user: Any) -> Q:
    return Q(pk__in=Assignment.objects.filter(rules.handler_q(user)).values("request_id"))


def claimable_q(user: Any) -> Q:
    q = Q(pk__in=[])
    for region, terms in rules.party_checkins(user):
        if terms:
            q |= Q(
                region_id=region,
                category_id__in=sorted(terms),
                status__in=rules.CLAIMABLE_STATUSES,
            )
    return q


def requests_visible(*, user: Any) -> QuerySet[Request]:
    """Everything the user may open: worker scope, own, assigned, claimable."""
    qs = _base()
    if NATIONWIDE in scope_prefixes(user, WORKER_ROLES):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(worker_q(user) | own_q(user) | tasks_q(user) | claimable_q(user))


def due_expression() -> Case:
    """The deadline that applies to a request's status (acceptance, then resolution)."""
    return Case(
        When(status=Status.SUBMITTED, then=F("accept_due_at")),
        When(status__in=WORKING_STATUSES, then=F("resolve_due_at")),
        default=None,
    )


# Worker inbox buckets (tabs with counts): key → (label is in views) filter.
def bucket_q(bucket: str, now: datetime) -> Q | None:
    return {
        "submitted": Q(status=Status.SUBMITTED),
        "accepted": Q(status=Status.ACCEPTED),
        "working": Q(status__in=[Status.DISPATCHED, Status.IN_PROGRESS]),
        "resolved": Q(status=Status.RESOLVED),
        "overdue": overdue_q(now),
        "escalated": Q(status__in=OPEN_STATUSES, escalation_level__gt=Level.COMMUNITY),
        "supervised": Q(status__in=OPEN_STATUSES, supervised=True),
        "closed": Q(status=Status.CLOSED),
    }.get(bucket)


BUCKETS = (
    "submitted",
    "accepted",
    "working",
    "resolved",
    "overdue",
    "escalated",
    "supervised",
    "closed",
)


def _filtered(qs: QuerySet[Request], filters: RequestFilter, now: datetime) -> QuerySet[Request]:
    if filters.status:
        bucket = bucket_q(filters.status, now)
        if bucket is not None:
            qs = qs.filter(bucket)
        elif filters.status in Status.values:
            qs = qs.filter(status=filters.status)
        else:
            qs = qs.none()
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.community:
        low, high = codes.scope_range(filters.community)
        qs = qs.filter(region_id__gte=low, region_id__lte=high)
    if filters.overdue is not None:
        qs = qs.filter(overdue_q(now)) if filters.overdue else qs.exclude(overdue_q(now))
    if filters.escalated is not None:
        qs = (
            qs.filter(escalation_level__gt=Level.COMMUNITY)
            if filters.escalated
            else qs.filter(escalation_level=Level.COMMUNITY)
        )
    if filters.supervised is not None:
        qs = qs.filter(supervised=filters.supervised)
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(Q(number__startswith=text.upper()) | Q(description__contains=text))
    return qs


def request_search(*, user: Any, filters: RequestFilter) -> QuerySet[Request]:
    """The list of requests the user may see, filtered; open ones first by deadline, then
    the most recent."""
    now = timezone.now()
    qs = _filtered(requests_visible(user=user), filters, now)
    return qs.annotate(due=due_expression()).order_by(
        F("due").asc(nulls_last=True), "-priority", "-submitted_at", "-id"
    )


def inbox(*, user: Any, filters: RequestFilter) -> QuerySet[Request]:
    """The worker inbox: requests in the worker scope only (not the worker's own)."""
    now = timezone.now()
    qs = _filtered(_base().filter(worker_q(user)), filters, now)
    return qs.annotate(due=due_expression()).order_by(
        F("due").asc(nulls_last=True), "-priority", "-submitted_at", "-id"
    )


def inbox_counts(*, user: Any, community: str = "") -> dict[str, int]:
    """Counts per bucket in one query (the tabs of the inbox)."""
    now = timezone.now()
    qs = _base().filter(worker_q(user))
    if community:
        low, high = codes.scope_range(community)
        qs = qs.filter(region_id__gte=low, region_id__lte=high)
    aggregates = {}
    for bucket in BUCKETS:
        condition = bucket_q(bucket, now)
        assert condition is not None
        aggregates[bucket] = Count("pk", filter=condition)
    result = qs.order_by().aggregate(**aggregates)
    return {key: int(value or 0) for key, value in result.items()}


def my_requests(*, user: Any) -> QuerySet[Request]:
    return _base().filter(own_q(user)).order_by("-submitted_at", "-id")


def my_tasks(*, user: Any, done: bool = False) -> QuerySet[Assignment]:
    """The user's assignments (as organisation staff, volunteer, social worker or party
    member), open ones by deadline first."""
    qs = Assignment.objects.filter(rules.handler_q(user)).select_related(
        "request",
        "request__region",
        "request__category",
        "organization",
        "volunteer",
        "social_worker",
        "party_member",
    )
    if done:
        qs = qs.filter(status=AssignmentStatus.DONE)
    else:
        qs = qs.exclude(status=AssignmentStatus.DONE)
    return qs.order_by(F("request__resolve_due_at").asc(nulls_last=True), "assigned_at", "id")


def claimable(*, user: Any) -> QuerySet[Request]:
    """Open requests a party member may claim (accepted or already dispatched)."""
    return _base().filter(claimable_q(user)).exclude(tasks_q(user)).order_by("resolve_due_at", "id")


def supervision_list(*, user: Any, include_closed: bool = False) -> QuerySet[Request]:
    """Requests that climbed above the community or are under supervision, in the scope of
    township and county officers (and auditors)."""
    qs = _base().filter(scope_q(user, "region", rules.SUPERVISION_VIEW_ROLES))
    qs = qs.filter(Q(escalation_level__gt=Level.COMMUNITY) | Q(supervised=True))
    if not include_closed:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return qs.annotate(due=due_expression()).order_by(
        F("due").asc(nulls_last=True), "-priority", "-id"
    )


def request_get(*, user: Any, request_id: int) -> Request:
    """One request the user may see, with its timeline, handlers, photos, supervision and
    follow-ups loaded (ordered by time and sequence, never by id)."""
    request = (
        requests_visible(user=user)
        .select_related("resident", "merged_into", "submitted_by")
        .prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.order_by("at", "seq")),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related(
                    "organization", "volunteer", "social_worker", "party_member"
                ).order_by("assigned_at", "handler_key"),
            ),
            Prefetch("photos", queryset=RequestPhoto.objects.order_by("uploaded_at", "id")),
            "supervisions__by",
            "follow_ups__called_by",
        )
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound()
    return request


def photo_get(*, user: Any, request_id: int, photo_id: int) -> RequestPhoto:
    """A photo of a request the user may see (else NotFound)."""
    request = requests_visible(user=user).filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    photo = RequestPhoto.objects.filter(
        county_code=request.county_code, request=request, pk=photo_id
    ).first()
    if photo is None:
        raise NotFound()
    return photo


# --- eligible handlers ----------------------------------------------------------------------

# Which service categories of organisations (vocabulary service_category) fit a request
# category; a category not listed (安全隐患, 其他) fits every organisation covering the area.
SERVICE_CATEGORIES_FOR: dict[str, tuple[str, ...]] = {
    "daily_care": ("elderly_care", "disability", "social_assistance"),
    "health": ("health", "elderly_care", "disability"),
    "culture": ("culture", "education"),
    "psychological": ("psychological",),
    "legal_aid": ("legal_aid",),
    "environment": ("environment",),
    "dispute": ("mediation", "legal_aid"),
}
ELIGIBLE_LIMIT = 50


@dataclass(frozen=True)
class HandlerOption:
    type: str
    id: int
    name: str
    detail: str = ""


def eligible_handlers(*, user: Any, request: Request) -> list[HandlerOption]:
    """Handlers who can take the request, unranked (the matching issue adds ranking):
    organisations covering the community with a fitting service category, active volunteers
    of the community, social workers of the township (its station), party members reporting
    to the community who offer the category."""
    from wushe.organizations.models import LegalStatus, Organization
    from wushe.partymembers.models import CheckinCategory, CheckinStatus, PartyMemberCheckin
    from wushe.socialworkers.models import EmploymentStatus, SocialWorker
    from wushe.volunteers.models import Volunteer, VolunteerStatus

    community = request.region_id
    chain = [*codes.ancestor_codes(community), community]
    coverage = Organization.coverage.through.objects.filter(region_id__in=chain)
    orgs = Organization.objects.exclude(legal_status=LegalStatus.DEREGISTERED).filter(
        Q(region_id__in=chain) | Q(pk__in=coverage.values("organization_id"))
    )
    fitting = SERVICE_CATEGORIES_FOR.get(request.category.code)
    if fitting:
        orgs = orgs.filter(
            pk__in=Organization.service_categories.through.objects.filter(
                term__code__in=fitting
            ).values("organization_id")
        )
    options = [
        HandlerOption("organization", o.pk, o.name, o.get_legal_status_display())
        for o in orgs.order_by("name", "id")[:ELIGIBLE_LIMIT]
    ]
    volunteers = Volunteer.objects.filter(
        county_code=request.county_code, region_id=community, status=VolunteerStatus.ACTIVE
    ).order_by("number")[:ELIGIBLE_LIMIT]
    options += [HandlerOption("volunteer", v.pk, v.name, v.number) for v in volunteers]
    low, high = codes.scope_range(community[:9])
    workers = (
        SocialWorker.objects.filter(county_code=request.county_code, status=EmploymentStatus.ACTIVE)
        .filter(
            Q(region_id__gte=low, region_id__lte=high)
            | Q(station__region_id__gte=low, station__region_id__lte=high)
        )
        .order_by("name", "id")[:ELIGIBLE_LIMIT]
    )
    options += [
        HandlerOption("social_worker", w.pk, w.name, w.get_certificate_level_display())
        for w in workers
    ]
    members = (
        PartyMemberCheckin.objects.filter(
            county_code=request.county_code, region_id=community, status=CheckinStatus.ACTIVE
        )
        .filter(
            pk__in=CheckinCategory.objects.filter(term_id=request.category_id).values("checkin_id")
        )
        .order_by("name", "id")[:ELIGIBLE_LIMIT]
    )
    options += [HandlerOption("party_member", m.pk, m.name, m.work_unit) for m in members]
    return options
