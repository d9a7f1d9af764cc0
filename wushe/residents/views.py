"""Pages of the residents register. Every page checks a rules permission, reads through the
selectors and writes through the services; outside the user's scope a record is a 404."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.scoping import NATIONWIDE, has_role, scope_prefixes, scope_q
from wushe.core.errors import DomainError, NotFound, ValidationFailed
from wushe.core.forms import show_domain_error
from wushe.core.identifiers import parse_id_number, parse_phone
from wushe.core.paging import render_list
from wushe.privacy.selectors import consents_of
from wushe.regions import codes
from wushe.regions.models import Region

from . import selectors, services
from .forms import (
    ConsentForm,
    HouseholdForm,
    MoveOutForm,
    ResidentCreateForm,
    ResidentFilterForm,
    ResidentForm,
    TagEndForm,
    TagForm,
)
from .models import Household, Resident, ResidentStatus, ResidentTag, Tag
from .rules import SENSITIVE_TAG_ROLES, is_sensitive, tag_views

# Filters shown at once; the rest fold away (a phone shows three fields, not eight).
MAIN_FILTERS = ("region", "name", "tag")

# Above this many regions a select is unusable: the form takes a typed code instead.
MAX_REGION_OPTIONS = 600

# Service error fields -> form fields, where the names differ.
_FIELD_ALIASES = {
    "household": "household_number",
    "given_on": "consent_given_on",
    "method": "consent_method",
}


def _apply_errors(form: django_forms.Form, exc: DomainError) -> None:
    show_domain_error(form, exc, _FIELD_ALIASES)


def _region_choices(
    user: Any, roles: Any, *, levels: tuple[int, ...] = (Region.Level.COMMUNITY,)
) -> list[tuple[str, str]] | None:
    """Regions of the user's scope for a select, or None when there are too many."""
    prefixes = scope_prefixes(user, roles)
    if not prefixes or NATIONWIDE in prefixes or any(len(p) < 6 for p in prefixes):
        return None if prefixes else []
    regions = list(
        Region.objects.filter(scope_q(user, "code", roles), level__in=levels)
        .select_related("parent")
        .order_by("code")[: MAX_REGION_OPTIONS + 1]
    )
    if len(regions) > MAX_REGION_OPTIONS:
        return None
    multi_township = len({r.code[:9] for r in regions}) > 1
    return [
        (
            r.code,
            f"{r.parent.short_name} · {r.short_name}"
            if multi_township and r.level == Region.Level.COMMUNITY and r.parent
            else r.short_name,
        )
        for r in regions
    ]


def _region_field_choices(user: Any) -> list[tuple[str, str]] | None:
    """Communities the user may write to, or None (too many: the form takes a typed code)."""
    return _region_choices(user, WRITER_ROLES)


def _tag_choices(user: Any) -> list[tuple[str, Any]]:
    """Filter choices: sensitive tags only for users who may see them somewhere."""
    if has_role(user, *SENSITIVE_TAG_ROLES):
        return list(Tag.choices)
    return [(value, label) for value, label in Tag.choices if not is_sensitive(value)]


def _resident_or_404(request: HttpRequest, pk: int) -> Resident:
    try:
        return selectors.resident_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _require_change(request: HttpRequest, resident: Resident) -> None:
    if not request.user.has_perm("residents.change_resident", resident):
        raise PermissionDenied


# --- List --------------------------------------------------------------------------------------


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("residents.view_register"):
        if user.has_perm("residents.view_own_record"):
            return redirect("residents:me")
        raise PermissionDenied
    region_choices = _region_choices(
        user, WORKER_ROLES, levels=(Region.Level.TOWNSHIP, Region.Level.COMMUNITY)
    )
    data = request.GET.copy() if request.GET else None
    if data is not None and "status" not in data:
        data["status"] = ResidentStatus.ACTIVE
    form = ResidentFilterForm(data, region_choices=region_choices, tag_choices=_tag_choices(user))
    filters = selectors.ResidentFilter()
    if form.is_valid():
        filters = _filters_from(form)
    queryset = selectors.resident_search(user=user, filters=filters)
    if form.errors:
        queryset = queryset.none()
    return render_list(
        request,
        queryset=queryset,
        template="residents/list.html",
        partial_template="residents/_results.html",
        context={
            "form": form,
            "can_add": user.has_perm("residents.add_resident"),
            "main_filters": MAIN_FILTERS,
            # Keep the extra filters open when one of them is in use or wrong.
            "more_open": any(
                request.GET.get(name) or form.errors.get(name)
                for name in ("id_number", "phone", "age_min", "age_max")
            )
            or request.GET.get("status", ResidentStatus.ACTIVE) != ResidentStatus.ACTIVE,
        },
    )


def _filters_from(form: ResidentFilterForm) -> selectors.ResidentFilter:
    data = form.cleaned_data
    region = id_number = phone = ""
    if data["region"]:
        try:
            region = codes.significant_prefix(codes.normalize(data["region"]))
        except DomainError as exc:
            form.add_error("region", str(exc.message))
    if data["id_number"]:
        try:
            id_number = parse_id_number(data["id_number"]).number
        except ValidationFailed as exc:
            form.add_error("id_number", str(exc.message))
    if data["phone"]:
        try:
            phone = parse_phone(data["phone"])
        except ValidationFailed as exc:
            form.add_error("phone", str(exc.message))
    status = data["status"] or ResidentStatus.ACTIVE
    return selectors.ResidentFilter(
        region=region,
        name=data["name"],
        id_number=id_number,
        phone=phone,
        tag=data["tag"],
        age_min=data["age_min"],
        age_max=data["age_max"],
        status="" if status == "all" else status,
    )


# --- Detail and its actions --------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    resident: Resident,
    *,
    status: int = 200,
    self_view: bool = False,
    **forms: django_forms.Form,
) -> HttpResponse:
    user = request.user
    tags = list(selectors.resident_tags(resident=resident))
    current = [t for t in tags if t.end_date is None]
    past = [t for t in tags if t.end_date is not None]
    can_change = user.has_perm("residents.change_resident", resident)
    household = resident.household
    members: list[Resident] = []
    if household is not None and user.has_perm("residents.view_household", household):
        members = list(selectors.household_members(household=household))
    today = timezone.localdate()
    context = {
        "resident": resident,
        "self_view": self_view,
        "current_tags": tag_views(user, resident, current),
        "past_tags": tag_views(user, resident, past),
        "household": household,
        "members": members,
        "consents": list(consents_of(resident)),
        "can_change": can_change and resident.status == ResidentStatus.ACTIVE,
        "can_edit": can_change,
        "can_reveal": user.has_perm("residents.reveal_resident", resident),
        "tag_form": forms.get("tag_form") or TagForm(initial={"start_date": today}),
        "end_form": forms.get("end_form") or TagEndForm(initial={"end_date": today}),
        "move_form": forms.get("move_form") or MoveOutForm(initial={"moved_out_on": today}),
        "consent_form": forms.get("consent_form") or ConsentForm(initial={"given_on": today}),
        "today": today,
    }
    return render(request, "residents/detail.html", context, status=status)


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _resident_or_404(request, pk)
    # A resident opening their own record by its address sees it as 我的信息.
    own = resident.user_id == request.user.pk and not request.user.has_perm(
        "residents.view_register"
    )
    return _detail(request, resident, self_view=own)


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    records = list(selectors.resident_own_records(user=request.user))
    if len(records) == 1:
        return _detail(request, records[0], self_view=True)
    return render(request, "residents/me.html", {"records": records})


@login_required
@require_POST
def tag_add(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _resident_or_404(request, pk)
    _require_change(request, resident)
    form = TagForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.resident_tag_add(
                resident=resident,
                tag=data["tag"],
                start_date=data["start_date"],
                source=data["source"],
                disability_category=data["disability_category"],
                disability_grade=data["disability_grade"],
                notes=data["notes"],
                actor=request.user,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已添加标签。"))
            return redirect("residents:detail", pk=resident.pk)
    return _detail(request, resident, status=422, tag_form=form)


@login_required
@require_POST
def tag_end(request: HttpRequest, pk: int, tag_id: int) -> HttpResponse:
    resident = _resident_or_404(request, pk)
    _require_change(request, resident)
    tag = ResidentTag.objects.filter(pk=tag_id, resident=resident).first()
    if tag is None:
        raise Http404
    form = TagEndForm(request.POST)
    if form.is_valid():
        try:
            services.resident_tag_end(
                tag=tag, end_date=form.cleaned_data["end_date"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已结束标签，历史记录已保留。"))
        return redirect("residents:detail", pk=resident.pk)
    return _detail(request, resident, status=422, end_form=form)


@login_required
@require_POST
def move_out(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _resident_or_404(request, pk)
    _require_change(request, resident)
    form = MoveOutForm(request.POST)
    if form.is_valid():
        try:
            services.resident_move_out(
                resident=resident,
                moved_out_on=form.cleaned_data["moved_out_on"],
                destination=form.cleaned_data["destination"],
                actor=request.user,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已办理迁出。"))
            return redirect("residents:detail", pk=resident.pk)
    return _detail(request, resident, status=422, move_form=form)


@login_required
@require_POST
def consent_add(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _resident_or_404(request, pk)
    _require_change(request, resident)
    form = ConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.resident_consent_record(
                resident=resident,
                consent=services.ConsentInput(
                    given_on=data["given_on"],
                    purpose=data["purpose"],
                    method=data["method"],
                    scope=data["scope"],
                    guardian_name=data["guardian_name"],
                    guardian_relation=data["guardian_relation"],
                ),
                actor=request.user,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已记录同意。"))
            return redirect("residents:detail", pk=resident.pk)
    return _detail(request, resident, status=422, consent_form=form)


# --- Create and edit ---------------------------------------------------------------------------


@login_required
def resident_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("residents.add_resident"):
        raise PermissionDenied
    choices = _region_field_choices(request.user)
    form = ResidentCreateForm(request.POST or None, region_choices=choices)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            consent = None
            if data["consent_given_on"]:
                consent = services.ConsentInput(
                    given_on=data["consent_given_on"],
                    method=data["consent_method"],
                    guardian_name=data["guardian_name"],
                    guardian_relation=data["guardian_relation"],
                )
            try:
                resident = services.resident_create(
                    region_code=data["region"],
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    household_number=data["household_number"],
                    relation_to_head=data["relation_to_head"],
                    address=data["address"],
                    hukou=data["hukou"],
                    living_arrangement=data["living_arrangement"],
                    ethnicity=data["ethnicity"],
                    notes=data["notes"],
                    consent=consent,
                    actor=request.user,
                )
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已登记居民 %(name)s。") % {"name": resident.name})
                return redirect("residents:detail", pk=resident.pk)
    return render(
        request,
        "residents/form.html",
        {"form": form, "resident": None, "no_regions": choices == []},
        status=status,
    )


@login_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _resident_or_404(request, pk)
    _require_change(request, resident)
    choices = _region_field_choices(request.user)
    if choices is not None and resident.region_id not in {code for code, _label in choices}:
        choices = [(resident.region_id, resident.region.short_name), *choices]
    initial = {
        "region": resident.region_id,
        "name": resident.name,
        "household_number": resident.household.number if resident.household else "",
        "relation_to_head": resident.relation_to_head,
        "address": resident.address,
        "hukou": resident.hukou,
        "living_arrangement": resident.living_arrangement,
        "ethnicity": resident.ethnicity,
        "notes": resident.notes,
    }
    form = ResidentForm(request.POST or None, initial=initial, region_choices=choices, editing=True)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            changes: dict[str, Any] = {
                key: data[key]
                for key in (
                    "name",
                    "region",
                    "relation_to_head",
                    "address",
                    "hukou",
                    "living_arrangement",
                    "ethnicity",
                    "notes",
                )
            }
            for sealed in ("id_number", "phone"):
                if data[sealed]:
                    changes[sealed] = data[sealed]
            if data["household_number"] != initial["household_number"]:
                changes["household_number"] = data["household_number"]
            try:
                services.resident_update(resident=resident, changes=changes, actor=request.user)
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("residents:detail", pk=resident.pk)
    return render(
        request,
        "residents/form.html",
        {"form": form, "resident": resident, "no_regions": False},
        status=status,
    )


# --- Households --------------------------------------------------------------------------------


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("residents.view_register"):
        raise PermissionDenied
    number = request.GET.get("number", "").strip()[:30]
    queryset = selectors.household_search(user=request.user, number=number)
    return render_list(
        request,
        queryset=queryset,
        template="residents/household_list.html",
        partial_template="residents/_household_results.html",
        context={"number": number, "can_add": request.user.has_perm("residents.add_resident")},
    )


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        household = selectors.household_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return render(
        request,
        "residents/household_detail.html",
        {"household": household, "members": selectors.household_members(household=household)},
    )


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("residents.add_resident"):
        raise PermissionDenied
    form = HouseholdForm(request.POST or None, region_choices=_region_field_choices(request.user))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                household: Household = services.household_create(
                    region_code=form.cleaned_data["region"],
                    number=form.cleaned_data["number"],
                    address=form.cleaned_data["address"],
                    actor=request.user,
                )
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("已建户。"))
                return redirect("residents:household_detail", pk=household.pk)
    return render(request, "residents/household_form.html", {"form": form}, status=status)
