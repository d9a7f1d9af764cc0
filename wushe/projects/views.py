"""Pages of the project database: calls and their proposals, the proposal form (also pre-filled
from a group of residents' needs), a project's page with review, decision, delivery
(expenditures, activities, milestones), evaluation and closing, and the .xlsx exports. Every
write is a service call; a DomainError becomes a message on the page."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.accounts.models import User
from wushe.accounts.scoping import scope_q
from wushe.charity.money import format_fen, parse_yuan
from wushe.core.errors import DomainError, NotFound, ValidationFailed
from wushe.core.images import image_accept, image_response, read_upload
from wushe.core.paging import render_list
from wushe.organizations.models import LegalStatus, Organization
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from . import exports, rules, selectors, services
from .models import (
    Call,
    CallKind,
    CallStatus,
    FundingSource,
    GradePolicy,
    Project,
    ReviewStage,
    Status,
)


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return selectors.project_get(user=request.user, project_id=project_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _call(request: HttpRequest, call_id: int) -> Call:
    try:
        return selectors.call_get(user=request.user, call_id=call_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _int(raw: object, field: str) -> int:
    try:
        return int(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed(
            _("请填写整数。"), code="project.integer", fields={field: [_("请填写整数。")]}
        ) from None


def _date(raw: object, field: str) -> date:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed(
            _("请填写日期（年-月-日）。"), code="project.date", fields={field: [_("日期不正确。")]}
        ) from None


def _basis_points(raw: str) -> int | None:
    """A percentage typed with at most two decimals ("2", "1.5") in basis points."""
    text = raw.strip().rstrip("%")
    if not text:
        return None
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.to_integral_value() or not 0 <= value <= 10000:
        message = _("比例请填写 0–100 之间的数，最多两位小数。")
        raise ValidationFailed(message, code="project.assistance.share_invalid")
    return int(value)


def _act(request: HttpRequest, project_id: int, run: Callable[[], Any], done: str) -> HttpResponse:
    """Run a service for a POST on the project page; show its error or `done`."""
    try:
        run()
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("projects:detail", project_id=project_id)


# --- lists ----------------------------------------------------------------------------------


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("projects.view_projects"):
        raise PermissionDenied
    status = request.GET.get("status", "")
    filters = selectors.ProjectFilter(
        status=status if status in Status.values else "", q=request.GET.get("q", "")[:50]
    )
    return render_list(
        request,
        queryset=selectors.project_search(user=request.user, filters=filters),
        template="projects/list.html",
        partial_template="projects/_list_results.html",
        context={"statuses": Status.choices, "status": filters.status, "q": filters.q},
    )


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    calls = list(selectors.calls_visible(user=request.user))
    for call in calls:
        call.remaining = call.budget_fen - int(call.committed or 0)  # type: ignore[attr-defined]
    return render(
        request,
        "projects/calls.html",
        {"calls": calls, "can_create": request.user.has_perm("projects.manage_calls")},
    )


@login_required
def call_new(request: HttpRequest) -> HttpResponse:
    """发布项目申报: a venture round or a purchase list, for managers."""
    if not request.user.has_perm("projects.manage_calls"):
        raise PermissionDenied
    data = request.POST
    if request.method == "POST":
        try:
            call = services.call_create(
                data=services.CallInput(
                    region_code=data.get("region", ""),
                    kind=data.get("kind", ""),
                    title=data.get("title", ""),
                    funder=data.get("funder", ""),
                    year=_int(data.get("year"), "year"),
                    budget_fen=parse_yuan(data.get("budget"), field="budget"),
                    funding_source=data.get("funding_source", FundingSource.FISCAL),
                    description=data.get("description", ""),
                    eligibility=data.get("eligibility", ""),
                    grade_policy=data.get("grade_policy", GradePolicy.NONE),
                    grade_min=data.get("grade_min", ""),
                    min_reviews=_int(data.get("min_reviews") or 2, "min_reviews"),
                ),
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("项目申报已发布。"))
            return redirect("projects:call", call_id=call.pk)
    regions = Region.objects.filter(
        scope_q(request.user, "code", rules.MANAGER_ROLES), level__in=[2, 3, 4]
    ).order_by("code")[:300]
    context = {
        "initial": data,
        "regions": regions,
        "kinds": CallKind.choices,
        "sources": FundingSource.choices,
        "policies": GradePolicy.choices,
        "year": timezone.localdate().year,
    }
    return render(
        request,
        "projects/call_form.html",
        context,
        status=422 if request.method == "POST" else 200,
    )


@login_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call(request, call_id)
    committed = int(getattr(call, "committed", 0) or 0)
    manage = rules.may_manage_call(request.user, call)
    allowance = None
    if call.funding_source == FundingSource.SOCIAL_ASSISTANCE:
        allowance = selectors.assistance_allowance(county_code=call.county_code, year=call.year)
    results = [
        r for r in selectors.round_results(call=call) if rules.may_view(request.user, r["project"])
    ]
    context = {
        "call": call,
        "committed": committed,
        "remaining": call.budget_fen - committed,
        "allowance": allowance,
        "results": results,
        "manage": manage,
        "can_apply": call.status == CallStatus.OPEN
        and bool(rules.own_organization_ids(request.user)),
        "panel": list(call.panel.select_related("user")) if manage else [],
    }
    return render(request, "projects/call_detail.html", context)


@login_required
@require_POST
def call_transition(request: HttpRequest, call_id: int, action: str) -> HttpResponse:
    service = {"stop-intake": services.call_stop_intake, "close": services.call_close}.get(action)
    if service is None:
        raise Http404
    try:
        service(call_id=call_id, actor=request.user)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("projects:call", call_id=call_id)


@login_required
@require_POST
def panel_add(request: HttpRequest, call_id: int) -> HttpResponse:
    username = request.POST.get("username", "").strip()
    user = User.objects.filter(username=username).first()
    try:
        if user is None:
            raise ValidationFailed(_("没有这个用户名。"), code="project.panel.user_invalid")
        services.panel_add(call_id=call_id, user_id=user.pk, actor=request.user)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已添加评审专家。"))
    return redirect("projects:call", call_id=call_id)


@login_required
@require_POST
def assistance_set(request: HttpRequest, call_id: int) -> HttpResponse:
    """Record the county's social-assistance funds for the call's year (and the share)."""
    call = _call(request, call_id)
    try:
        share_bp = _basis_points(request.POST.get("share_pct", ""))
        services.assistance_budget_set(
            county_code=call.county_code,
            year=call.year,
            total_fen=parse_yuan(request.POST.get("total"), field="total"),
            share_bp=share_bp,
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已登记社会救助资金。"))
    return redirect("projects:call", call_id=call_id)


@login_required
def call_results_xlsx(request: HttpRequest, call_id: int) -> HttpResponseBase:
    call = _call(request, call_id)
    if not rules.may_manage_call(request.user, call):
        raise Http404
    return exports.results_response(call)


# --- proposals ------------------------------------------------------------------------------


def _region_choices(county_code: str) -> list[Region]:
    return list(
        Region.objects.filter(code__startswith=county_code, level__in=[4, 5]).order_by("code")
    )


def _organization_choices(user: Any, county_code: str) -> list[Organization]:
    own = rules.own_organization_ids(user)
    if own:
        return list(Organization.objects.filter(pk__in=own).order_by("name"))
    return list(
        Organization.objects.filter(
            region__gte=f"{county_code}000000", region__lte=f"{county_code}999999"
        )
        .exclude(legal_status=LegalStatus.DEREGISTERED)
        .order_by("name")
    )


def _proposal_post(request: HttpRequest, call_id: int) -> Project | None:
    data = request.POST
    try:
        need_ids = tuple(int(n) for n in data.getlist("need") if n.isdigit())
        category = data.get("category", "")
        project, created = services.project_submit(
            data=services.ProposalInput(
                call_id=call_id,
                organization_id=_int(data.get("organization"), "organization"),
                region_code=data.get("region", ""),
                title=data.get("title", ""),
                summary=data.get("summary", ""),
                requested_fen=parse_yuan(data.get("requested"), field="requested"),
                category_id=int(category) if category.isdigit() else None,
                target_beneficiaries=_int(data.get("target") or 0, "target"),
                need_ids=need_ids,
            ),
            actor=request.user,
            idempotency_key=data.get("idempotency_key", "")[:64],
        )
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return None
    if created:
        messages.success(request, _("申报已提交，等待专家评审。"))
    return project


@login_required
def proposal_new(request: HttpRequest, call_id: int) -> HttpResponse:
    call = _call(request, call_id)
    if not request.user.has_perm("projects.apply") and not request.user.has_perm(
        "projects.propose_from_needs"
    ):
        raise PermissionDenied
    if request.method == "POST":
        project = _proposal_post(request, call_id)
        if project is not None:
            return redirect("projects:detail", project_id=project.pk)
    return _proposal_form(request, call=call, calls=[call], initial=request.POST or {})


def _proposal_form(
    request: HttpRequest, *, call: Call | None, calls: list[Call], initial: Any, needs: Any = ()
) -> HttpResponse:
    county = call.county_code if call else (calls[0].county_code if calls else "")
    context = {
        "call": call,
        "calls": calls,
        "initial": initial,
        "needs": needs,
        "regions": _region_choices(county) if county else [],
        "organizations": _organization_choices(request.user, county) if county else [],
        "categories": Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY, active=True),
        "idempotency_key": uuid.uuid4().hex,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "projects/proposal_form.html", context, status=status)


@login_required
def proposal_from_needs(request: HttpRequest) -> HttpResponse:
    """A worker turns a group of residents' needs (`?need=1&need=2…`) into a proposal: title,
    summary, region, category and beneficiaries are pre-filled from the needs."""
    if not request.user.has_perm("projects.propose_from_needs"):
        raise PermissionDenied
    from wushe.needs import rules as need_rules
    from wushe.needs.models import Need

    source = request.POST if request.method == "POST" else request.GET
    ids = [int(n) for n in source.getlist("need") if n.isdigit()][:200]
    needs = [
        n
        for n in Need.objects.filter(pk__in=ids).select_related("region", "category")
        if need_rules.may_view(request.user, n)
    ]
    if not needs:
        raise Http404(_("请先在需求库中选择需求。"))
    calls = [
        c
        for c in selectors.calls_visible(user=request.user).filter(status=CallStatus.OPEN)
        if needs[0].county_code == c.county_code
    ]
    if request.method == "POST":
        call_id = _int(request.POST.get("call"), "call") if request.POST.get("call") else 0
        if call_id and any(c.pk == call_id for c in calls):
            project = _proposal_post(request, call_id)
            if project is not None:
                return redirect("projects:detail", project_id=project.pk)
        else:
            messages.error(request, _("请选择申报批次。"))
        return _proposal_form(request, call=None, calls=calls, initial=request.POST, needs=needs)
    categories = Counter(n.category_id for n in needs)
    category = categories.most_common(1)[0][0]
    regions = {n.region_id for n in needs}
    region = regions.pop() if len(regions) == 1 else needs[0].region_id[:9] + "000"
    label = needs[0].category.label
    people = sum(n.people_count for n in needs)
    vulnerable = sum(n.vulnerable_count for n in needs)
    lines = [
        _("回应居民需求 %(n)d 条，涉及 %(p)d 人（其中困难群体 %(v)d 人）：")
        % {"n": len(needs), "p": people, "v": vulnerable}
    ]
    lines += [f"· {n.title}（{n.region.name}，{n.people_count}人）" for n in needs]
    initial = {
        "title": _("%(c)s服务项目") % {"c": label},
        "summary": "\n".join(lines),
        "region": region,
        "category": str(category),
        "target": str(people),
    }
    return _proposal_form(request, call=None, calls=calls, initial=initial, needs=needs)


# --- a project ------------------------------------------------------------------------------


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    user = request.user
    decide = rules.may_decide(user, project)
    deliver = rules.may_deliver(user, project)
    review = rules.may_review(user, project)
    reviews = list(selectors.project_reviews(project=project))
    see_reviews = decide or rules.is_panel_member(user, project.call)
    allowance = None
    if project.call.funding_source == FundingSource.SOCIAL_ASSISTANCE:
        allowance = selectors.assistance_allowance(
            county_code=project.county_code, year=project.call.year
        )
    proposal_reviews = [r for r in reviews if r.stage == ReviewStage.PROPOSAL]
    context = {
        "p": project,
        "decide": decide,
        "deliver": deliver and project.status == Status.APPROVED,
        "own_org": rules.works_for(user, project.organization_id),
        "review_stage": (
            ReviewStage.PROPOSAL
            if review and project.status == Status.SUBMITTED
            else ReviewStage.FINAL
            if review and project.status == Status.APPROVED
            else ""
        ),
        "conflict": rules.is_panel_member(user, project.call)
        and rules.works_for(user, project.organization_id),
        "reviews": reviews if see_reviews else [],
        "review_count": len(proposal_reviews),
        "review_avg": (
            sum(r.score for r in proposal_reviews) / len(proposal_reviews)
            if proposal_reviews
            else None
        ),
        "expenditures": list(selectors.project_expenditures(project=project)),
        "activities": list(selectors.project_activities(project=project)),
        "milestones": list(selectors.project_milestones(project=project)),
        "rating": selectors.project_rating(project=project),
        "allowance": allowance,
        "remaining": format_fen(project.remaining_fen),
        "today": timezone.localdate().isoformat(),
        "idempotency_key": uuid.uuid4().hex,
        "needs": _visible_needs(user, project),
    }
    return render(request, "projects/detail.html", context)


def _visible_needs(user: Any, project: Project) -> list[Any]:
    from wushe.needs import rules as need_rules

    return [n for n in project.needs.all() if need_rules.may_view(user, n)]


@login_required
@require_POST
def review(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.review_submit(
            project_id=project_id,
            actor=request.user,
            score=_int(request.POST.get("score"), "score"),
            comment=request.POST.get("comment", ""),
            stage=request.POST.get("stage", ReviewStage.PROPOSAL),
        ),
        _("评分已保存。"),
    )


@login_required
@require_POST
def approve(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.project_approve(
            project_id=project_id,
            actor=request.user,
            approved_fen=parse_yuan(request.POST.get("approved"), field="approved"),
            note=request.POST.get("note", ""),
        ),
        _("已立项。"),
    )


@login_required
@require_POST
def reject(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.project_reject(
            project_id=project_id, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("已决定不予立项。"),
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.project_withdraw(project_id=project_id, actor=request.user),
        _("申报已撤回。"),
    )


@login_required
@require_POST
def evaluate(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.project_evaluate(
            project_id=project_id, actor=request.user, note=request.POST.get("note", "")
        ),
        _("结项评估已完成。"),
    )


@login_required
@require_POST
def close(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.project_close(project_id=project_id, actor=request.user),
        _("项目已结项。"),
    )


@login_required
@require_POST
def expenditure(request: HttpRequest, project_id: int) -> HttpResponse:
    def run() -> Any:
        upload = request.FILES.get("attachment")
        accepted = (
            image_accept(read_upload(upload), file_name=upload.name or "") if upload else None
        )
        return services.expenditure_record(
            project_id=project_id,
            actor=request.user,
            spent_on=_date(request.POST.get("spent_on"), "spent_on"),
            item=request.POST.get("item", ""),
            amount_fen=parse_yuan(request.POST.get("amount"), field="amount"),
            attachment=accepted,
            idempotency_key=request.POST.get("idempotency_key", "")[:64],
        )

    return _act(request, project_id, run, _("支出已登记。"))


@login_required
@require_POST
def activity(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.activity_record(
            project_id=project_id,
            actor=request.user,
            held_on=_date(request.POST.get("held_on"), "held_on"),
            title=request.POST.get("title", ""),
            beneficiaries=_int(request.POST.get("beneficiaries"), "beneficiaries"),
            vulnerable=_int(request.POST.get("vulnerable") or 0, "vulnerable"),
            note=request.POST.get("note", ""),
        ),
        _("活动已记录。"),
    )


@login_required
@require_POST
def milestone(request: HttpRequest, project_id: int) -> HttpResponse:
    return _act(
        request,
        project_id,
        lambda: services.milestone_add(
            project_id=project_id,
            actor=request.user,
            title=request.POST.get("title", ""),
            due_on=_date(request.POST.get("due_on"), "due_on"),
        ),
        _("节点已添加。"),
    )


@login_required
@require_POST
def milestone_done(request: HttpRequest, project_id: int, milestone_id: int) -> HttpResponse:
    _project(request, project_id)
    return _act(
        request,
        project_id,
        lambda: services.milestone_complete(
            milestone_id=milestone_id, actor=request.user, done_on=timezone.localdate()
        ),
        _("节点已完成。"),
    )


@login_required
@require_POST
def rate(request: HttpRequest, project_id: int) -> HttpResponse:
    """Residents rate from the public project page; back there afterwards."""
    try:
        services.rating_submit(
            project_id=project_id,
            actor=request.user,
            rating=_int(request.POST.get("rating"), "rating"),
            comment=request.POST.get("comment", ""),
        )
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("感谢您的评价。"))
    return redirect("disclosure:project", project_id=project_id)


@login_required
def attachment(request: HttpRequest, project_id: int, expenditure_id: int) -> HttpResponseBase:
    try:
        row = selectors.expenditure_get(
            user=request.user, project_id=project_id, expenditure_id=expenditure_id
        )
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if request.GET.get("thumb"):
        return image_response(row.attachment_thumbnail, "image/jpeg")
    return image_response(row.attachment, row.attachment_type, download_name="receipt")


@login_required
def ledger_xlsx(request: HttpRequest, project_id: int) -> HttpResponseBase:
    return exports.ledger_response(_project(request, project_id))
