from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import PermissionDenied
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import selectors, services
from .models import PartyMemberCheckin

router = Router(tags=["party-members"], auth=API_AUTH)


class RegionRef(Schema):
    code: str
    name: str


class TermRef(Schema):
    code: str
    name: str


class CheckinOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date | None
    id_number_masked: str
    phone_masked: str
    work_unit: str
    party_organization: str
    region: RegionRef
    reported_on: date
    categories: list[TermRef]
    skills: list[TermRef]
    status: str
    ended_on: date | None

    @staticmethod
    def resolve_categories(obj: PartyMemberCheckin) -> list[dict[str, str]]:
        return [{"code": t.code, "name": t.name} for t in obj.categories.all()]

    @staticmethod
    def resolve_skills(obj: PartyMemberCheckin) -> list[dict[str, str]]:
        return [{"code": t.code, "name": t.name} for t in obj.skills.all()]


class CheckinIn(Schema):
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., description="身份证号（加密保存，之后只显示脱敏值）")
    phone: str = ""
    work_unit: str = Field(..., max_length=100, description="工作单位")
    party_organization: str = Field(..., max_length=100, description="所在党组织")
    region: str = Field(..., description="报到社区的区划代码")
    reported_on: date
    categories: list[str] = Field([], description="可参与的服务类别（request_category 代码）")
    skills: list[str] = Field([], description="特长技能（skill 代码）")
    user_id: int | None = None


class CheckinPatch(Schema):
    name: str | None = Field(None, max_length=50)
    id_number: str | None = None
    phone: str | None = None
    work_unit: str | None = Field(None, max_length=100)
    party_organization: str | None = Field(None, max_length=100)
    region: str | None = None
    reported_on: date | None = None
    categories: list[str] | None = None
    skills: list[str] | None = None
    user_id: int | None = None


class CheckinEndIn(Schema):
    ended_on: date | None = None


class CheckinQuery(Schema):
    q: str = Field("", description="姓名、工作单位或党组织中的文字")
    status: str = ""
    region: str = ""
    category: str = Field("", description="服务类别代码")
    skill: str = Field("", description="技能代码")


@router.get("/party-members", response=list[CheckinOut], summary="党员报到列表")
@paginate(CappedLimitOffsetPagination)
def list_checkins(
    request: HttpRequest, filters: Query[CheckinQuery]
) -> QuerySet[PartyMemberCheckin]:
    if not request.user.has_perm("partymembers.view_partymembercheckin"):
        raise PermissionDenied(_("您的角色不能查看党员报到台账。"), code="party_member.forbidden")
    region = codes.significant_prefix(codes.normalize(filters.region)) if filters.region else ""
    return selectors.checkin_search(
        user=request.user,
        filters=selectors.CheckinFilter(
            q=filters.q,
            status=filters.status,
            region=region,
            category=filters.category,
            skill=filters.skill,
        ),
    )


@router.get("/party-members/{checkin_id}", response=CheckinOut, summary="党员报到详情")
def get_checkin(request: HttpRequest, checkin_id: int) -> PartyMemberCheckin:
    return selectors.checkin_get(user=request.user, checkin_id=checkin_id)


@router.post("/party-members", response={201: CheckinOut}, summary="登记党员报到")
def create_checkin(request: HttpRequest, payload: CheckinIn) -> Status[PartyMemberCheckin]:
    checkin = services.checkin_create(
        actor=request.user,
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        work_unit=payload.work_unit,
        party_organization=payload.party_organization,
        region_code=payload.region,
        reported_on=payload.reported_on,
        categories=payload.categories,
        skills=payload.skills,
        user_id=payload.user_id,
    )
    return Status(201, selectors.checkin_get(user=request.user, checkin_id=checkin.pk))


@router.patch("/party-members/{checkin_id}", response=CheckinOut, summary="修改党员报到")
def update_checkin(
    request: HttpRequest, checkin_id: int, payload: CheckinPatch
) -> PartyMemberCheckin:
    changes = payload.dict(exclude_unset=True)
    if "user_id" in changes:
        changes["user"] = changes.pop("user_id")
    services.checkin_update(actor=request.user, checkin_id=checkin_id, changes=changes)
    return selectors.checkin_get(user=request.user, checkin_id=checkin_id)


@router.post("/party-members/{checkin_id}/end", response=CheckinOut, summary="结束党员报到")
def end_checkin(
    request: HttpRequest, checkin_id: int, payload: CheckinEndIn | None = None
) -> PartyMemberCheckin:
    services.checkin_end(
        actor=request.user,
        checkin_id=checkin_id,
        ended_on=payload.ended_on if payload else None,
    )
    return selectors.checkin_get(user=request.user, checkin_id=checkin_id)
