"""Public figures as JSON under /api/v1/public/… (no login). The same selectors as the pages;
every total carries `href` to the list behind it. No personal data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Sum
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from ninja.pagination import paginate

from wushe.charity.models import Donation
from wushe.core.errors import NotFound
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.organizations.models import Organization
from wushe.projects.models import Expenditure, Project

from . import selectors

router = Router(tags=["public"], auth=None)


def _href(name: str, place: selectors.Place | None = None, **kwargs: Any) -> str:
    url = reverse(f"api:{name}", kwargs=kwargs or None)
    params = {}
    if place is not None and place.region:
        params["region"] = place.region
    if place is not None and place.year:
        params["year"] = str(place.year)
    return f"{url}?{urlencode(params)}" if params else url


class PublicProject(Schema):
    id: int
    title: str
    summary: str
    status: str
    status_label: str
    funder: str
    call: str
    call_kind: str
    year: int
    organization_id: int
    organization: str
    region: str
    region_name: str
    budget_fen: int
    spent_fen: int
    beneficiaries: int
    rating: Decimal | None
    ratings: int
    final_score: Decimal | None
    href: str
    ledger_href: str

    @staticmethod
    def resolve_status_label(obj: Project) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_funder(obj: Project) -> str:
        return obj.call.funder

    @staticmethod
    def resolve_call(obj: Project) -> str:
        return obj.call.title

    @staticmethod
    def resolve_call_kind(obj: Project) -> str:
        return obj.call.kind

    @staticmethod
    def resolve_year(obj: Project) -> int:
        return obj.call.year

    @staticmethod
    def resolve_organization(obj: Project) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_region(obj: Project) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_region_name(obj: Project) -> str:
        return obj.region.name

    @staticmethod
    def resolve_budget_fen(obj: Project) -> int:
        return obj.approved_fen or 0

    @staticmethod
    def resolve_rating(obj: Project) -> Decimal | None:
        avg = getattr(obj, "rating_avg", None)
        return Decimal(str(avg)).quantize(Decimal("0.01")) if avg is not None else None

    @staticmethod
    def resolve_ratings(obj: Project) -> int:
        return int(getattr(obj, "rating_n", 0) or 0)

    @staticmethod
    def resolve_href(obj: Project) -> str:
        return _href("public_project", project_id=obj.pk)

    @staticmethod
    def resolve_ledger_href(obj: Project) -> str:
        return _href("public_project_ledger", project_id=obj.pk)


class LedgerEntry(Schema):
    spent_on: date
    item: str
    amount_fen: int


class Ledger(Schema):
    project_id: int
    total_fen: int
    items: list[LedgerEntry]


class Totals(Schema):
    projects: int
    budget_fen: int
    spent_fen: int
    beneficiaries: int
    href: str


class PublicOrganization(Schema):
    id: int
    name: str
    legal_status: str
    org_kind: str
    credit_code: str
    filing_number: str
    region: str
    region_name: str
    legal_representative: str
    registered_on: date | None
    filed_on: date | None
    grade: str
    grade_expires_on: date | None
    is_charity: bool
    projects_href: str

    @staticmethod
    def resolve_region(obj: Organization) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_region_name(obj: Organization) -> str:
        return obj.region.name

    @staticmethod
    def resolve_projects_href(obj: Organization) -> str:
        return _href("public_projects") + f"?organization={obj.pk}"


class FundRowOut(Schema):
    region: str
    region_name: str
    year: int
    donated_fen: int
    approved_fen: int
    spent_fen: int
    donations_href: str
    projects_href: str
    expenditures_href: str


class DonationOut(Schema):
    received_on: date
    fund: str
    donor: str
    amount_fen: int
    reversal: bool

    @staticmethod
    def resolve_fund(obj: Donation) -> str:
        return obj.fund.name if obj.fund else ""

    @staticmethod
    def resolve_donor(obj: Donation) -> str:
        return selectors.donor_label(obj)

    @staticmethod
    def resolve_reversal(obj: Donation) -> bool:
        return obj.reverses_id is not None


class ExpenditureOut(Schema):
    spent_on: date
    project_id: int
    project: str
    item: str
    amount_fen: int

    @staticmethod
    def resolve_project(obj: Expenditure) -> str:
        return obj.project.title


@router.get(
    "/public/projects",
    response=list[PublicProject],
    summary="公开项目",
    url_name="public_projects",
    auth=None,
)
@paginate(CappedLimitOffsetPagination)
def projects(
    request: HttpRequest, region: str = "", year: int | None = None, organization: int | None = None
) -> Any:
    place = selectors.clean_place(region, year)
    return selectors.public_projects(place=place, organization_id=organization)


@router.get("/public/projects/totals", response=Totals, summary="公开项目合计", auth=None)
def project_totals(request: HttpRequest, region: str = "", year: int | None = None) -> Any:
    place = selectors.clean_place(region, year)
    t = selectors.project_totals(selectors.public_projects(place=place))
    return {
        "projects": t["n"],
        "budget_fen": t["approved"],
        "spent_fen": t["spent"],
        "beneficiaries": t["people"],
        "href": _href("public_projects", place),
    }


@router.get(
    "/public/projects/{project_id}", response=PublicProject, url_name="public_project", auth=None
)
def project(request: HttpRequest, project_id: int) -> Any:
    found = selectors.public_project(project_id=project_id)
    if found is None:
        raise NotFound()
    return found


@router.get(
    "/public/projects/{project_id}/ledger",
    response=Ledger,
    url_name="public_project_ledger",
    auth=None,
)
def project_ledger(request: HttpRequest, project_id: int) -> Any:
    found = selectors.public_project(project_id=project_id)
    if found is None:
        raise NotFound()
    rows = list(selectors.project_ledger(project=found))
    return {
        "project_id": found.pk,
        "total_fen": sum(e.amount_fen for e in rows),
        "items": [
            {"spent_on": e.spent_on, "item": e.item, "amount_fen": e.amount_fen} for e in rows
        ],
    }


@router.get(
    "/public/organizations",
    response=list[PublicOrganization],
    summary="社会组织公开信息",
    auth=None,
)
@paginate(CappedLimitOffsetPagination)
def organizations(request: HttpRequest, region: str = "", q: str = "") -> Any:
    place = selectors.clean_place(region, None)
    return selectors.public_organizations(place=place, q=q)


@router.get("/public/organizations/{organization_id}", response=PublicOrganization, auth=None)
def organization(request: HttpRequest, organization_id: int) -> Any:
    found = selectors.public_organization(organization_id=organization_id)
    if found is None:
        raise NotFound()
    return found


@router.get(
    "/public/funds", response=list[FundRowOut], summary="资金统计（按区域、年度）", auth=None
)
def funds(request: HttpRequest, region: str = "", year: int | None = None) -> Any:
    place = selectors.clean_place(region, year)
    out = []
    for r in selectors.fund_totals(place=place):
        at = selectors.Place(region=r.region, year=r.year)
        out.append(
            {
                "region": r.region,
                "region_name": r.region_name,
                "year": r.year,
                "donated_fen": r.donated_fen,
                "approved_fen": r.approved_fen,
                "spent_fen": r.spent_fen,
                "donations_href": _href("public_donations", at),
                "projects_href": _href("public_projects", at),
                "expenditures_href": _href("public_expenditures", at),
            }
        )
    return out


@router.get(
    "/public/funds/donations", response=list[DonationOut], url_name="public_donations", auth=None
)
@paginate(CappedLimitOffsetPagination)
def donations(request: HttpRequest, region: str = "", year: int | None = None) -> Any:
    place = selectors.clean_place(region, year)
    return selectors.public_donations(place=place)


@router.get(
    "/public/funds/expenditures",
    response=list[ExpenditureOut],
    url_name="public_expenditures",
    auth=None,
)
@paginate(CappedLimitOffsetPagination)
def expenditures(request: HttpRequest, region: str = "", year: int | None = None) -> Any:
    place = selectors.clean_place(region, year)
    return selectors.public_expenditures(place=place)


@router.get("/public/funds/donations/total", summary="慈善捐赠合计", auth=None, response=dict)
def donations_total(request: HttpRequest, region: str = "", year: int | None = None) -> Any:
    place = selectors.clean_place(region, year)
    total = selectors.public_donations(place=place).order_by().aggregate(s=Sum("amount_fen"))["s"]
    return {"total_fen": int(total or 0), "href": _href("public_donations", place)}
