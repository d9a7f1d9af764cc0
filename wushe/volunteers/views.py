"""Pages of the volunteer register. Each view checks rules.py, reads through selectors and
writes through services; a DomainError is shown on the form, NotFound is a 404."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound, ValidationFailed
from wushe.core.paging import render_list
from wushe.organizations.models import Organization
from wushe.privacy.selectors import consents_of
from wushe.regions import codes

from . import selectors, services
from .forms import (
    MemberForm,
    MyVolunteerForm,
    TeamForm,
    TransitionForm,
    VolunteerEditForm,
    VolunteerFilterForm,
    VolunteerRegisterForm,
    apply_domain_error,
    availability_rows,
    mask_from_slots,
)
from .models import Volunteer, VolunteerStatus
from .rules import can_write_region, editable_fields
from .services import SELF_EDITABLE_FIELDS, UPDATABLE_FIELDS

EXPORT_KIND = "volunteers"


def not_found_as_404(view: Any) -> Any:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc

    return wrapper


def export_url() -> str:
    """The imports engine's export for this register (URL name `imports:export`), or its
    start page while the engine does not offer it."""
    for kwargs in ({"kind": EXPORT_KIND}, None):
        try:
            if kwargs:
                return reverse("imports:export", kwargs=kwargs)
            return reverse("imports:export") + f"?kind={EXPORT_KIND}"
        except NoReverseMatch:
            continue
    return "/imports/"


def export_href(request: HttpRequest) -> str:
    """The export link carrying the list's current filters (the engine passes them to
    VolunteerAdapter.export_queryset)."""
    query = request.GET.copy()
    query.pop("page", None)
    url = export_url()
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + query.urlencode()


def _slot_values(mask: int) -> list[str]:
    return [str(i) for i in range(21) if mask & (1 << i)]


# --- List, detail ----------------------------------------------------------------------------


@login_required
def volunteer_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("volunteers.list_volunteer"):
        raise PermissionDenied
    teams = [(t.pk, t.name) for t in selectors.team_list(user=request.user)[:200]]
    form = VolunteerFilterForm(request.GET or None, user=request.user, teams=teams)
    filters = selectors.VolunteerFilter()
    if form.is_valid():
        data = form.cleaned_data
        region = ""
        if data["region"]:
            try:
                region = codes.significant_prefix(codes.normalize(data["region"]))
            except DomainError as exc:
                form.add_error("region", str(exc.message))
        id_hash = ""
        if data["id_number"]:
            try:
                id_hash = selectors.hash_of_id_number(data["id_number"])
            except ValidationFailed as exc:
                form.add_error("id_number", str(exc.message))
        filters = selectors.VolunteerFilter(
            region=region,
            skill=data["skill"],
            day=int(data["day"]) if data["day"] != "" else None,
            period=int(data["period"]) if data["period"] != "" else None,
            status=data["status"],
            team=data["team"],
            name=data["name"],
            id_number_hash=id_hash,
        )
    queryset = selectors.volunteer_search(user=request.user, filters=filters)
    if form.errors:
        queryset = queryset.none()
    return render_list(
        request,
        queryset=queryset,
        template="volunteers/list.html",
        partial_template="volunteers/_results.html",
        context={
            "form": form,
            "can_add": request.user.has_perm("volunteers.add_volunteer"),
            "can_export": request.user.has_perm("volunteers.export_volunteer"),
            "export_href": export_href(request),
        },
    )


@login_required
@not_found_as_404
def volunteer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = selectors.volunteer_get(user=request.user, pk=pk)
    user = request.user
    fields = editable_fields(user, volunteer)
    return render(
        request,
        "volunteers/detail.html",
        {
            "v": volunteer,
            "can_reveal": user.has_perm("volunteers.reveal_volunteer", volunteer),
            "can_edit": fields == UPDATABLE_FIELDS,
            "can_edit_own": fields == SELF_EDITABLE_FIELDS,
            "can_change_status": user.has_perm("volunteers.change_status_volunteer", volunteer),
            "consents": consents_of(volunteer),
            "grid": availability_rows(volunteer.availability),
            "transitions": _transitions(volunteer),
            "transition_form": TransitionForm(),
        },
    )


def _transitions(volunteer: Volunteer) -> list[tuple[str, str]]:
    """(action, button label) allowed from the current status."""
    labels: dict[str, tuple[str, str]] = {
        VolunteerStatus.SUSPENDED.value: ("suspend", _("暂停")),
        VolunteerStatus.ACTIVE.value: ("reactivate", _("恢复在册")),
        VolunteerStatus.WITHDRAWN.value: ("withdraw", _("注销")),
    }
    from .models import STATUS_TRANSITIONS

    return [labels[target] for target in sorted(STATUS_TRANSITIONS[volunteer.status])]


# --- Register, edit, status -------------------------------------------------------------------


@login_required
def volunteer_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("volunteers.add_volunteer"):
        raise PermissionDenied
    form = VolunteerRegisterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            region = services.check_community(data["region"])
            if not can_write_region(request.user, region):
                raise ValidationFailed(
                    _("该社区不在您的管辖范围内。"),
                    code="volunteer.region.out_of_scope",
                    fields={"region": [_("该社区不在您的管辖范围内。")]},
                )
            volunteer = services.volunteer_register(
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                region_code=region,
                registered_on=data["registered_on"],
                number=data["number"],
                skills=data["skills"],
                availability=mask_from_slots(data["availability"]),
                latitude=data["latitude"],
                longitude=data["longitude"],
                coord_source=data["coord_source"] or "wgs84",
                political_status=data["political_status"],
                consent_given=data["consent"],
                consent_method=data["consent_method"],
                consent_given_on=data["consent_given_on"],
                guardian_name=data["guardian_name"],
                guardian_relation=data["guardian_relation"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已登记志愿者 %(name)s，编号 %(number)s。")
                % {"name": volunteer.name, "number": volunteer.number},
            )
            return redirect("volunteers:detail", pk=volunteer.pk)
    return render(
        request,
        "volunteers/form.html",
        {
            "form": form,
            "title": _("登记志愿者"),
            "registering": True,
            "grid": availability_rows(mask_from_slots(form["availability"].value() or [])),
        },
    )


@login_required
@not_found_as_404
def volunteer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = selectors.volunteer_get(user=request.user, pk=pk)
    fields = editable_fields(request.user, volunteer)
    if fields == SELF_EDITABLE_FIELDS:
        return redirect("volunteers:me")
    if fields != UPDATABLE_FIELDS:
        raise PermissionDenied
    initial = {
        "name": volunteer.name,
        "region": volunteer.region_id,
        "registered_on": volunteer.registered_on,
        "skills": [t.code for t in volunteer.skills.all()],
        "availability": _slot_values(volunteer.availability),
        "political_status": volunteer.political_status,
        "latitude": volunteer.latitude,
        "longitude": volunteer.longitude,
        "coord_source": "wgs84",
    }
    form = VolunteerEditForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {
            "name": data["name"],
            "registered_on": data["registered_on"] or volunteer.registered_on,
            "skills": data["skills"],
            "availability": mask_from_slots(data["availability"]),
            "political_status": data["political_status"],
            "location": {
                "latitude": data["latitude"],
                "longitude": data["longitude"],
                "coord_source": data["coord_source"] or "wgs84",
            },
        }
        if data["id_number"]:
            changes["id_number"] = data["id_number"]
        if data["phone"]:
            changes["phone"] = data["phone"]
        elif data["phone_clear"]:
            changes["phone"] = ""
        try:
            if data["region"] != volunteer.region_id:
                region = services.check_community(data["region"])
                if not can_write_region(request.user, region):
                    raise ValidationFailed(
                        _("该社区不在您的管辖范围内。"),
                        code="volunteer.region.out_of_scope",
                        fields={"region": [_("该社区不在您的管辖范围内。")]},
                    )
                changes["region_code"] = region
            services.volunteer_update(
                volunteer=volunteer, actor=request.user, changes=changes, allowed_fields=fields
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("volunteers:detail", pk=volunteer.pk)
    return render(
        request,
        "volunteers/form.html",
        {
            "form": form,
            "v": volunteer,
            "title": _("修改志愿者信息"),
            "registering": False,
            "grid": availability_rows(mask_from_slots(form["availability"].value() or [])),
        },
    )


TRANSITIONS = {
    "suspend": services.volunteer_suspend,
    "reactivate": services.volunteer_reactivate,
    "withdraw": services.volunteer_withdraw,
}


@login_required
@require_POST
@not_found_as_404
def volunteer_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    service = TRANSITIONS.get(action)
    if service is None:
        raise Http404
    volunteer = selectors.volunteer_get(user=request.user, pk=pk)
    if not request.user.has_perm("volunteers.change_status_volunteer", volunteer):
        raise PermissionDenied
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        updated = service(volunteer=volunteer, actor=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("状态已更新为“%(s)s”。") % {"s": updated.get_status_display()})
    return redirect("volunteers:detail", pk=pk)


# --- My record -------------------------------------------------------------------------------


@login_required
def my_volunteer(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("volunteers.view_own_volunteer"):
        raise PermissionDenied
    volunteer = selectors.volunteer_of_user(user=request.user)
    if volunteer is None:
        return render(request, "volunteers/me.html", {"v": None})
    initial = {
        "skills": [t.code for t in volunteer.skills.all()],
        "availability": _slot_values(volunteer.availability),
    }
    form = MyVolunteerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {
            "skills": data["skills"],
            "availability": mask_from_slots(data["availability"]),
        }
        if data["phone"]:
            changes["phone"] = data["phone"]
        try:
            services.volunteer_update(
                volunteer=volunteer,
                actor=request.user,
                changes=changes,
                allowed_fields=editable_fields(request.user, volunteer),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("已保存，谢谢您！"))
            return redirect("volunteers:me")
    return render(
        request,
        "volunteers/me.html",
        {
            "v": volunteer,
            "form": form,
            "grid": availability_rows(mask_from_slots(form["availability"].value() or [])),
            "can_reveal": request.user.has_perm("volunteers.reveal_volunteer", volunteer),
        },
    )


# --- Teams -----------------------------------------------------------------------------------


def _organization_choices(user: Any) -> list[tuple[int, str]]:
    """Organisations registered in the counties the user writes for (short list)."""
    from wushe.accounts.roles import WRITER_ROLES
    from wushe.accounts.scoping import NATIONWIDE, scope_prefixes

    prefixes = scope_prefixes(user, WRITER_ROLES)
    counties = sorted({p[:6] for p in prefixes if len(p) >= 6})
    qs = Organization.objects.order_by("name")
    if NATIONWIDE not in prefixes:
        from django.db.models import Q

        q = Q(pk__in=[])
        for county in counties:
            low, high = codes.scope_range(county)
            q |= Q(region__gte=low, region__lte=high)
        qs = qs.filter(q)
    return [(pk, name) for pk, name in qs.values_list("pk", "name")[:300]]


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("volunteers.view_team"):
        raise PermissionDenied
    can_add = request.user.has_perm("volunteers.add_team")
    form = None
    if can_add:
        form = TeamForm(
            request.POST or None,
            user=request.user,
            organizations=_organization_choices(request.user),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                code = codes.normalize(data["region"])
                if not can_write_region(request.user, code):
                    raise ValidationFailed(
                        _("该区划不在您的管辖范围内。"),
                        code="volunteer_team.region.out_of_scope",
                        fields={"region": [_("该区划不在您的管辖范围内。")]},
                    )
                organization = None
                if data["organization"]:
                    low, high = codes.scope_range(code[:6])
                    organization = Organization.objects.filter(
                        pk=data["organization"], region__gte=low, region__lte=high
                    ).first()
                    if organization is None:
                        raise ValidationFailed(
                            _("只能选择在本区县登记或备案的社会组织。"),
                            code="volunteer_team.organization.invalid",
                            fields={"organization": [_("只能选择在本区县登记或备案的社会组织。")]},
                        )
                team = services.team_create(
                    name=data["name"],
                    region_code=code,
                    organization=organization,
                    description=data["description"],
                    actor=request.user,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("已新建志愿服务队。"))
                return redirect("volunteers:team", pk=team.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render_list(
        request,
        queryset=selectors.team_list(user=request.user),
        template="volunteers/teams.html",
        partial_template="volunteers/_teams.html",
        context={"form": form},
    )


@login_required
@not_found_as_404
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, pk=pk)
    can_change = request.user.has_perm("volunteers.change_team", team)
    form = MemberForm(request.POST or None) if can_change else None
    if request.method == "POST":
        if not can_change or form is None:
            raise PermissionDenied
        if form.is_valid():
            number = form.cleaned_data["number"].strip().upper()
            volunteer = (
                selectors.volunteers_visible(user=request.user)
                .filter(county_code=team.county_code, number=number)
                .first()
            )
            if volunteer is None:
                form.add_error("number", _("在您的管辖范围内找不到该编号的志愿者。"))
            else:
                try:
                    services.team_add_member(
                        team=team,
                        volunteer=volunteer,
                        role=form.cleaned_data["role"],
                        actor=request.user,
                    )
                except DomainError as exc:
                    apply_domain_error(form, exc)
                else:
                    messages.success(request, _("已加入队伍：%(name)s") % {"name": volunteer.name})
                    return redirect("volunteers:team", pk=team.pk)
    return render(
        request,
        "volunteers/team_detail.html",
        {
            "team": team,
            "members": selectors.team_members(team=team),
            "can_change": can_change,
            "form": form,
        },
    )


@login_required
@require_POST
@not_found_as_404
def team_remove_member(request: HttpRequest, pk: int, volunteer_pk: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, pk=pk)
    if not request.user.has_perm("volunteers.change_team", team):
        raise PermissionDenied
    volunteer = selectors.volunteer_get(user=request.user, pk=volunteer_pk)
    services.team_remove_member(team=team, volunteer=volunteer, actor=request.user)
    messages.success(request, _("已移出队伍：%(name)s") % {"name": volunteer.name})
    return redirect("volunteers:team", pk=team.pk)
