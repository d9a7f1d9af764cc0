"""Public disclosure (信息公开): what anyone may see without logging in, computed from the
records every time (never typed in), each total traceable to the rows behind it.

Personal data never leaves here: projects show organisations, amounts, dates, items and
counts; organisations their registered facts and grade (no contacts); donations the public
name of enterprise donors only (a person is "爱心人士", an anonymous donor never named)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Concat, ExtractYear, Substr
from django.utils.translation import gettext as _

from wushe.charity.models import Donation, DonationKind, DonorKind
from wushe.organizations.models import LegalStatus, Organization
from wushe.projects.models import FUNDED_STATUSES, Activity, Expenditure, Project
from wushe.regions import codes
from wushe.regions.models import Region


@dataclass(frozen=True)
class Place:
    """A filter by region (any level, by code prefix) and year."""

    region: str = ""
    year: int | None = None

    @property
    def prefix(self) -> str:
        return codes.significant_prefix(self.region) if self.region else ""


def clean_place(region: object, year: object) -> Place:
    code = str(region or "").strip()
    if not (len(code) == 12 and code.isdigit()):
        code = ""
    raw_year = str(year or "").strip()
    return Place(
        region=code, year=int(raw_year) if raw_year.isdigit() and len(raw_year) == 4 else None
    )


def _within(field: str, prefix: str) -> Q:
    low, high = codes.scope_range(prefix)
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


# --- projects -------------------------------------------------------------------------------


def public_projects(
    *, place: Place | None = None, organization_id: int | None = None
) -> QuerySet[Project]:
    """Approved, evaluated and closed projects (proposals never approved are not public)."""
    qs = Project.objects.filter(status__in=FUNDED_STATUSES)
    p = place or Place()
    if p.prefix:
        qs = qs.filter(_within("region", p.prefix))
    if p.year:
        qs = qs.filter(call__year=p.year)
    if organization_id:
        # An id no row can have (beyond a 64-bit integer: the database refused the value and
        # the page answered 500) finds nothing, as an unknown id does.
        if not 0 < organization_id < 2**63:
            return qs.none()
        qs = qs.filter(organization_id=organization_id)
    return (
        qs.select_related("call", "organization", "region")
        .annotate(rating_avg=Avg("ratings__rating"), rating_n=Count("ratings", distinct=True))
        .order_by("-call__year", "region_id", "title", "id")
    )


def project_totals(qs: QuerySet[Project]) -> dict[str, int]:
    sums = qs.order_by().aggregate(
        approved=Sum("approved_fen"),
        spent=Sum("spent_fen"),
        people=Sum("beneficiaries"),
        n=Count("id"),
    )
    return {k: int(v or 0) for k, v in sums.items()}


def public_project(*, project_id: int) -> Project | None:
    return public_projects().filter(pk=project_id).first()


def project_ledger(*, project: Project) -> QuerySet[Expenditure]:
    return Expenditure.objects.filter(county_code=project.county_code, project=project).order_by(
        "spent_on", "id"
    )


def project_activities(*, project: Project) -> QuerySet[Activity]:
    return Activity.objects.filter(county_code=project.county_code, project=project).order_by(
        "held_on", "id"
    )


# --- organisations --------------------------------------------------------------------------

PUBLIC_LEGAL_STATUSES = (LegalStatus.REGISTERED, LegalStatus.FILED)


def public_organizations(*, place: Place | None = None, q: str = "") -> QuerySet[Organization]:
    qs = Organization.objects.filter(legal_status__in=PUBLIC_LEGAL_STATUSES)
    p = place or Place()
    if p.prefix:
        qs = qs.filter(_within("region", p.prefix))
    if q:
        qs = qs.filter(name__icontains=q[:50])
    return qs.select_related("region", "category").order_by("region_id", "name", "id")


def public_organization(*, organization_id: int) -> Organization | None:
    return public_organizations().filter(pk=organization_id).first()


# --- fund totals by region and year ---------------------------------------------------------


def _township(field: str) -> Any:
    """The township (or county, for county-level rows) code of a region column."""
    return Concat(Substr(field, 1, 9), Value("000"))


def public_donations(*, place: Place | None = None) -> QuerySet[Donation]:
    """Money donations (and their reversals) to public funds."""
    qs = Donation.objects.filter(kind=DonationKind.MONEY, fund__isnull=False, fund__public=True)
    p = place or Place()
    if p.prefix:
        qs = qs.filter(_within("region", p.prefix))
    if p.year:
        qs = qs.filter(received_on__year=p.year)
    return qs.select_related("fund", "donor").order_by("-received_on", "-id")


def donor_label(donation: Donation) -> str:
    donor = donation.donor
    if donor.kind == DonorKind.ENTERPRISE and not donor.anonymous:
        return donor.name
    return str(_("爱心人士")) if donor.kind == DonorKind.PERSON else str(_("爱心企业"))


def public_expenditures(*, place: Place | None = None) -> QuerySet[Expenditure]:
    qs = Expenditure.objects.filter(project__status__in=FUNDED_STATUSES)
    p = place or Place()
    if p.prefix:
        qs = qs.filter(_within("region", p.prefix))
    if p.year:
        qs = qs.filter(spent_on__year=p.year)
    return qs.select_related("project", "project__organization").order_by("-spent_on", "-id")


@dataclass
class FundRow:
    region: str
    region_name: str
    year: int
    donated_fen: int = 0
    approved_fen: int = 0
    spent_fen: int = 0


def fund_totals(*, place: Place | None = None) -> list[FundRow]:
    """Per township (county-level rows under the county) and year: money donated to public
    charity funds, project budgets approved (by the call's year) and project spending (by the
    day spent). Three grouped sums in the database."""
    p = place or Place()
    rows: dict[tuple[str, int], FundRow] = {}

    def row(region: str, year: int) -> FundRow:
        key = (region, year)
        if key not in rows:
            rows[key] = FundRow(region=region, region_name="", year=year)
        return rows[key]

    donations = (
        public_donations(place=p)
        .order_by()
        .annotate(t=_township("region"), y=ExtractYear("received_on"))
        .values("t", "y")
        .annotate(s=Sum("amount_fen"))
    )
    for d in donations:
        row(d["t"], d["y"]).donated_fen = int(d["s"] or 0)
    approved = (
        public_projects(place=p)
        .order_by()
        .annotate(t=_township("region"), y=F("call__year"))
        .values("t", "y")
        .annotate(s=Sum("approved_fen"))
    )
    for a in approved:
        row(a["t"], a["y"]).approved_fen = int(a["s"] or 0)
    spent = (
        public_expenditures(place=p)
        .order_by()
        .annotate(t=_township("region"), y=ExtractYear("spent_on"))
        .values("t", "y")
        .annotate(s=Sum("amount_fen"))
    )
    for s in spent:
        row(s["t"], s["y"]).spent_fen = int(s["s"] or 0)
    names = dict(
        Region.objects.filter(code__in={r.region for r in rows.values()}).values_list(
            "code", "name"
        )
    )
    for r in rows.values():
        r.region_name = names.get(r.region, r.region)
    return sorted(rows.values(), key=lambda r: (-r.year, r.region))


def overview() -> dict[str, int]:
    totals = project_totals(public_projects())
    donated = public_donations().order_by().aggregate(s=Sum("amount_fen"))["s"]
    return {
        **totals,
        "donated": int(donated or 0),
        "organizations": public_organizations().count(),
        "graded": public_organizations().filter(~Q(grade="")).count(),
    }
