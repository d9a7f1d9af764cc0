from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound
from wushe.core.forms import show_domain_error
from wushe.core.paging import render_list

from . import selectors, services
from .forms import (
    DeregisterForm,
    FileForm,
    GradeForm,
    OrganizationFilterForm,
    OrganizationForm,
    RegisterForm,
)
from .models import GRADE_WARNING_DAYS, LegalStatus, Organization
from .services import OFFICIAL_FIELDS, TRANSITIONS, OrganizationFacts

_SPLIT = re.compile(r"[、,，;；/\s]+")


def export_url() -> str:
    """The import engine's export page for this register (built by the imports app)."""
    try:
        return reverse("imports:export", kwargs={"kind": "organizations"})
    except NoReverseMatch:
        return "/imports/export/organizations/"


def _get(request: HttpRequest, pk: int) -> Organization:
    try:
        return selectors.organization_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _show_error(form: Form, exc: DomainError) -> None:
    show_domain_error(form, exc)


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("organizations.view_organization"):
        raise PermissionDenied
    form = OrganizationFilterForm(request.GET or None)
    filters = form.to_filter()
    today = timezone.localdate()
    qs = selectors.organization_search(
        user=request.user, filters=filters or selectors.OrganizationFilter(), today=today
    )
    if filters is None:
        qs = qs.none()
    return render_list(
        request,
        queryset=qs,
        template="organizations/list.html",
        partial_template="organizations/_results.html",
        context={
            "form": form,
            "today": today,
            "can_add": request.user.has_perm("organizations.add_organization"),
            "can_export": request.user.has_perm("organizations.export_organizations"),
            "export_url": export_url(),
        },
    )


def _grade_badge(org: Organization, today: Any) -> dict[str, Any]:
    return {
        "state": org.grade_state(today),
        "days": org.grade_days_left(today),
        "warning_days": GRADE_WARNING_DAYS,
    }


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _get(request, pk)
    return render(request, "organizations/detail.html", _detail_context(request, org))


def _detail_context(request: HttpRequest, org: Organization, **forms: Form) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    contacts = [
        {"contact": c, "can_reveal": user.has_perm("organizations.reveal_organizationcontact", c)}
        for c in org.contacts.all()
    ]
    can_lifecycle = user.has_perm("organizations.manage_lifecycle_organization", org)
    transitions = (
        [name for name, (sources, _t) in TRANSITIONS.items() if org.legal_status in sources]
        if can_lifecycle
        else []
    )
    return {
        "org": org,
        "today": today,
        "grade": _grade_badge(org, today),
        "contacts": contacts,
        "can_change": user.has_perm("organizations.change_organization", org),
        "can_grade": user.has_perm("organizations.grade_organization", org)
        and org.legal_status == LegalStatus.REGISTERED,
        "transitions": transitions,
        "register_form": forms.get("register") or RegisterForm(prefix="register"),
        "file_form": forms.get("file") or FileForm(prefix="file"),
        "deregister_form": forms.get("deregister") or DeregisterForm(prefix="deregister"),
        "grade_form": forms.get("grade") or GradeForm(prefix="grade"),
        "credit_warnings": [services.warning_message(code) for code in org.credit_code_warnings],
    }


def _resolve_places(
    request: HttpRequest, form: OrganizationForm
) -> tuple[str | None, list[str] | None]:
    # Names resolve within the counties the user keeps records in (a community worker names
    # the township that filed an organisation).
    within = sorted({p[:6] for p in selectors.writer_prefixes(request.user)})
    region_code: str | None = None
    coverage: list[str] | None = None
    if "region" in form.cleaned_data and not form.fields["region"].disabled:
        found, missing = selectors.regions_resolve(
            [form.cleaned_data["region"]], within=within, min_level=1
        )
        if missing or not found:
            form.add_error("region", _("找不到该区划，或名称不唯一：请填写 12 位区划代码。"))
        else:
            region_code = found[0]
    if "coverage" in form.cleaned_data and not form.fields["coverage"].disabled:
        tokens = [t for t in _SPLIT.split(form.cleaned_data["coverage"] or "") if t]
        coverage, missing = selectors.regions_resolve(tokens, within=within)
        if missing:
            form.add_error(
                "coverage",
                _("找不到这些服务社区（或名称不唯一，请写区划代码）：%(v)s")
                % {"v": "、".join(missing)},
            )
    return region_code, coverage


_FORM_FACTS = (
    "name",
    "org_kind",
    "credit_code",
    "filing_number",
    "category",
    "service_categories",
    "is_hub",
    "is_charity",
    "is_social_work_agency",
    "has_party_org",
    "legal_representative",
    "contact_name",
    "contact_title",
    "contact_phone",
    "address",
    "founded_on",
    "registered_on",
    "filed_on",
    "staff_full_time",
    "staff_part_time",
    "staff_social_workers",
    "description",
)


@login_required
def organization_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("organizations.add_organization"):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        region_code, coverage = _resolve_places(request, form)
        if region_code is not None and not form.errors:
            data = form.cleaned_data
            facts = OrganizationFacts(
                region=region_code,
                coverage=coverage or [],
                **{name: data[name] for name in _FORM_FACTS},
            )
            try:
                org = services.organization_create(
                    facts=facts, legal_status=data["legal_status"], actor=request.user
                )
            except DomainError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, _("已登记社会组织：%(name)s") % {"name": org.name})
                return redirect("organizations:detail", pk=org.pk)
    return render(request, "organizations/form.html", {"form": form, "org": None})


def _initial(org: Organization) -> dict[str, Any]:
    contact = selectors.primary_contact(org)
    return {
        "name": org.name,
        "org_kind": org.org_kind,
        "region": org.region_id,
        "coverage": " ".join(r.code for r in org.coverage.all()),
        "credit_code": org.credit_code,
        "filing_number": org.filing_number,
        "category": org.category.code if org.category else "",
        "service_categories": [t.code for t in org.service_categories.all()],
        "is_hub": org.is_hub,
        "is_charity": org.is_charity,
        "is_social_work_agency": org.is_social_work_agency,
        "has_party_org": org.has_party_org,
        "legal_representative": org.legal_representative,
        "contact_name": contact.name if contact else "",
        "contact_title": contact.title if contact else "",
        "contact_phone": "",
        "address": org.address,
        "founded_on": org.founded_on,
        "registered_on": org.registered_on,
        "filed_on": org.filed_on,
        "staff_full_time": org.staff_full_time,
        "staff_part_time": org.staff_part_time,
        "staff_social_workers": org.staff_social_workers,
        "description": org.description,
    }


@login_required
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = _get(request, pk)
    if not request.user.has_perm("organizations.change_organization", org):
        raise PermissionDenied
    official = request.user.has_perm("organizations.change_official_organization", org)
    form = OrganizationForm(
        request.POST or None,
        initial=_initial(org),
        editing=True,
        official=official,
        official_fields=OFFICIAL_FIELDS,
    )
    if request.method == "POST" and form.is_valid():
        region_code, coverage = _resolve_places(request, form)
        if not form.errors:
            data = form.cleaned_data
            changes: dict[str, Any] = {
                name: data[name] for name in _FORM_FACTS if not form.fields[name].disabled
            }
            if region_code is not None:
                changes["region"] = region_code
            if coverage is not None:
                changes["coverage"] = coverage
            try:
                services.organization_update(organization=org, changes=changes, actor=request.user)
            except DomainError as exc:
                _show_error(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("organizations:detail", pk=org.pk)
    contact = selectors.primary_contact(org)
    return render(
        request,
        "organizations/form.html",
        {"form": form, "org": org, "phone_masked": contact.phone_masked if contact else ""},
    )


@login_required
@require_POST
def organization_transition(request: HttpRequest, pk: int, transition: str) -> HttpResponse:
    org = _get(request, pk)
    if transition not in TRANSITIONS:
        raise Http404
    if not request.user.has_perm("organizations.manage_lifecycle_organization", org):
        raise PermissionDenied
    form: Form
    try:
        if transition == "register":
            form = RegisterForm(request.POST, prefix="register")
            if form.is_valid():
                services.organization_register(
                    organization=org,
                    credit_code=form.cleaned_data["credit_code"],
                    registered_on=form.cleaned_data["registered_on"],
                    actor=request.user,
                )
        elif transition == "file":
            form = FileForm(request.POST, prefix="file")
            if form.is_valid():
                services.organization_file(
                    organization=org,
                    filing_number=form.cleaned_data["filing_number"],
                    filed_on=form.cleaned_data["filed_on"],
                    actor=request.user,
                )
        else:
            form = DeregisterForm(request.POST, prefix="deregister")
            if form.is_valid():
                services.organization_deregister(
                    organization=org,
                    deregistered_on=form.cleaned_data["deregistered_on"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
    except DomainError as exc:
        _show_error(form, exc)
    if form.errors:
        org = _get(request, pk)
        context = _detail_context(request, org, **{transition: form})
        return render(request, "organizations/detail.html", context, status=422)
    messages.success(request, _("登记状态已更新。"))
    return redirect("organizations:detail", pk=org.pk)


@login_required
@require_POST
def organization_grade(request: HttpRequest, pk: int) -> HttpResponse:
    org = _get(request, pk)
    if not request.user.has_perm("organizations.grade_organization", org):
        raise PermissionDenied
    form = GradeForm(request.POST, prefix="grade")
    if form.is_valid():
        try:
            services.organization_grade(
                organization=org,
                grade=form.cleaned_data["grade"],
                awarded_on=form.cleaned_data["awarded_on"],
                expires_on=form.cleaned_data["expires_on"],
                actor=request.user,
            )
        except DomainError as exc:
            _show_error(form, exc)
    if form.errors:
        context = _detail_context(request, _get(request, pk), grade=form)
        return render(request, "organizations/detail.html", context, status=422)
    messages.success(request, _("评估等级已记录。"))
    return redirect("organizations:detail", pk=org.pk)
