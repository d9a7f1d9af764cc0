from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wushe.core.errors import DomainError, NotFound
from wushe.core.paging import render_list
from wushe.socialworkers.selectors import station_staff

from . import selectors, services
from .forms import StationFilterForm, StationForm, show_errors
from .models import ServiceStation


def _station_or_404(request: HttpRequest, station_id: int) -> ServiceStation:
    try:
        return selectors.station_get(user=request.user, station_id=station_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def station_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("stations.view_servicestation"):
        raise PermissionDenied
    form = StationFilterForm(request.GET or None)
    filters = selectors.StationFilter()
    if form.is_valid():
        data = form.cleaned_data
        active = {"1": True, "0": False}.get(data["active"])
        filters = selectors.StationFilter(
            kind=data["kind"],
            region=data["region"],
            active=active,
            q=data["q"],
            understaffed=data["understaffed"],
        )
    stations = selectors.station_search(user=request.user, filters=filters)
    if form.errors:
        stations = stations.none()
    return render_list(
        request,
        queryset=stations,
        template="stations/list.html",
        partial_template="stations/_results.html",
        context={
            "form": form,
            "can_add": request.user.has_perm("stations.add_servicestation"),
            "target": selectors.RESIDENT_STAFF_TARGET,
        },
    )


@login_required
def station_detail(request: HttpRequest, station_id: int) -> HttpResponse:
    station = _station_or_404(request, station_id)
    staff = list(station_staff(user=request.user, station=station))
    return render(
        request,
        "stations/detail.html",
        {
            "station": station,
            "staff": staff,
            "hidden_staff": max(
                getattr(station, "staff_count", 0) - sum(1 for s in staff if s.in_post), 0
            ),
            "target": selectors.RESIDENT_STAFF_TARGET,
            "can_change": request.user.has_perm("stations.change_servicestation", station),
        },
    )


@login_required
def station_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("stations.add_servicestation"):
        raise PermissionDenied
    form = StationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        try:
            station = services.station_create(
                actor=request.user,
                kind=values["kind"],
                name=values["name"],
                region_code=values["region"],
                address=values["address"],
                operator_id=values["operator"],
                service_area_m2=values["service_area_m2"],
                phone=values["phone"],
                opened_on=values["opened_on"],
                closed_on=values["closed_on"],
                active=values["active"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("服务站点已登记。"))
            return redirect("stations:detail", station_id=station.pk)
    return render(request, "stations/form.html", {"form": form, "station": None})


@login_required
def station_edit(request: HttpRequest, station_id: int) -> HttpResponse:
    station = _station_or_404(request, station_id)
    if not request.user.has_perm("stations.change_servicestation", station):
        raise PermissionDenied
    initial = {
        "kind": station.kind,
        "name": station.name,
        "region": station.region_id,
        "address": station.address,
        "operator": station.operator_id,
        "service_area_m2": station.service_area_m2,
        "phone": station.phone,
        "opened_on": station.opened_on,
        "closed_on": station.closed_on,
        "active": station.active,
    }
    form = StationForm(
        request.POST or None, initial=initial, user=request.user, operator_id=station.operator_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.station_update(
                actor=request.user, station_id=station.pk, changes=form.service_values()
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("服务站点已保存。"))
            return redirect("stations:detail", station_id=station.pk)
    return render(request, "stations/form.html", {"form": form, "station": station})
