"""Pages of the needs database (需求库): the grouped view (category × region) from which a
worker picks groups to turn into a project proposal, the list and detail of needs, the
survey form, and raising a need from a request. Every write is a service call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import grants_of
from wushe.core.errors import DomainError, NotFound
from wushe.core.forms import show_domain_error
from wushe.core.paging import render_list
from wushe.regions import codes
from wushe.regions.models import Region

from . import rules, selectors, services
from .forms import FromRequestForm, GroupFilterForm, NeedForm, NoteForm
from .models import Source, transition_target

PROPOSAL_URL = "projects:proposal_from_needs"


def proposal_url() -> str | None:
    """The projects app's "proposal from needs" page, when that app provides it."""
    try:
        return reverse(PROPOSAL_URL)
    except NoReverseMatch:
        return None


def _worker(request: HttpRequest) -> None:
    if not request.user.has_perm("needs.view_needs"):
        raise PermissionDenied


def _filters(form: GroupFilterForm) -> tuple[selectors.NeedFilter, str]:
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status", "pending") if form.data.get("status") is not None else "pending"
    filters = selectors.NeedFilter(
        status=status, category=data.get("category", ""), source=data.get("source", "")
    )
    return filters, data.get("level") or "township"


@login_required
def groups(request: HttpRequest) -> HttpResponse:
    """需求库: needs grouped by category and region with the people they affect."""
    _worker(request)
    form = GroupFilterForm(request.GET or None)
    if not request.GET:
        form = GroupFilterForm({"level": "township", "status": "pending"})
    filters, level = _filters(form)
    rows = selectors.need_groups(user=request.user, filters=filters, level=level)
    can_propose = proposal_url() is not None and request.user.has_perm(
        "projects.propose_from_needs"
    )
    totals = {
        "needs": sum(r.needs for r in rows),
        "people": sum(r.people for r in rows),
        "vulnerable": sum(r.vulnerable for r in rows),
    }
    return render(
        request,
        "needs/groups.html",
        {
            "form": form,
            "rows": rows,
            "level": level,
            "filters": filters,
            "can_propose": can_propose,
            "can_add": request.user.has_perm("needs.add_need"),
            "totals": totals,
        },
    )


@login_required
@require_POST
def select(request: HttpRequest) -> HttpResponse:
    """The chosen groups → their needs → the projects app's proposal form (`?need=…`)."""
    _worker(request)
    target = proposal_url()
    if target is None:
        raise Http404
    form = GroupFilterForm(request.POST)
    filters, level = _filters(form)
    keys = request.POST.getlist("group")[:100]
    ids = selectors.needs_of_groups(user=request.user, keys=keys, filters=filters, level=level)
    if not ids:
        messages.error(request, _("请先选择至少一组需求。"))
        return redirect("needs:groups")
    return redirect(f"{target}?{urlencode([('need', i) for i in ids])}")


@login_required
def need_list(request: HttpRequest) -> HttpResponse:
    _worker(request)
    form = GroupFilterForm(request.GET or None)
    filters, _level = _filters(form)
    community = request.GET.get("region", "")
    if community.isdigit() and len(community) == 12:
        filters = selectors.NeedFilter(
            status=filters.status,
            category=filters.category,
            source=filters.source,
            community=codes.significant_prefix(community),
        )
    return render_list(
        request,
        queryset=selectors.need_search(user=request.user, filters=filters),
        template="needs/list.html",
        partial_template="needs/_list_results.html",
        context={"form": form, "can_add": request.user.has_perm("needs.add_need")},
    )


def _get(request: HttpRequest, need_id: int) -> Any:
    try:
        return selectors.need_get(user=request.user, need_id=need_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def detail(request: HttpRequest, need_id: int) -> HttpResponse:
    need = _get(request, need_id)
    manage = rules.may_manage(request.user, need)
    actions = [
        a for a in ("address", "dismiss", "reopen") if manage and transition_target(a, need.status)
    ]
    request_link = None
    if need.source == Source.REQUEST and need.source_ref:
        from wushe.requests.models import Request

        found = (
            Request.objects.filter(county_code=need.county_code, number=need.source_ref)
            .values_list("pk", flat=True)
            .first()
        )
        if found:
            request_link = reverse("requests:detail", args=[found])
    return render(
        request,
        "needs/detail.html",
        {
            "need": need,
            "groups": need.groups.all(),
            "actions": actions,
            "form": NoteForm(),
            "request_link": request_link,
            "show_resident": manage,
            "projects": _linked_projects(request.user, need),
        },
    )


def _linked_projects(user: Any, need: Any) -> list[tuple[str, str]]:
    """(title, link) of the projects that answer the need and that the user may see, when
    the projects app links proposals to needs (`Project.needs`, related name "projects")."""
    manager = getattr(need, "projects", None)
    if manager is None:
        return []
    try:
        from wushe.projects import rules as project_rules
    except ImportError:
        return []
    found: list[tuple[str, str]] = []
    for project in manager.all()[:20]:
        if project_rules.may_view(user, project):
            try:
                link = reverse("projects:detail", kwargs={"project_id": project.pk})
            except NoReverseMatch:
                link = ""
            found.append((str(project), link))
    return found


ACTIONS = {
    "address": services.need_address,
    "dismiss": services.need_dismiss,
    "reopen": services.need_reopen,
}


@login_required
@require_POST
def transition(request: HttpRequest, need_id: int, action: str) -> HttpResponse:
    service = ACTIONS.get(action)
    if service is None:
        raise Http404
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        service(need_id=need_id, actor=request.user, note=note)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已更新需求状态。"))
    return redirect("needs:detail", need_id=need_id)


def _regions(user: Any) -> list[tuple[str, str]]:
    """Communities and townships the user may record needs in (their writer grants'
    regions and, for a township grant, its communities)."""
    codes_wanted: set[str] = set()
    prefixes: list[str] = []
    for g in grants_of(user):
        if g.role in WRITER_ROLES and g.region_code:
            level = codes.level_of(g.region_code)
            if level in (codes.Level.TOWNSHIP, codes.Level.COMMUNITY):
                codes_wanted.add(g.region_code)
            if level == codes.Level.TOWNSHIP:
                prefixes.append(g.prefix)
    qs = Region.objects.filter(code__in=sorted(codes_wanted))
    for prefix in prefixes:
        low, high = codes.scope_range(prefix)
        qs = qs | Region.objects.filter(code__gte=low, code__lte=high, level=5)
    return [(r.code, r.name) for r in qs.order_by("code")[:400]]


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """A need found in a survey (需求摸排)."""
    if not request.user.has_perm("needs.add_need"):
        raise PermissionDenied
    regions = _regions(request.user)
    form = NeedForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            need = services.need_create(
                region_code=data["region"],
                category=data["category"],
                title=data["title"],
                description=data["description"],
                source=Source.SURVEY,
                source_ref=data["source_ref"],
                people_count=data["people_count"],
                groups=form.groups(),
                actor=request.user,
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("需求已登记。"))
            return redirect("needs:detail", need_id=need.pk)
    return render(request, "needs/form.html", {"form": form, "no_regions": not regions})


@login_required
def from_request(request: HttpRequest) -> HttpResponse:
    """Raise a need from a request (by its number)."""
    if not request.user.has_perm("needs.add_need"):
        raise PermissionDenied
    initial = {"number": request.GET.get("number", "")}
    form = FromRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        from wushe.requests.models import Request

        number = form.cleaned_data["number"].strip()
        found = Request.objects.filter(county_code=number[:6], number=number).first()
        try:
            if found is None:
                raise NotFound()
            need = services.need_from_request(
                request_id=found.pk, category=form.cleaned_data["category"], actor=request.user
            )
        except NotFound:
            form.add_error("number", _("未找到该诉求，或不在您的管辖范围内。"))
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("已由诉求生成需求。"))
            return redirect("needs:detail", need_id=need.pk)
    return render(request, "needs/from_request.html", {"form": form})
