from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound
from wushe.core.paging import render_list

from . import selectors, services
from .forms import CheckinEndForm, CheckinFilterForm, CheckinForm, show_errors
from .models import CheckinStatus, PartyMemberCheckin


def _checkin_or_404(request: HttpRequest, checkin_id: int) -> PartyMemberCheckin:
    try:
        return selectors.checkin_get(user=request.user, checkin_id=checkin_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def checkin_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("partymembers.view_partymembercheckin"):
        raise PermissionDenied
    form = CheckinFilterForm(request.GET or None)
    filters = selectors.CheckinFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.CheckinFilter(
            q=data["q"],
            status=data["status"],
            region=data["region"],
            category=data["category"].code if data["category"] else "",
        )
    checkins = selectors.checkin_search(user=request.user, filters=filters)
    if form.errors:
        checkins = checkins.none()
    return render_list(
        request,
        queryset=checkins,
        template="partymembers/list.html",
        partial_template="partymembers/_results.html",
        context={
            "form": form,
            "can_add": request.user.has_perm("partymembers.add_partymembercheckin"),
        },
    )


@login_required
def checkin_detail(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = _checkin_or_404(request, checkin_id)
    return render(request, "partymembers/detail.html", _detail_context(request, checkin))


def _detail_context(
    request: HttpRequest, checkin: PartyMemberCheckin, end_form: CheckinEndForm | None = None
) -> dict[str, object]:
    user = request.user
    return {
        "checkin": checkin,
        "can_change": user.has_perm("partymembers.change_partymembercheckin", checkin),
        "can_reveal": user.has_perm("partymembers.reveal_partymembercheckin", checkin),
        "is_active": checkin.status == CheckinStatus.ACTIVE,
        "end_form": end_form or CheckinEndForm(),
    }


@login_required
def checkin_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("partymembers.add_partymembercheckin"):
        raise PermissionDenied
    form = CheckinForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        try:
            checkin = services.checkin_create(
                actor=request.user,
                name=values["name"],
                id_number=values["id_number"],
                phone=values["phone"],
                work_unit=values["work_unit"],
                party_organization=values["party_organization"],
                region_code=values["region"],
                reported_on=values["reported_on"],
                categories=values["categories"],
                skills=values["skills"],
                user_id=values["user"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("党员报到已登记。"))
            return redirect("partymembers:detail", checkin_id=checkin.pk)
    return render(request, "partymembers/form.html", {"form": form, "checkin": None})


@login_required
def checkin_edit(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = _checkin_or_404(request, checkin_id)
    if not request.user.has_perm("partymembers.change_partymembercheckin", checkin):
        raise PermissionDenied
    initial = {
        "name": checkin.name,
        "work_unit": checkin.work_unit,
        "party_organization": checkin.party_organization,
        "region": checkin.region_id,
        "reported_on": checkin.reported_on,
        "categories": [t.pk for t in checkin.categories.all()],
        "skills": [t.pk for t in checkin.skills.all()],
        "username": checkin.user.username if checkin.user_id else "",  # type: ignore[union-attr]
    }
    form = CheckinForm(request.POST or None, initial=initial, user=request.user, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_update(
                actor=request.user, checkin_id=checkin.pk, changes=form.service_values()
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("党员报到信息已保存。"))
            return redirect("partymembers:detail", checkin_id=checkin.pk)
    return render(request, "partymembers/form.html", {"form": form, "checkin": checkin})


@login_required
@require_POST
def checkin_end(request: HttpRequest, checkin_id: int) -> HttpResponse:
    checkin = _checkin_or_404(request, checkin_id)
    if not request.user.has_perm("partymembers.change_partymembercheckin", checkin):
        raise PermissionDenied
    form = CheckinEndForm(request.POST)
    if form.is_valid():
        try:
            services.checkin_end(
                actor=request.user, checkin_id=checkin.pk, ended_on=form.cleaned_data["ended_on"]
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("党员报到已结束。"))
            return redirect("partymembers:detail", checkin_id=checkin.pk)
    context = _detail_context(request, checkin, end_form=form)
    return render(request, "partymembers/detail.html", context, status=422)
