"""Public disclosure pages (信息公开), no login: projects, organisations and fund totals. Every
figure is computed from the records and links to the list behind it; no personal data."""

from __future__ import annotations

from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wushe.core.paging import render_list
from wushe.organizations.models import GradeState
from wushe.projects import rules as project_rules

from . import selectors


def _place(request: HttpRequest) -> selectors.Place:
    return selectors.clean_place(request.GET.get("region"), request.GET.get("year"))


def _region_name(code: str) -> str:
    from wushe.regions.models import Region

    return Region.objects.filter(code=code).values_list("name", flat=True).first() or ""


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "disclosure/index.html", {"o": selectors.overview()})


def projects(request: HttpRequest) -> HttpResponse:
    place = _place(request)
    qs = selectors.public_projects(place=place)
    return render_list(
        request,
        queryset=qs,
        template="disclosure/projects.html",
        partial_template="disclosure/projects.html",
        context={
            "place": place,
            "region_name": _region_name(place.region) if place.region else "",
            "totals": selectors.project_totals(qs),
        },
    )


def project(request: HttpRequest, project_id: int) -> HttpResponse:
    found = selectors.public_project(project_id=project_id)
    if found is None:
        raise Http404
    ledger = list(selectors.project_ledger(project=found))
    user = request.user
    return render(
        request,
        "disclosure/project.html",
        {
            "p": found,
            "ledger": ledger,
            "ledger_total": sum(e.amount_fen for e in ledger),
            "activities": list(selectors.project_activities(project=found)),
            "may_rate": user.is_authenticated
            and project_rules.may_rate(user, found)
            and found.status in ("approved", "evaluated"),
        },
    )


def organizations(request: HttpRequest) -> HttpResponse:
    place = _place(request)
    q = request.GET.get("q", "")[:50]
    return render_list(
        request,
        queryset=selectors.public_organizations(place=place, q=q),
        template="disclosure/organizations.html",
        partial_template="disclosure/organizations.html",
        context={"place": place, "q": q},
    )


def organization(request: HttpRequest, organization_id: int) -> HttpResponse:
    from django.utils import timezone

    found = selectors.public_organization(organization_id=organization_id)
    if found is None:
        raise Http404
    qs = selectors.public_projects(organization_id=found.pk)
    state = found.grade_state(timezone.localdate())
    return render(
        request,
        "disclosure/organization.html",
        {
            "o": found,
            "grade_valid": state in (GradeState.VALID, GradeState.EXPIRING),
            "projects": list(qs),
            "totals": selectors.project_totals(qs),
        },
    )


def funds(request: HttpRequest) -> HttpResponse:
    place = _place(request)
    rows = selectors.fund_totals(place=place)
    sums = {
        "donated": sum(r.donated_fen for r in rows),
        "approved": sum(r.approved_fen for r in rows),
        "spent": sum(r.spent_fen for r in rows),
    }
    return render(request, "disclosure/funds.html", {"rows": rows, "sums": sums, "place": place})


def donations(request: HttpRequest) -> HttpResponse:
    place = _place(request)
    qs = selectors.public_donations(place=place)
    total = qs.order_by().aggregate(s=Sum("amount_fen"))["s"]
    return render_list(
        request,
        queryset=qs,
        template="disclosure/donations.html",
        partial_template="disclosure/donations.html",
        context={
            "place": place,
            "region_name": _region_name(place.region) if place.region else "",
            "total": int(total or 0),
        },
    )


def expenditures(request: HttpRequest) -> HttpResponse:
    from django.db.models import Sum

    place = _place(request)
    qs = selectors.public_expenditures(place=place)
    total = qs.order_by().aggregate(s=Sum("amount_fen"))["s"]
    return render_list(
        request,
        queryset=qs,
        template="disclosure/expenditures.html",
        partial_template="disclosure/expenditures.html",
        context={
            "place": place,
            "region_name": _region_name(place.region) if place.region else "",
            "total": int(total or 0),
        },
    )
