"""Reads of the project database, with the caller's visibility applied (rules.py): workers
see projects in their scope, organisation staff their own organisation's, reviewers the
projects of the calls on whose panel they sit. Aggregates run in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import grants_of, scope_q
from wushe.core.errors import NotFound

from . import rules
from .models import (
    FUNDED_STATUSES,
    Activity,
    AssistanceBudget,
    Call,
    Expenditure,
    FundingSource,
    Milestone,
    PanelMember,
    Project,
    ResidentRating,
    Review,
    ReviewStage,
)


def _uid(user: Any) -> Any:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def _worker_parts(user: Any) -> list[Q] | None:
    """The worker scope as a list of one Q, [] without a worker grant, None when nationwide
    (`scope_q` is the empty Q then, which must not be OR-ed with anything)."""
    if not rules.has_role(user, *WORKER_ROLES):
        return []
    worker = scope_q(user, "region", WORKER_ROLES)
    return None if worker == Q() else [worker]


def _visible_q(user: Any) -> Q:
    parts = _worker_parts(user)
    if parts is None:
        return Q()
    orgs = rules.own_organization_ids(user)
    if orgs:
        parts.append(Q(organization_id__in=sorted(orgs)))
    uid = _uid(user)
    if uid is not None:
        calls = list(PanelMember.objects.filter(user_id=uid).values_list("call_id", flat=True))
        if calls:
            parts.append(Q(call_id__in=calls))
    if not parts:
        return Q(pk__in=[])
    result = parts[0]
    for part in parts[1:]:
        result |= part
    return result


def projects_visible(*, user: Any) -> QuerySet[Project]:
    return (
        Project.objects.filter(_visible_q(user))
        .select_related("call", "organization", "region", "category")
        .order_by("-submitted_at", "-id")
    )


@dataclass(frozen=True)
class ProjectFilter:
    call_id: int | None = None
    status: str = ""
    q: str = ""


def project_search(*, user: Any, filters: ProjectFilter | None = None) -> QuerySet[Project]:
    qs = projects_visible(user=user)
    f = filters or ProjectFilter()
    if f.call_id:
        qs = qs.filter(call_id=f.call_id)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(organization__name__icontains=f.q))
    return qs


def project_get(*, user: Any, project_id: int) -> Project:
    project = projects_visible(user=user).filter(pk=project_id).first()
    if project is None:
        raise NotFound()
    return project


def calls_visible(*, user: Any) -> QuerySet[Call]:
    """Calls are announcements: anyone holding a grant in the call's county (or above) sees
    them, so organisations know where they may apply; reviewers see the calls they sit on."""
    prefixes = {g.prefix[:6] for g in grants_of(user)}
    if "" in prefixes:
        return _calls_annotated(Call.objects.all())
    q = Q(pk__in=[])
    for prefix in sorted(prefixes):
        q |= Q(county_code__startswith=prefix)
    uid = _uid(user)
    if uid is not None:
        calls = list(PanelMember.objects.filter(user_id=uid).values_list("call_id", flat=True))
        if calls:
            q |= Q(pk__in=calls)
    return _calls_annotated(Call.objects.filter(q))


def _calls_annotated(qs: QuerySet[Call]) -> QuerySet[Call]:
    return (
        qs.select_related("region")
        .annotate(
            committed=Sum("projects__approved_fen", filter=Q(projects__status__in=FUNDED_STATUSES)),
            proposals=Count("projects"),
        )
        .order_by("-year", "-created_at", "-id")
    )


def call_get(*, user: Any, call_id: int) -> Call:
    call = calls_visible(user=user).filter(pk=call_id).first()
    if call is None:
        raise NotFound()
    return call


@dataclass(frozen=True)
class Allowance:
    """The social-assistance share: cap, approved so far, remaining (fen)."""

    year: int
    total_fen: int
    share_bp: int
    cap_fen: int
    used_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.cap_fen - self.used_fen

    @property
    def share_pct(self) -> str:
        return f"{self.share_bp / 100:g}"


def assistance_allowance(*, county_code: str, year: int) -> Allowance | None:
    row = AssistanceBudget.objects.filter(county_code=county_code, year=year).first()
    if row is None:
        return None
    used = Project.objects.filter(
        county_code=county_code,
        call__year=year,
        call__funding_source=FundingSource.SOCIAL_ASSISTANCE,
        status__in=FUNDED_STATUSES,
    ).aggregate(s=Sum("approved_fen"))["s"]
    return Allowance(
        year=year,
        total_fen=row.total_fen,
        share_bp=row.share_bp,
        cap_fen=row.cap_fen,
        used_fen=int(used or 0),
    )


def call_projects(*, user: Any, call: Call) -> QuerySet[Project]:
    return (
        projects_visible(user=user)
        .filter(call=call)
        .annotate(
            review_count=Count("reviews", filter=Q(reviews__stage=ReviewStage.PROPOSAL)),
            review_avg_x100=Sum("reviews__score", filter=Q(reviews__stage=ReviewStage.PROPOSAL)),
        )
    )


def round_results(*, call: Call) -> list[dict[str, Any]]:
    """Every proposal of a call with its panel average, ranked: average first, then (when the
    call prefers a grade) organisations meeting it."""
    from django.db.models import Avg
    from django.utils import timezone

    from .services import grade_meets

    today = timezone.localdate()
    rows: list[dict[str, Any]] = []
    for project in (
        Project.objects.filter(county_code=call.county_code, call=call)
        .select_related("organization", "region")
        .annotate(
            avg=Avg("reviews__score", filter=Q(reviews__stage=ReviewStage.PROPOSAL)),
            n=Count("reviews", filter=Q(reviews__stage=ReviewStage.PROPOSAL)),
        )
    ):
        rows.append(
            {
                "project": project,
                "avg": project.avg,
                "reviews": project.n,
                "grade_ok": grade_meets(project.organization, call.grade_min, today),
            }
        )
    rows.sort(key=lambda r: (-(r["avg"] or -1), not r["grade_ok"], r["project"].pk))
    return rows


def project_reviews(*, project: Project) -> QuerySet[Review]:
    return Review.objects.filter(county_code=project.county_code, project=project).select_related(
        "reviewer"
    )


def project_expenditures(*, project: Project) -> QuerySet[Expenditure]:
    return Expenditure.objects.filter(county_code=project.county_code, project=project).order_by(
        "spent_on", "id"
    )


def project_activities(*, project: Project) -> QuerySet[Activity]:
    return Activity.objects.filter(county_code=project.county_code, project=project)


def project_milestones(*, project: Project) -> QuerySet[Milestone]:
    return Milestone.objects.filter(county_code=project.county_code, project=project)


def project_rating(*, project: Project) -> dict[str, Any]:
    from django.db.models import Avg

    return dict(
        ResidentRating.objects.filter(county_code=project.county_code, project=project).aggregate(
            avg=Avg("rating"), n=Count("id")
        )
    )


def expenditure_get(*, user: Any, project_id: int, expenditure_id: int) -> Expenditure:
    project = project_get(user=user, project_id=project_id)
    row = project_expenditures(project=project).filter(pk=expenditure_id).first()
    if row is None or not row.attachment:
        raise NotFound()
    return row
