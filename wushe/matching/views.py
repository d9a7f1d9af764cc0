"""Pages of matching: batch proposals (generate, review line by line with summary charts,
confirm or discard) and the per-region weights. The ranked suggestions appear on the request
dispatch screen (wushe.requests.views.request_dispatch)."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.accounts.scoping import scope_prefixes
from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.regions import codes
from wushe.regions.models import Region

from . import rules, services
from .forms import ProposalForm, SettingsForm
from .models import MatchingSettings, Proposal, ProposalLine


def _regions(user: Any) -> list[tuple[str, str]]:
    """Townships and counties the user may plan for."""
    out: list[tuple[str, str]] = []
    for prefix in scope_prefixes(user, rules.PLANNER_ROLES):
        if len(prefix) > 9:
            continue
        low, high = codes.scope_range(prefix)
        qs = Region.objects.filter(
            code__gte=low, code__lte=high, level__in=[Region.Level.COUNTY, Region.Level.TOWNSHIP]
        ).order_by("code")[:300]
        out += [(r.code, r.name) for r in qs]
    return out


def _get(request: HttpRequest, proposal_id: int) -> Proposal:
    p = Proposal.objects.select_related("region").filter(pk=proposal_id).first()
    if p is None or not rules.may_view_proposal(request.user, p):
        raise Http404
    return p


@login_required
def proposals(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("matching.view_proposals"):
        raise PermissionDenied
    regions = _regions(request.user)
    form = ProposalForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        try:
            p = services.proposal_create(
                region_code=form.cleaned_data["region"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已生成派单方案，请逐条审核后确认。"))
            return redirect("matching:proposal", proposal_id=p.pk)
    prefixes = scope_prefixes(request.user, rules.READER_ROLES)
    rows = [
        p
        for p in Proposal.objects.select_related("region").order_by("-created_at", "-id")[:200]
        if any(p.region_id.startswith(x) for x in prefixes)
    ][:50]
    settings_regions = Region.objects.filter(
        code__in=[
            codes.scope_range(p)[0]
            for p in scope_prefixes(request.user, rules.SETTINGS_ROLES)
            if p and len(p) <= 9
        ]
    ).order_by("code")
    return render(
        request,
        "matching/proposals.html",
        {
            "form": form,
            "proposals": rows,
            "can_plan": bool(regions),
            "settings_regions": settings_regions,
        },
    )


def _charts(lines: list[ProposalLine], summary: dict[str, Any]) -> dict[str, Any]:
    by_township: Counter[str] = Counter(line.region_id[:9] for line in lines)
    names = dict(
        Region.objects.filter(code__in=[c + "000" for c in by_township]).values_list(
            "code", "short_name"
        )
    )
    bands = [0, 500, 1000, 1500, 2000, 3000, 5000]
    dist: Counter[str] = Counter()
    for line in lines:
        d = line.distance_m or 0
        label = next(
            (f"{lo}–{hi}" for lo, hi in itertools.pairwise(bands) if d < hi),
            f"≥{bands[-1]}",
        )
        dist[label] += 1
    return {
        "townships": [names.get(c + "000", c) for c in sorted(by_township)],
        "served": [by_township[c] for c in sorted(by_township)],
        "distance_labels": [f"{lo}–{hi}" for lo, hi in itertools.pairwise(bands)],
        "distance_counts": [dist[f"{lo}–{hi}"] for lo, hi in itertools.pairwise(bands)],
        "served_total": summary.get("served", 0),
        "unserved_total": summary.get("unserved_count", 0),
        "labels": {
            "served": _("已匹配"),
            "unserved": _("未能匹配"),
            "by_township": _("各街道（乡镇）匹配数"),
            "distance": _("距离分布（米）"),
            "coverage": _("匹配情况"),
        },
    }


@login_required
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    p = _get(request, proposal_id)
    lines = list(
        ProposalLine.objects.filter(county_code=p.county_code, proposal=p)
        .select_related("request", "request__category", "volunteer")
        .order_by("-priority", "id")
    )
    return render(
        request,
        "matching/proposal.html",
        {
            "proposal": p,
            "lines": lines[:500],
            "more": max(0, len(lines) - 500),
            "charts": _charts(lines, p.summary),
            "can_plan": rules.may_plan_in(request.user, p.region_id) and p.status == "draft",
        },
    )


def _act(request: HttpRequest, proposal_id: int, fn: Any, ok: str) -> HttpResponse:
    _get(request, proposal_id)
    try:
        fn()
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, ok)
    return redirect("matching:proposal", proposal_id=proposal_id)


@login_required
@require_POST
def proposal_confirm(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _act(
        request,
        proposal_id,
        lambda: services.proposal_confirm(proposal_id=proposal_id, actor=request.user),
        _("已按方案派单。"),
    )


@login_required
@require_POST
def proposal_discard(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _act(
        request,
        proposal_id,
        lambda: services.proposal_discard(proposal_id=proposal_id, actor=request.user),
        _("已放弃该方案。"),
    )


@login_required
@require_POST
def line_decide(request: HttpRequest, line_id: int) -> HttpResponse:
    line = ProposalLine.objects.filter(pk=line_id).select_related("proposal").first()
    if line is None or not rules.may_view_proposal(request.user, line.proposal):
        raise Http404
    accept = request.POST.get("decision") == "accept"
    try:
        line = services.proposal_line_decide(line_id=line_id, accept=accept, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    if request.headers.get("HX-Request"):
        return render(
            request,
            "matching/_line.html",
            {"line": line, "can_plan": True, "proposal": line.proposal},
        )
    return redirect("matching:proposal", proposal_id=line.proposal_id)


@login_required
def settings_edit(request: HttpRequest, region_code: str) -> HttpResponse:
    region = Region.objects.filter(code=region_code).first()
    if region is None or not rules.may_configure(request.user, region_code):
        raise Http404
    instance = MatchingSettings.objects.filter(region_id=region_code).first()
    form = SettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_save(
                region_code=region_code,
                values={k: int(v) for k, v in form.cleaned_data.items()},
                actor=request.user,
            )
        except DomainError as exc:
            show_domain_error(form, exc)  # type: ignore[arg-type]  # a ModelForm is a form
        else:
            messages.success(request, _("匹配规则已保存。"))
            return redirect("matching:settings", region_code=region_code)
    return render(request, "matching/settings.html", {"form": form, "region": region})
