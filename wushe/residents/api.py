"""HTTP API of the residents register (/api/v1/residents, /api/v1/households).

ID numbers and phones leave only masked (`id_number_masked`, `phone_masked`); the full value is
`POST /api/v1/personal/reveal` (privacy app: reason required, audited). Tags are filtered by the
sensitivity rule of rules.py. Outside the caller's scope a record is a 404."""

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import NotFound, PermissionDenied, ValidationFailed
from wushe.core.identifiers import parse_id_number, parse_phone
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.privacy.models import ConsentMethod, ConsentPurpose
from wushe.privacy.selectors import consents_of
from wushe.regions import codes

from . import selectors, services
from .models import Household, Hukou, Resident, ResidentStatus, ResidentTag, Tag, TagSource
from .rules import TagView, tag_views

router = Router(tags=["residents"], auth=API_AUTH)

# PATCH fields that null clears (the others are required and stay as they are).
CLEARABLE = frozenset(
    {"phone", "household_number", "relation_to_head", "address", "living_arrangement"}
    | {"ethnicity", "notes"}
)


# --- Shapes ------------------------------------------------------------------------------------


class TagOut(Schema):
    id: int | None = Field(None, description="标签记录编号；隐藏的敏感标签为空")
    tag: str = Field(..., description="标签代码；sensitive_hidden 表示无权查看的敏感标签")
    label: str
    sensitive: bool
    hidden: bool
    current: bool
    disability_category: str = ""
    disability_category_label: str = ""
    disability_grade: str = ""
    disability_grade_label: str = ""
    start_date: date | None = None
    end_date: date | None = None
    source: str = ""
    source_label: str = ""
    notes: str = ""


def _tag_out(view: TagView) -> dict[str, Any]:
    return {
        "id": view.id,
        "tag": view.tag,
        "label": view.label,
        "sensitive": view.sensitive,
        "hidden": view.hidden,
        "current": view.current,
        "disability_category": view.disability_category,
        "disability_category_label": view.disability_category_label,
        "disability_grade": view.disability_grade,
        "disability_grade_label": view.disability_grade_label,
        "start_date": view.start_date,
        "end_date": view.end_date,
        "source": view.source,
        "source_label": view.source_label,
        "notes": view.notes,
    }


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date | None
    age: int | None = Field(None, description="周岁，由出生日期计算")
    id_number_masked: str = Field(..., description="脱敏身份证号")
    phone_masked: str = Field(..., description="脱敏手机号码")
    region_code: str
    region_name: str
    household_id: int | None
    household_number: str
    relation_to_head: str
    address: str
    hukou: str
    living_arrangement: str
    ethnicity: str
    status: str
    moved_out_on: date | None
    deceased_on: date | None
    tags: list[TagOut] = Field(..., description="当前标签（敏感标签按权限隐藏）")

    @staticmethod
    def resolve_age(obj: Resident) -> int | None:
        return obj.age()

    @staticmethod
    def resolve_region_code(obj: Resident) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj: Resident) -> str:
        return obj.region.short_name

    @staticmethod
    def resolve_household_number(obj: Resident) -> str:
        return obj.household.number if obj.household else ""

    @staticmethod
    def resolve_tags(obj: Resident, context: dict[str, Any]) -> list[dict[str, Any]]:
        tags = getattr(obj, "current_tags", None)
        if tags is None:
            tags = list(obj.tags.filter(end_date__isnull=True))
        return [_tag_out(v) for v in tag_views(context["request"].user, obj, tags)]


class ConsentOut(Schema):
    id: int
    purpose: str
    method: str
    scope: str
    given_on: date
    guardian_name: str
    guardian_relation: str
    withdrawn: bool

    @staticmethod
    def resolve_withdrawn(obj: Any) -> bool:
        return obj.withdrawn_at is not None


class ResidentDetailOut(ResidentOut):
    notes: str
    past_tags: list[TagOut] = Field(..., description="已结束的标签（历史）")
    consents: list[ConsentOut]
    can_change: bool
    can_reveal: bool = Field(..., description="可否查看完整身份证号/手机号（另需事由，留痕）")

    @staticmethod
    def resolve_past_tags(obj: Resident, context: dict[str, Any]) -> list[dict[str, Any]]:
        past = [t for t in selectors.resident_tags(resident=obj) if t.end_date is not None]
        return [_tag_out(v) for v in tag_views(context["request"].user, obj, past)]

    @staticmethod
    def resolve_consents(obj: Resident) -> list[Any]:
        return list(consents_of(obj))

    @staticmethod
    def resolve_can_change(obj: Resident, context: dict[str, Any]) -> bool:
        return bool(context["request"].user.has_perm("residents.change_resident", obj))

    @staticmethod
    def resolve_can_reveal(obj: Resident, context: dict[str, Any]) -> bool:
        return bool(context["request"].user.has_perm("residents.reveal_resident", obj))


class ResidentQuery(Schema):
    region: str = Field("", description="社区、乡镇（街道）或区县代码")
    name: str = Field("", max_length=50, description="姓名包含")
    id_number: str = Field("", max_length=30, description="完整身份证号（按摘要精确查找）")
    phone: str = Field("", max_length=20, description="完整手机号码（按摘要精确查找）")
    tag: str = Field("", description="当前带有该标签")
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    status: str = Field("active", description="active / moved_out / deceased / all")
    household: int | None = None


class ConsentIn(Schema):
    given_on: date
    purpose: str = ConsentPurpose.REGISTRY
    method: str = ConsentMethod.WRITTEN
    scope: str = Field("", max_length=200)
    guardian_name: str = Field("", max_length=50)
    guardian_relation: str = Field("", max_length=20)

    def to_input(self) -> services.ConsentInput:
        return services.ConsentInput(**self.dict())


class ResidentIn(Schema):
    region: str = Field(..., description="12 位社区区划代码")
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=30)
    phone: str = Field("", max_length=30)
    household_id: int | None = None
    household_number: str = Field("", max_length=30, description="户号：本社区已有则归入，否则建户")
    relation_to_head: str = ""
    address: str = Field("", max_length=200)
    hukou: str = Hukou.REGISTERED
    living_arrangement: str = ""
    ethnicity: str = Field("", max_length=20)
    notes: str = Field("", max_length=2000)
    consent: ConsentIn | None = None


class ResidentPatch(Schema):
    region: str | None = None
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=30)
    phone: str | None = Field(None, max_length=30)
    household_id: int | None = None
    household_number: str | None = Field(None, max_length=30)
    relation_to_head: str | None = None
    address: str | None = Field(None, max_length=200)
    hukou: str | None = None
    living_arrangement: str | None = None
    ethnicity: str | None = Field(None, max_length=20)
    notes: str | None = Field(None, max_length=2000)


class TagIn(Schema):
    tag: str
    start_date: date
    source: str = TagSource.COMMUNITY_SURVEY
    disability_category: str = ""
    disability_grade: str = ""
    notes: str = Field("", max_length=200)


class TagEndIn(Schema):
    end_date: date | None = Field(None, description="默认今天")


class MoveOutIn(Schema):
    moved_out_on: date
    destination: str = Field("", max_length=200)


class HouseholdOut(Schema):
    id: int
    number: str
    region_code: str
    region_name: str
    address: str
    head_id: int | None
    head_name: str

    @staticmethod
    def resolve_region_code(obj: Household) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj: Household) -> str:
        return obj.region.short_name

    @staticmethod
    def resolve_head_name(obj: Household) -> str:
        return obj.head.name if obj.head else ""


class MemberOut(Schema):
    id: int
    name: str
    relation_to_head: str
    status: str
    age: int | None

    @staticmethod
    def resolve_age(obj: Resident) -> int | None:
        return obj.age()


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj: Household) -> list[Resident]:
        return list(selectors.household_members(household=obj))


class HouseholdQuery(Schema):
    region: str = ""
    number: str = Field("", max_length=30)


class HouseholdIn(Schema):
    region: str
    number: str = Field(..., max_length=30)
    address: str = Field("", max_length=200)


class HouseholdPatch(Schema):
    number: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=200)
    head_id: int | None = None


# --- Helpers -----------------------------------------------------------------------------------


def _forbidden() -> PermissionDenied:
    return PermissionDenied(_("您的角色不能查看或修改居民台账。"), code="residents.forbidden")


def _region_prefix(raw: str) -> str:
    try:
        return codes.significant_prefix(codes.normalize(raw))
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, code="resident.region.invalid", fields={"region": [str(exc.message)]}
        ) from None


def _resident(request: HttpRequest, pk: int) -> Resident:
    return selectors.resident_get(user=request.user, pk=pk)


def _writable(request: HttpRequest, pk: int) -> Resident:
    resident = _resident(request, pk)
    if not request.user.has_perm("residents.change_resident", resident):
        raise PermissionDenied(_("您只能查看，不能修改该居民的信息。"), code="residents.read_only")
    return resident


def _filters(query: ResidentQuery) -> selectors.ResidentFilter:
    id_number = phone = ""
    if query.id_number:
        try:
            id_number = parse_id_number(query.id_number).number
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.message, code=f"resident.{exc.code}", fields=exc.fields
            ) from None
    if query.phone:
        try:
            phone = parse_phone(query.phone)
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.message, code=f"resident.{exc.code}", fields=exc.fields
            ) from None
    if query.tag and query.tag not in Tag.values:
        raise services.tag_error("invalid", "tag", _("请选择有效的困难群体标签。"))
    status = query.status or "all"
    if status != "all" and status not in ResidentStatus.values:
        raise ValidationFailed(
            _("状态只能是 active、moved_out、deceased 或 all。"),
            code="resident.status.invalid",
            fields={"status": [_("无效的状态。")]},
        )
    return selectors.ResidentFilter(
        region=_region_prefix(query.region) if query.region else "",
        name=query.name,
        id_number=id_number,
        phone=phone,
        tag=query.tag,
        age_min=query.age_min,
        age_max=query.age_max,
        status="" if status == "all" else status,
        household=query.household,
    )


# --- Residents ---------------------------------------------------------------------------------


@router.get("/residents", response=list[ResidentOut], summary="居民列表（按授权范围）")
@paginate(CappedLimitOffsetPagination)
def list_residents(request: HttpRequest, filters: Query[ResidentQuery]) -> QuerySet[Resident]:
    user = request.user
    if not (user.has_perm("residents.view_register") or user.has_perm("residents.view_own_record")):
        raise _forbidden()
    return selectors.resident_search(user=user, filters=_filters(filters))


@router.get("/residents/{int:resident_id}", response=ResidentDetailOut, summary="居民详情")
def get_resident(request: HttpRequest, resident_id: int) -> Resident:
    return _resident(request, resident_id)


@router.post("/residents", response={201: ResidentDetailOut}, summary="登记居民")
def create_resident(request: HttpRequest, payload: ResidentIn) -> Status[Resident]:
    if not request.user.has_perm("residents.add_resident"):
        raise _forbidden()
    data = payload.dict()
    consent = payload.consent.to_input() if payload.consent else None
    resident = services.resident_create(
        region_code=data["region"],
        name=data["name"],
        id_number=data["id_number"],
        phone=data["phone"],
        household_id=data["household_id"],
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
    return Status(201, selectors.resident_get(user=request.user, pk=resident.pk))


@router.patch("/residents/{int:resident_id}", response=ResidentDetailOut, summary="修改居民信息")
def update_resident(request: HttpRequest, resident_id: int, payload: ResidentPatch) -> Resident:
    resident = _writable(request, resident_id)
    changes = payload.dict(exclude_unset=True)
    if "household_id" in changes:
        changes["household"] = changes.pop("household_id")
    for key, value in list(changes.items()):
        if value is None and key in CLEARABLE:
            changes[key] = ""
        elif value is None and key != "household":
            del changes[key]  # a required value cannot be cleared: null leaves it unchanged
    services.resident_update(resident=resident, changes=changes, actor=request.user)
    return _resident(request, resident_id)


@router.post(
    "/residents/{int:resident_id}/tags", response={201: TagOut}, summary="添加困难群体标签"
)
def add_tag(request: HttpRequest, resident_id: int, payload: TagIn) -> Status[dict[str, Any]]:
    resident = _writable(request, resident_id)
    tag = services.resident_tag_add(resident=resident, actor=request.user, **payload.dict())
    return Status(201, _tag_out(tag_views(request.user, resident, [tag])[0]))


@router.post(
    "/residents/{int:resident_id}/tags/{int:tag_id}/end",
    response=TagOut,
    summary="结束标签（保留历史）",
)
def end_tag(
    request: HttpRequest, resident_id: int, tag_id: int, payload: TagEndIn
) -> dict[str, Any]:
    resident = _writable(request, resident_id)
    tag = ResidentTag.objects.filter(pk=tag_id, resident=resident).first()
    if tag is None:
        raise NotFound()
    ended = services.resident_tag_end(
        tag=tag, end_date=payload.end_date or timezone.localdate(), actor=request.user
    )
    return _tag_out(tag_views(request.user, resident, [ended])[0])


@router.post(
    "/residents/{int:resident_id}/move-out", response=ResidentDetailOut, summary="办理迁出"
)
def move_out(request: HttpRequest, resident_id: int, payload: MoveOutIn) -> Resident:
    resident = _writable(request, resident_id)
    services.resident_move_out(
        resident=resident,
        moved_out_on=payload.moved_out_on,
        destination=payload.destination,
        actor=request.user,
    )
    return _resident(request, resident_id)


@router.post(
    "/residents/{int:resident_id}/consents",
    response={201: ConsentOut},
    summary="记录个人信息处理同意（未满 14 周岁须监护人）",
)
def add_consent(request: HttpRequest, resident_id: int, payload: ConsentIn) -> Status[Any]:
    resident = _writable(request, resident_id)
    consent = services.resident_consent_record(
        resident=resident, consent=payload.to_input(), actor=request.user
    )
    return Status(201, consent)


# --- Households --------------------------------------------------------------------------------


@router.get("/households", response=list[HouseholdOut], summary="家庭户列表")
@paginate(CappedLimitOffsetPagination)
def list_households(request: HttpRequest, filters: Query[HouseholdQuery]) -> QuerySet[Household]:
    if not request.user.has_perm("residents.view_register"):
        raise _forbidden()
    region = _region_prefix(filters.region) if filters.region else ""
    return selectors.household_search(user=request.user, region=region, number=filters.number)


@router.get("/households/{int:household_id}", response=HouseholdDetailOut, summary="家庭户详情")
def get_household(request: HttpRequest, household_id: int) -> Household:
    return selectors.household_get(user=request.user, pk=household_id)


@router.post("/households", response={201: HouseholdOut}, summary="新建家庭户")
def create_household(request: HttpRequest, payload: HouseholdIn) -> Status[Household]:
    if not request.user.has_perm("residents.add_resident"):
        raise _forbidden()
    household = services.household_create(
        region_code=payload.region,
        number=payload.number,
        address=payload.address,
        actor=request.user,
    )
    return Status(201, selectors.household_get(user=request.user, pk=household.pk))


@router.patch("/households/{int:household_id}", response=HouseholdDetailOut, summary="修改家庭户")
def update_household(request: HttpRequest, household_id: int, payload: HouseholdPatch) -> Household:
    household = selectors.household_get(user=request.user, pk=household_id)
    if not request.user.has_perm("residents.change_household", household):
        raise PermissionDenied(_("您只能查看，不能修改该户的信息。"), code="residents.read_only")
    changes = payload.dict(exclude_unset=True)
    if "head_id" in changes:
        changes["head"] = changes.pop("head_id")
    services.household_update(household=household, changes=changes, actor=request.user)
    return selectors.household_get(user=request.user, pk=household_id)
