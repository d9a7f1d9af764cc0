from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.bounds import STAFF_MAX
from wushe.core.errors import DomainError, PermissionDenied, ValidationFailed
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import selectors, services
from .models import Grade, GradeState, LegalStatus, Organization, OrgKind

router = Router(tags=["organizations"], auth=API_AUTH)


class RegionRef(Schema):
    code: str
    name: str


class TermRef(Schema):
    code: str
    name: str


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone_masked: str
    is_primary: bool


class GradeOut(Schema):
    grade: str
    awarded_on: date | None
    expires_on: date | None
    state: str = Field(..., description="none / valid / expiring（90 天内到期）/ expired")
    days_left: int | None


class OrganizationOut(Schema):
    id: int
    name: str
    legal_status: str
    legal_status_label: str
    org_kind: str
    org_kind_label: str
    credit_code: str
    credit_code_warnings: list[str]
    filing_number: str
    category: TermRef | None
    service_categories: list[TermRef]
    region: RegionRef
    coverage: list[RegionRef]
    grade: GradeOut
    is_hub: bool
    is_charity: bool
    is_social_work_agency: bool
    has_party_org: bool
    legal_representative: str
    address: str
    founded_on: date | None
    registered_on: date | None
    filed_on: date | None
    deregistered_on: date | None
    staff_full_time: int
    staff_part_time: int
    staff_social_workers: int
    description: str
    contacts: list[ContactOut] = Field(..., description="联系人；电话一律脱敏")

    @staticmethod
    def resolve_legal_status_label(obj: Organization) -> str:
        return str(obj.get_legal_status_display())

    @staticmethod
    def resolve_org_kind_label(obj: Organization) -> str:
        return str(obj.get_org_kind_display())

    @staticmethod
    def resolve_credit_code_warnings(obj: Organization) -> list[str]:
        return list(obj.credit_code_warnings or [])

    @staticmethod
    def resolve_category(obj: Organization) -> dict[str, str] | None:
        return {"code": obj.category.code, "name": obj.category.label} if obj.category else None

    @staticmethod
    def resolve_service_categories(obj: Organization) -> list[dict[str, str]]:
        return [{"code": t.code, "name": t.label} for t in obj.service_categories.all()]

    @staticmethod
    def resolve_region(obj: Organization) -> dict[str, str]:
        return {"code": obj.region.code, "name": obj.region.short_name}

    @staticmethod
    def resolve_coverage(obj: Organization) -> list[dict[str, str]]:
        return [{"code": r.code, "name": r.short_name} for r in obj.coverage.all()]

    @staticmethod
    def resolve_grade(obj: Organization) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "grade": obj.grade,
            "awarded_on": obj.grade_awarded_on,
            "expires_on": obj.grade_expires_on,
            "state": obj.grade_state(today),
            "days_left": obj.grade_days_left(today),
        }

    @staticmethod
    def resolve_contacts(obj: Organization) -> list[dict[str, Any]]:
        return [
            {
                "id": c.pk,
                "name": c.name,
                "title": c.title,
                "phone_masked": c.phone_masked,
                "is_primary": c.is_primary,
            }
            for c in obj.contacts.all()
        ]


class OrganizationQuery(Schema):
    region: str = Field("", description="区划代码（登记区划或服务社区在其下）")
    legal_status: LegalStatus | None = None
    org_kind: OrgKind | None = None
    category: str = Field("", description="组织类别代码")
    grade: Grade | None = None
    grade_state: GradeState | None = Field(None, description="expiring：90 天内到期")
    is_hub: bool | None = None
    q: str = Field("", description="名称片段，或信用代码/备案编号开头", max_length=100)


class FactsIn(Schema):
    name: str = Field(..., max_length=200)
    region: str = Field(..., description="登记（备案）机关所在区划的代码")
    org_kind: OrgKind = OrgKind.COMMUNITY
    credit_code: str = Field("", max_length=40)
    filing_number: str = Field("", max_length=50)
    category: str = Field("", description="组织类别代码（org_category）")
    service_categories: list[str] = Field(default_factory=list)
    coverage: list[str] = Field(default_factory=list, description="服务社区的区划代码")
    is_hub: bool = False
    is_charity: bool = False
    is_social_work_agency: bool = False
    has_party_org: bool = False
    legal_representative: str = Field("", max_length=50)
    address: str = Field("", max_length=200)
    founded_on: date | None = None
    registered_on: date | None = None
    filed_on: date | None = None
    staff_full_time: int = Field(0, ge=0, le=STAFF_MAX)
    staff_part_time: int = Field(0, ge=0, le=STAFF_MAX)
    staff_social_workers: int = Field(0, ge=0, le=STAFF_MAX)
    description: str = Field("", max_length=2000)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30, description="手机号码（加密保存，返回时脱敏）")
    contact_title: str = Field("", max_length=50)


class OrganizationIn(FactsIn):
    legal_status: LegalStatus = LegalStatus.FILED


class OrganizationPatch(Schema):
    """Facts to change; status and grade have their own endpoints."""

    name: str | None = Field(None, max_length=200)
    region: str | None = None
    org_kind: OrgKind | None = None
    credit_code: str | None = Field(None, max_length=40)
    filing_number: str | None = Field(None, max_length=50)
    category: str | None = None
    service_categories: list[str] | None = None
    coverage: list[str] | None = None
    is_hub: bool | None = None
    is_charity: bool | None = None
    is_social_work_agency: bool | None = None
    has_party_org: bool | None = None
    legal_representative: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=200)
    founded_on: date | None = None
    registered_on: date | None = None
    filed_on: date | None = None
    staff_full_time: int | None = Field(None, ge=0, le=STAFF_MAX)
    staff_part_time: int | None = Field(None, ge=0, le=STAFF_MAX)
    staff_social_workers: int | None = Field(None, ge=0, le=STAFF_MAX)
    description: str | None = Field(None, max_length=2000)
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=30)
    contact_title: str | None = Field(None, max_length=50)

    model_config = {"extra": "forbid"}


class RegisterIn(Schema):
    credit_code: str = Field(..., max_length=40)
    registered_on: date | None = None


class FileIn(Schema):
    filing_number: str = Field("", max_length=50)
    filed_on: date | None = None


class DeregisterIn(Schema):
    deregistered_on: date | None = None
    reason: str = Field("", max_length=200)


class GradeIn(Schema):
    grade: Grade
    awarded_on: date
    expires_on: date | None = Field(None, description="不填则为评定日期起五年")


def _region_code(raw: str, field: str) -> str:
    try:
        return codes.normalize(raw)
    except DomainError as exc:
        raise ValidationFailed(
            exc.message, code=f"organization.{field}.invalid", fields={field: [str(exc.message)]}
        ) from None


def _deny(message: Any, code: str = "organization.forbidden") -> PermissionDenied:
    return PermissionDenied(message, code=code)


def _require(request: HttpRequest, perm: str, org: Organization | None = None) -> None:
    if not request.user.has_perm(perm, org):
        raise _deny(_("您没有权限执行此操作。"))


def _reload(request: HttpRequest, pk: int) -> Organization:
    return selectors.organization_get(user=request.user, pk=pk)


@router.get(
    "/organizations",
    response=list[OrganizationOut],
    summary="社会组织列表（按授权区划过滤）",
)
@paginate(CappedLimitOffsetPagination)
def list_organizations(
    request: HttpRequest, filters: Query[OrganizationQuery]
) -> QuerySet[Organization]:
    if not request.user.has_perm("organizations.view_organization"):
        raise _deny(_("您的角色不能查看社会组织台账。"))
    region = (
        codes.significant_prefix(_region_code(filters.region, "region")) if filters.region else ""
    )
    qs = selectors.organization_search(
        user=request.user,
        filters=selectors.OrganizationFilter(
            region=region,
            legal_status=filters.legal_status or "",
            org_kind=filters.org_kind or "",
            category=filters.category,
            grade=filters.grade or "",
            grade_state=filters.grade_state or "",
            is_hub=filters.is_hub,
            q=filters.q,
        ),
    )
    return qs


@router.get("/organizations/{int:pk}", response=OrganizationOut, summary="社会组织详情")
def get_organization(request: HttpRequest, pk: int) -> Organization:
    return _reload(request, pk)


@router.post("/organizations", response={201: OrganizationOut}, summary="新增社会组织")
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Status:
    _require(request, "organizations.add_organization")
    data = payload.dict()
    legal_status = data.pop("legal_status")
    data["region"] = _region_code(data["region"], "region")
    data["coverage"] = [_region_code(c, "coverage") for c in data["coverage"]]
    org = services.organization_create(
        facts=services.OrganizationFacts(**data), legal_status=legal_status, actor=request.user
    )
    return Status(201, _reload(request, org.pk))


@router.patch("/organizations/{int:pk}", response=OrganizationOut, summary="修改社会组织信息")
def update_organization(request: HttpRequest, pk: int, payload: OrganizationPatch) -> Organization:
    org = selectors.organization_get(user=request.user, pk=pk)
    _require(request, "organizations.change_organization", org)
    changes = payload.dict(exclude_unset=True)
    for name, value in list(changes.items()):
        if value is None and name not in {"founded_on", "registered_on", "filed_on"}:
            changes.pop(name)
    if "region" in changes:
        changes["region"] = _region_code(changes["region"], "region")
    if "coverage" in changes:
        changes["coverage"] = [_region_code(c, "coverage") for c in changes["coverage"]]
    services.organization_update(organization=org, changes=changes, actor=request.user)
    return _reload(request, pk)


def _lifecycle(request: HttpRequest, pk: int) -> Organization:
    org = selectors.organization_get(user=request.user, pk=pk)
    if not request.user.has_perm("organizations.manage_lifecycle_organization", org):
        raise _deny(
            _("只有登记（备案）机关可以变更社会组织的登记状态。"),
            "organization.lifecycle_forbidden",
        )
    return org


@router.post("/organizations/{int:pk}/register", response=OrganizationOut, summary="备案 → 登记")
def register_organization(request: HttpRequest, pk: int, payload: RegisterIn) -> Organization:
    org = _lifecycle(request, pk)
    services.organization_register(
        organization=org,
        credit_code=payload.credit_code,
        registered_on=payload.registered_on,
        actor=request.user,
    )
    return _reload(request, pk)


@router.post("/organizations/{int:pk}/file", response=OrganizationOut, summary="未登记团队 → 备案")
def file_organization(request: HttpRequest, pk: int, payload: FileIn) -> Organization:
    org = _lifecycle(request, pk)
    services.organization_file(
        organization=org,
        filing_number=payload.filing_number,
        filed_on=payload.filed_on,
        actor=request.user,
    )
    return _reload(request, pk)


@router.post("/organizations/{int:pk}/deregister", response=OrganizationOut, summary="注销")
def deregister_organization(request: HttpRequest, pk: int, payload: DeregisterIn) -> Organization:
    org = _lifecycle(request, pk)
    services.organization_deregister(
        organization=org,
        deregistered_on=payload.deregistered_on,
        reason=payload.reason,
        actor=request.user,
    )
    return _reload(request, pk)


@router.post("/organizations/{int:pk}/grade", response=OrganizationOut, summary="记录评估等级")
def grade_organization(request: HttpRequest, pk: int, payload: GradeIn) -> Organization:
    org = selectors.organization_get(user=request.user, pk=pk)
    if not request.user.has_perm("organizations.grade_organization", org):
        raise _deny(_("评估等级由民政部门记录。"), "organization.grade_forbidden")
    services.organization_grade(
        organization=org,
        grade=payload.grade,
        awarded_on=payload.awarded_on,
        expires_on=payload.expires_on,
        actor=request.user,
    )
    return _reload(request, pk)
