"""Pages of the service menu: residents (mobile first) browse their community's menu, order,
follow their orders, cancel and rate; providers and workers manage offerings and work the
order queue (confirm, decline, schedule, sign off the delivery). Every write is a service
call; a DomainError becomes a message on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import grants_of, has_role, scope_q
from wushe.core.errors import DomainError, NotFound
from wushe.core.forms import show_domain_error
from wushe.core.paging import render_list
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.residents.models import Resident, ResidentStatus, ResidentTag, Tag

from . import rules, selectors, services
from .forms import (
    DeliverForm,
    OfferingForm,
    OrderForm,
    RatingForm,
    ReasonForm,
    ScheduleForm,
    parse_provider,
    provider_value,
)
from .models import Audience, OrderAction, OrderStatus, ProviderKind, ServiceOffering

# --- residents ------------------------------------------------------------------------------


def _own_resident(user: Any) -> Resident | None:
    return (
        Resident.objects.filter(user_id=user.pk, status=ResidentStatus.ACTIVE)
        .select_related("region")
        .order_by("pk")
        .first()
    )


def _worker_communities(user: Any) -> list[tuple[str, str]]:
    wanted: list[Any] = []
    for g in grants_of(user):
        if g.role in WRITER_ROLES and g.region_code:
            low, high = codes.scope_range(g.prefix)
            wanted.append((low, high))
    qs = Region.objects.none()
    for low, high in wanted:
        qs = qs | Region.objects.filter(code__gte=low, code__lte=high, level=5)
    return [(r.code, r.name) for r in qs.order_by("code")[:400]]


@login_required
def browse(request: HttpRequest) -> HttpResponse:
    """服务菜单: the menu of the resident's community, with places left in the current
    period; workers pick a community and order on a resident's behalf."""
    resident = _own_resident(request.user)
    on_behalf = resident is None and has_role(request.user, *WRITER_ROLES)
    communities: list[tuple[str, str]] = []
    if resident is not None:
        community = resident.region_id
    elif on_behalf:
        communities = _worker_communities(request.user)
        wanted = request.GET.get("community", "")
        community = wanted if any(c == wanted for c, _n in communities) else ""
        if not community and communities:
            community = communities[0][0]
    else:
        raise PermissionDenied
    today = timezone.localdate()
    category = request.GET.get("category", "")
    offerings = list(
        selectors.community_menu(community=community, on=today, category=category)
        if community
        else []
    )
    mine: set[str] | None = None
    if resident is not None:
        mine = set(
            ResidentTag.objects.filter(
                resident_id=resident.pk, start_date__lte=today, end_date__isnull=True
            ).values_list("tag", flat=True)
        )
    for o in offerings:
        o.tag_labels = [str(Tag(t).label) for t in o.eligible_tags if t in Tag.values]  # type: ignore[attr-defined]
        o.can_order = (  # type: ignore[attr-defined]
            mine is None or o.audience != Audience.TAGGED or bool(mine & set(o.eligible_tags))
        )
    region = Region.objects.filter(code=community).first()
    return render(
        request,
        "menu/browse.html",
        {
            "offerings": offerings,
            "region": region,
            "communities": communities,
            "community": community,
            "on_behalf": on_behalf,
            "today": today,
            "form": OrderForm(on_behalf=on_behalf, initial={"service_date": today}),
        },
    )


@login_required
@require_POST
def order(request: HttpRequest, offering_id: int) -> HttpResponse:
    on_behalf = _own_resident(request.user) is None
    form = OrderForm(request.POST, on_behalf=on_behalf)
    back = redirect("menu:browse")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return back
    data = form.cleaned_data
    try:
        obj, created = services.order_create(
            actor=request.user,
            offering_id=offering_id,
            service_date=data["service_date"],
            resident_id=data.get("resident_id"),
            note=data["note"],
            idempotency_key=data["idempotency_key"],
        )
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return back
    if created:
        messages.success(request, _("点单成功，请等待服务方确认。"))
    return redirect("menu:order_detail", order_id=obj.pk)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的点单: the orders of the resident (and those they placed for someone)."""
    qs = selectors.order_search(user=request.user, filters=selectors.OrderFilter(mine=True))
    return render_list(
        request,
        queryset=qs,
        template="menu/mine.html",
        partial_template="menu/_mine_results.html",
        per_page=20,
    )


# --- orders ----------------------------------------------------------------------------------

TABS = [
    ("open", gettext_lazy("未完成")),
    (OrderStatus.PLACED, OrderStatus.PLACED.label),
    (OrderStatus.CONFIRMED, OrderStatus.CONFIRMED.label),
    (OrderStatus.SCHEDULED, OrderStatus.SCHEDULED.label),
    (OrderStatus.DELIVERED, OrderStatus.DELIVERED.label),
    (OrderStatus.RATED, OrderStatus.RATED.label),
    ("", gettext_lazy("全部")),
]


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    """点单工作台: orders of the provider's services or of the worker's region."""
    if not request.user.has_perm("menu.view_orders"):
        raise PermissionDenied
    status = request.GET.get("status", "open")
    qs = selectors.order_search(user=request.user, filters=selectors.OrderFilter(status=status))
    visible = selectors.orders_visible(user=request.user)
    return render_list(
        request,
        queryset=qs,
        template="menu/orders.html",
        partial_template="menu/_orders_results.html",
        context={
            "tabs": [(key, label, key == status) for key, label in TABS],
            "status": status,
            "satisfaction": selectors.satisfaction(visible),
        },
    )


def _get_order(request: HttpRequest, order_id: int) -> Any:
    try:
        return selectors.order_get(user=request.user, order_id=order_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    obj = _get_order(request, order_id)
    actions = rules.available_actions(request.user, obj)
    return render(
        request,
        "menu/order_detail.html",
        {
            "order": obj,
            "actions": actions,
            "rating_form": RatingForm(),
            "schedule_form": ScheduleForm(
                initial={
                    "scheduled_for": obj.scheduled_for and timezone.localtime(obj.scheduled_for)
                }
            ),
            "deliver_form": DeliverForm(),
            "reason_form": ReasonForm(),
            "provider_view": rules.may_provide(request.user, obj),
        },
    )


def _act(request: HttpRequest, order_id: int, call: Callable[[], Any], done: str) -> HttpResponse:
    try:
        call()
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("menu:order_detail", order_id=order_id)


@login_required
@require_POST
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    actor = request.user
    post = request.POST
    if action == OrderAction.CONFIRM:
        return _act(
            request,
            order_id,
            lambda: services.order_confirm(order_id=order_id, actor=actor),
            _("已确认接单。"),
        )
    if action in (OrderAction.DECLINE, OrderAction.CANCEL):
        form = ReasonForm(post)
        reason = str(form.cleaned_data["reason"]) if form.is_valid() else ""
        service = services.order_decline if action == OrderAction.DECLINE else services.order_cancel
        return _act(
            request,
            order_id,
            lambda: service(order_id=order_id, actor=actor, reason=reason),
            _("点单已取消。") if action == OrderAction.CANCEL else _("已婉拒该点单。"),
        )
    if action == OrderAction.SCHEDULE:
        schedule_form = ScheduleForm(post)
        if not schedule_form.is_valid():
            messages.error(request, _("请选择服务时间。"))
            return redirect("menu:order_detail", order_id=order_id)
        when = schedule_form.cleaned_data["scheduled_for"]
        return _act(
            request,
            order_id,
            lambda: services.order_schedule(order_id=order_id, actor=actor, when=when),
            _("已安排服务时间。"),
        )
    if action == OrderAction.DELIVER:
        deliver_form = DeliverForm(post)
        note = str(deliver_form.cleaned_data["note"]) if deliver_form.is_valid() else ""
        return _act(
            request,
            order_id,
            lambda: services.order_deliver(order_id=order_id, actor=actor, note=note),
            _("已确认服务完成，等待居民评价。"),
        )
    if action == OrderAction.RATE:
        rating_form = RatingForm(post)
        if not rating_form.is_valid():
            messages.error(request, _("请给出 1–5 星的评价。"))
            return redirect("menu:order_detail", order_id=order_id)
        data = rating_form.cleaned_data
        return _act(
            request,
            order_id,
            lambda: services.order_rate(
                order_id=order_id, actor=actor, rating=data["rating"], comment=data["comment"]
            ),
            _("感谢您的评价！"),
        )
    raise Http404


# --- offerings -------------------------------------------------------------------------------


@login_required
def offerings(request: HttpRequest) -> HttpResponse:
    """服务菜单管理: the offerings the user provides or manages in their region."""
    if not request.user.has_perm("menu.manage_menu"):
        raise PermissionDenied
    qs = selectors.with_places(
        selectors.offerings_managed(user=request.user), timezone.localdate()
    ).order_by("-active", "region_id", "title", "id")
    return render_list(
        request,
        queryset=qs,
        template="menu/offerings.html",
        partial_template="menu/_offerings_results.html",
        context={"orders_for_residents": has_role(request.user, *WRITER_ROLES)},
    )


def _providers(user: Any) -> list[tuple[str, str]]:
    """Providers the user may put services on the menu for."""
    from wushe.organizations.models import Organization
    from wushe.stations.models import ServiceStation, StationKind
    from wushe.volunteers.models import VolunteerTeam

    ids = rules.provider_ids(user)
    writer = has_role(user, *WRITER_ROLES)
    found: list[tuple[str, str]] = []
    orgs = Organization.objects.filter(pk__in=sorted(ids.organizations))
    teams = VolunteerTeam.objects.filter(pk__in=sorted(ids.teams))
    stations = ServiceStation.objects.filter(pk__in=sorted(ids.stations))
    if writer:
        orgs = orgs | Organization.objects.filter(scope_q(user, "region", WRITER_ROLES))
        teams = teams | VolunteerTeam.objects.filter(scope_q(user, "region", WRITER_ROLES))
        stations = stations | ServiceStation.objects.filter(
            scope_q(user, "region", WRITER_ROLES), kind=StationKind.SOCIAL_WORK
        )
    for org in orgs.order_by("name")[:200]:
        found.append((provider_value(ProviderKind.ORGANIZATION, org.pk), str(org.name)))
    for team in teams.order_by("name")[:200]:
        label = _("志愿服务队：%(n)s") % {"n": team.name}
        found.append((provider_value(ProviderKind.TEAM, team.pk), label))
    for station in stations.order_by("name")[:100]:
        label = _("社工站：%(n)s") % {"n": station.name}
        found.append((provider_value(ProviderKind.STATION, station.pk), label))
    return found


def _menu_regions(user: Any) -> list[tuple[str, str]]:
    """Regions a menu entry may be placed in: the user's grant regions and everything under
    them, and the regions of the providers they staff."""
    prefixes: set[str] = set()
    for g in grants_of(user):
        if g.region_code and g.role in {*WRITER_ROLES, "org_staff"}:
            prefixes.add(g.prefix)
    ids = rules.provider_ids(user)
    if ids:
        from wushe.organizations.models import Organization
        from wushe.stations.models import ServiceStation
        from wushe.volunteers.models import VolunteerTeam

        for model, pks in (
            (Organization, ids.organizations),
            (VolunteerTeam, ids.teams),
            (ServiceStation, ids.stations),
        ):
            rows = model.objects.filter(pk__in=sorted(pks))
            for code in rows.values_list("region_id", flat=True):
                prefixes.add(codes.significant_prefix(code))
    qs = Region.objects.none()
    for prefix in prefixes:
        low, high = codes.scope_range(prefix)
        qs = qs | Region.objects.filter(code__gte=low, code__lte=high, level__gte=3)
    return [(r.code, r.name) for r in qs.order_by("code")[:500]]


def _spec(data: dict[str, Any]) -> services.OfferingSpec:
    return services.OfferingSpec(
        category=data["category"],
        title=data["title"],
        description=data["description"],
        audience=data["audience"],
        eligible_tags=list(data["eligible_tags"]),
        price_fen=data["price"],
        subsidy_fen=data["subsidy"],
        capacity=data["capacity"],
        period=data["period"],
        schedule=data["schedule"],
        location=data["location"],
        available_from=data["available_from"],
        available_until=data["available_until"],
    )


ALIASES = {"price_fen": "price", "subsidy_fen": "subsidy"}


@login_required
def offering_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("menu.manage_menu"):
        raise PermissionDenied
    form = OfferingForm(
        request.POST or None,
        providers=_providers(request.user),
        regions=_menu_regions(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        provider = parse_provider(data["provider"])
        try:
            if provider is None:
                raise NotFound()
            created = services.offering_create(
                actor=request.user,
                region_code=data["region"],
                provider_kind=provider[0],
                provider_id=provider[1],
                spec=_spec(data),
            )
        except DomainError as exc:
            show_domain_error(form, exc, ALIASES)
        else:
            messages.success(request, _("服务已上架。"))
            return redirect("menu:offering_edit", offering_id=created.pk)
    return render(request, "menu/offering_form.html", {"form": form, "offering": None})


def _offering(request: HttpRequest, offering_id: int) -> ServiceOffering:
    try:
        found = selectors.offering_get(user=request.user, offering_id=offering_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if not rules.may_manage_offering(request.user, found):
        raise PermissionDenied
    return found


@login_required
def offering_edit(request: HttpRequest, offering_id: int) -> HttpResponse:
    found = _offering(request, offering_id)
    initial = {
        "category": found.category.code,
        "title": found.title,
        "description": found.description,
        "audience": found.audience,
        "eligible_tags": found.eligible_tags,
        "price": found.price_yuan,
        "subsidy": found.subsidy_yuan,
        "capacity": found.capacity,
        "period": found.period,
        "schedule": found.schedule,
        "location": found.location,
        "available_from": found.available_from,
        "available_until": found.available_until,
    }
    form = OfferingForm(
        request.POST or None, initial=initial, providers=[], regions=[], editing=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.offering_update(
                offering_id=offering_id, actor=request.user, spec=_spec(form.cleaned_data)
            )
        except DomainError as exc:
            show_domain_error(form, exc, ALIASES)
        else:
            messages.success(request, _("服务已更新。"))
            return redirect("menu:offering_edit", offering_id=offering_id)
    taken = (
        selectors.with_places(ServiceOffering.objects.filter(pk=found.pk), timezone.localdate())
        .values_list("taken", flat=True)  # type: ignore[misc]
        .first()
    )
    satisfaction = selectors.satisfaction(
        selectors.orders_visible(user=request.user).filter(offering_id=found.pk)
    )
    return render(
        request,
        "menu/offering_form.html",
        {"form": form, "offering": found, "taken": taken, "satisfaction": satisfaction},
    )


@login_required
@require_POST
def offering_toggle(request: HttpRequest, offering_id: int) -> HttpResponse:
    found = _offering(request, offering_id)
    service = services.offering_resume if not found.active else services.offering_pause
    try:
        service(offering_id=offering_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("服务已重新上架。") if not found.active else _("服务已下架。"))
    return redirect("menu:offering_edit", offering_id=offering_id)
