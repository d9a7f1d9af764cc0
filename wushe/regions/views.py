from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.accounts.scoping import grants_of, in_scope
from wushe.core.errors import DomainError

from . import selectors
from .models import Region

SESSION_KEY = "working_region"


def _region_or_404(code: str) -> Region:
    try:
        return selectors.region_get(code=code)
    except DomainError as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def browse(request: HttpRequest) -> HttpResponse:
    """Start where the user works: the working region, else the first granted region."""
    code = request.session.get(SESSION_KEY) or next(
        (g.region_code for g in grants_of(request.user) if g.region_code), None
    )
    if code:
        return redirect("regions:detail", code=code)
    provinces = selectors.region_children(parent=None)
    return render(
        request,
        "regions/detail.html",
        {"region": None, "children": provinces, "chain": [], "show_counts": True},
    )


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(code)
    children = selectors.region_children(parent=region, kind_counts=True)
    return render(
        request,
        "regions/detail.html",
        {
            "region": region,
            "chain": selectors.region_chain(region=region),
            "children": children,
            # Communities have no children: a column of zeros would say nothing.
            "show_counts": region.level < Region.Level.TOWNSHIP,
            "in_scope": in_scope(request.user, region.code),
        },
    )


@login_required
def picker(request: HttpRequest) -> HttpResponse:
    """HTMX fragment: cascading selects for the chosen region (one select per level)."""
    code = request.GET.get("code") or ""
    levels: list[dict[str, object]] = []
    region = None
    if code:
        try:
            region = selectors.region_get(code=code)
        except DomainError:
            region = None
    chain = ([*selectors.region_chain(region=region), region]) if region else []
    parents: list[Region | None] = [None, *chain]
    for depth, parent in enumerate(parents):
        options = list(selectors.region_children(parent=parent).only("code", "short_name"))
        if not options:
            break
        selected = chain[depth].code if depth < len(chain) else ""
        levels.append(
            {"options": options, "selected": selected, "parent_code": parent.code if parent else ""}
        )
    return render(request, "regions/_picker.html", {"levels": levels, "region": region})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    text = (request.GET.get("q") or "").strip()
    results = selectors.region_search(text=text) if len(text) >= 2 else []
    return render(request, "regions/_search.html", {"results": results, "q": text})


@login_required
@require_POST
def select_working_region(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(code)
    if not in_scope(request.user, region.code):
        messages.error(request, _("该区划不在您的授权范围内，不能设为工作区域。"))
    else:
        request.session[SESSION_KEY] = region.code
        messages.success(request, _("工作区域已切换为 %(name)s。") % {"name": region.short_name})
    return redirect("regions:detail", code=region.code)
