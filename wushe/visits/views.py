"""Pages of 探访关爱: a visitor's due list and the visit form (mobile first); an enrolment's
page (visits, assignment, ending); the township's and county's overdue overview; plan
settings. Every write is a service call; a DomainError becomes a message on the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import scope_prefixes, scope_q
from wushe.core.errors import DomainError, NotFound, ValidationFailed
from wushe.core.paging import render_list
from wushe.regions import codes
from wushe.residents.models import Tag

from . import selectors, services
from .forms import (
    BUCKET_LABELS,
    AssignForm,
    EndForm,
    EnrolForm,
    FrequencyForm,
    OverrideForm,
    RuleForm,
    VisitForm,
    show_errors,
)
from .models import (
    DEFAULT_FREQUENCY,
    DEFAULT_RULES,
    Enrolment,
    FrequencyPolicy,
    Group,
    RiskLevel,
    VisitRule,
    WeatherOverride,
)
from .rules import PLAN_ROLES


def _enrolment(request: HttpRequest, enrolment_id: int) -> Enrolment:
    try:
        return selectors.enrolment_get(user=request.user, enrolment_id=enrolment_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _prefix(raw: str) -> str:
    if not raw:
        return ""
    try:
        return codes.significant_prefix(codes.normalize(raw))
    except DomainError:
        return ""


@login_required
def due(request: HttpRequest) -> HttpResponse:
    """Who is due this week, pending this period, overdue — for the signed-in visitor or
    worker."""
    if not request.user.has_perm("visits.view_due"):
        raise PermissionDenied
    bucket = request.GET.get("bucket") or selectors.BUCKET_WEEK
    if bucket not in selectors.BUCKETS:
        bucket = selectors.BUCKET_WEEK
    sees_region = bool(scope_prefixes(request.user, WORKER_ROLES))
    group = request.GET.get("group", "")
    filters = selectors.DueFilter(
        bucket=bucket,
        mine=request.GET.get("mine") == "1" or not sees_region,
        region=_prefix(request.GET.get("region", "")),
        group=group if group in Group.values else "",
        q=(request.GET.get("q") or "").strip()[:20],
    )
    today = timezone.localdate()
    qs = selectors.due_list(user=request.user, filters=filters, today=today)
    counts = selectors.due_counts(user=request.user, filters=filters, today=today)
    base = request.GET.copy()
    base.pop("page", None)
    tabs = []
    for key, label in BUCKET_LABELS.items():
        query = base.copy()
        query["bucket"] = key
        tabs.append(
            {"key": key, "label": label, "count": counts.get(key, 0), "query": query.urlencode()}
        )
    return render_list(
        request,
        queryset=qs,
        template="visits/due.html",
        partial_template="visits/_due_results.html",
        context={
            "bucket": bucket,
            "tabs": tabs,
            "filters": filters,
            "sees_region": sees_region,
            "groups": Group.choices,
            "today": today,
            "week_end": selectors.soon_end(today),
            "can_enrol": request.user.has_perm("visits.manage_enrolments"),
        },
        per_page=30,
    )


def _detail_context(request: HttpRequest, enrolment: Enrolment, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_manage = user.has_perm("visits.manage_enrolment", enrolment)
    today = timezone.localdate()
    one: QuerySet[Any] = selectors.with_due(
        Enrolment.objects.filter(pk=enrolment.pk),
        today=today,
        overrides=selectors.overrides_active(prefix=enrolment.region_id, today=today),
    )
    annotated = one.values("effective_frequency", "due_by", "pending", "overdue").first()
    return {
        "enrolment": enrolment,
        "resident": enrolment.resident,
        "tag_labels": selectors.tag_labels(user, enrolment),
        "visits": list(selectors.visits_of(enrolment).select_related("follow_up_request")[:50]),
        "due": annotated,
        "can_record": enrolment.is_current and user.has_perm("visits.record_visit", enrolment),
        "can_manage": can_manage and enrolment.is_current,
        "assign_form": forms.get("assign_form")
        or AssignForm(
            visitors=selectors.eligible_visitors(enrolment) if can_manage else [],
            initial={"visitor_id": enrolment.visitor_id},
        ),
        "end_form": forms.get("end_form") or EndForm(),
    }


@login_required
def enrolment_detail(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(request, enrolment_id)
    return render(request, "visits/enrolment.html", _detail_context(request, enrolment))


@login_required
def visit_new(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """Record a visit (on a phone at the door, or afterwards)."""
    enrolment = _enrolment(request, enrolment_id)
    if not request.user.has_perm("visits.record_visit", enrolment):
        raise PermissionDenied
    form = VisitForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit, _created = services.visit_record(
                enrolment_id=enrolment.pk,
                method=data["method"],
                visited_at=data["visited_at"],
                findings=data["findings"],
                situation=data["situation"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("探访已记录。"))
            _follow_up(request, visit.pk, data)
            return redirect("visits:enrolment", enrolment_id=enrolment.pk)
    status = 422 if form.errors else 200
    return render(
        request,
        "visits/record.html",
        {"form": form, "enrolment": enrolment, "resident": enrolment.resident},
        status=status,
    )


def _follow_up(request: HttpRequest, visit_id: int, data: dict[str, Any]) -> None:
    """Raise the follow-up the visit form asked for. The visit is already saved: a failure
    here is a message, and the follow-up can be raised again from the enrolment page."""
    kind = data.get("follow_up")
    if not kind:
        return
    text = data["request_description"]
    try:
        if kind == "request":
            req = services.visit_raise_request(
                visit_id=visit_id,
                category=data["category"].code,
                description=text,
                actor=request.user,
            )
            messages.success(request, _("已转为诉求 %(n)s。") % {"n": req.number})
        else:
            services.visit_raise_need(
                visit_id=visit_id,
                category=data["need_category"].code,
                title=text[:30],
                description=text,
                actor=request.user,
            )
            messages.success(request, _("已登记到需求库。"))
    except DomainError as exc:
        messages.error(
            request,
            _("探访已记录，但需求转办未成功：%(m)s") % {"m": exc.message},
        )


def _back(enrolment_id: int) -> HttpResponse:
    return redirect("visits:enrolment", enrolment_id=enrolment_id)


@login_required
@require_POST
def assign(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(request, enrolment_id)
    form = AssignForm(request.POST, visitors=selectors.eligible_visitors(enrolment))
    if form.is_valid():
        try:
            services.enrolment_assign(
                enrolment_id=enrolment.pk,
                visitor_id=form.cleaned_data["visitor_id"],
                visitor_kind=form.kind(),
                actor=request.user,
            )
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已更新探访责任人。"))
    else:
        messages.error(request, _("请选择本社区的探访责任人。"))
    return _back(enrolment.pk)


@login_required
@require_POST
def end(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(request, enrolment_id)
    form = EndForm(request.POST)
    # An invalid form is passed on as no reason: the service refuses whoever may not end the
    # enrolment before it looks at the reason, and only then asks for one.
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.enrolment_end(enrolment_id=enrolment.pk, reason=reason, actor=request.user)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except ValidationFailed:
        messages.error(request, _("请填写退出原因。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已退出探访名单。"))
    return _back(enrolment.pk)


@login_required
@require_POST
def raise_request(request: HttpRequest, visit_id: int) -> HttpResponse:
    try:
        visit = selectors.visit_get(user=request.user, visit_id=visit_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    try:
        req = services.visit_raise_request(
            visit_id=visit.pk,
            category=request.POST.get("category", ""),
            description=request.POST.get("description", ""),
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已转为诉求 %(n)s。") % {"n": req.number})
    return _back(visit.enrolment_id)


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("visits.manage_enrolments"):
        raise PermissionDenied
    form = EnrolForm(request.POST or None, initial={"resident_id": request.GET.get("resident")})
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.enrolment_create(
                resident_id=form.cleaned_data["resident_id"],
                risk_level=form.cleaned_data["risk_level"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except NotFound:
            form.add_error("resident_id", _("未找到该居民，或不在您的管辖范围内。"))
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("已纳入探访名单。"))
            return redirect("visits:enrolment", enrolment_id=enrolment.pk)
    return render(request, "visits/enrol.html", {"form": form}, status=422 if form.errors else 200)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Township / county: per community, people enrolled, overdue today, this month's rate."""
    if not request.user.has_perm("visits.view_overview"):
        raise PermissionDenied
    prefix = _prefix(request.GET.get("region", ""))
    today = timezone.localdate()
    rows = selectors.overview_by_community(user=request.user, prefix=prefix, today=today)
    totals = {
        "enrolled": sum(r.enrolled for r in rows),
        "pending": sum(r.pending for r in rows),
        "overdue": sum(r.overdue for r in rows),
        "numerator": sum(r.rate.numerator for r in rows),
        "denominator": sum(r.rate.denominator for r in rows),
        "last_numerator": sum(r.last_rate.numerator for r in rows),
        "last_denominator": sum(r.last_rate.denominator for r in rows),
    }
    return render(
        request,
        "visits/overview.html",
        {"rows": rows, "totals": totals, "today": today, "prefix": prefix},
    )


@login_required
def plan(request: HttpRequest) -> HttpResponse:
    """Enrolment rules, frequencies and overrides in the user's scope; forms to change them."""
    user = request.user
    if not user.has_perm("visits.view_plan"):
        raise PermissionDenied
    prefixes = scope_prefixes(user, PLAN_ROLES)
    home = prefixes[0].ljust(12, "0") if prefixes and prefixes[0] else ""
    rule_form = RuleForm(initial={"region": home})
    frequency_form = FrequencyForm(initial={"region": home})
    override_form = OverrideForm(initial={"region": home})
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "rule":
                rule_form = RuleForm(request.POST)
                if rule_form.is_valid():
                    d = rule_form.cleaned_data
                    services.plan_rule_set(
                        region_code=d["region"],
                        tag=d["tag"],
                        risk_level=d["risk_level"],
                        severe_only=d["severe_only"],
                        active=d["active"],
                        actor=user,
                    )
                    messages.success(request, _("纳入规则已保存，下次自动纳入时生效。"))
                    return redirect("visits:plan")
            elif which == "frequency":
                frequency_form = FrequencyForm(request.POST)
                if frequency_form.is_valid():
                    d = frequency_form.cleaned_data
                    services.plan_frequency_set(
                        region_code=d["region"],
                        risk_level=d["risk_level"],
                        frequency=d["frequency"],
                        actor=user,
                    )
                    messages.success(request, _("探访频次已保存。"))
                    return redirect("visits:plan")
            elif which == "override":
                override_form = OverrideForm(request.POST)
                if override_form.is_valid():
                    d = override_form.cleaned_data
                    services.override_create(
                        region_code=d["region"],
                        frequency=d["frequency"],
                        starts_on=d["starts_on"],
                        ends_on=d["ends_on"],
                        reason=d["reason"],
                        actor=user,
                    )
                    messages.success(request, _("临时加密探访已设置，已通知相关探访责任人。"))
                    return redirect("visits:plan")
        except DomainError as exc:
            target = {"rule": rule_form, "frequency": frequency_form}.get(
                which or "", override_form
            )
            show_errors(target, exc)
    scope = scope_q(user, "region", PLAN_ROLES)
    today = timezone.localdate()
    return render(
        request,
        "visits/plan.html",
        {
            "rules": VisitRule.objects.filter(scope).select_related("region"),
            "policies": FrequencyPolicy.objects.filter(scope).select_related("region"),
            "overrides": WeatherOverride.objects.filter(scope, ends_on__gte=today).select_related(
                "region"
            ),
            "default_rules": [
                (Tag(tag).label, RiskLevel(risk).label, severe)
                for tag, (risk, severe) in DEFAULT_RULES.items()
            ],
            "default_frequency": [
                (RiskLevel(level).label, freq) for level, freq in DEFAULT_FREQUENCY.items()
            ],
            "rule_form": rule_form,
            "frequency_form": frequency_form,
            "override_form": override_form,
            "today": today,
        },
        status=422 if (rule_form.errors or frequency_form.errors or override_form.errors) else 200,
    )


@login_required
@require_POST
def override_end(request: HttpRequest, override_id: int) -> HttpResponse:
    try:
        services.override_end(override_id=override_id, actor=request.user)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("临时加密探访已结束。"))
    return redirect("visits:plan")
