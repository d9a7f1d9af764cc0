"""HTTP API of the volunteer register: /api/v1/volunteers, /api/v1/volunteer-teams.
ID numbers and phones leave only masked; the full value is `POST /api/v1/personal/reveal`
(audited)."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.accounts.models import User
from wushe.core.errors import NotFound, PermissionDenied, ValidationFailed
from wushe.core.identifiers import age_on
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.organizations.models import Organization
from wushe.privacy.models import Consent
from wushe.privacy.selectors import consents_of
from wushe.regions import codes

from . import availability as slots
from . import selectors, services
from .models import TeamMembership, Volunteer, VolunteerTeam
from .rules import can_write_region, editable_fields

router = Router(tags=["volunteers"], auth=API_AUTH)


# --- Output ------------------------------------------------------------------------------------


class RegionRef(Schema):
    code: str
    name: str


class SkillOut(Schema):
    code: str
    name: str


class SlotOut(Schema):
    day: int = Field(..., description="0 = 周一 … 6 = 周日")
    period: int = Field(..., description="0 = 上午, 1 = 下午, 2 = 晚上")
    label: str


class AvailabilityOut(Schema):
    mask: int = Field(..., description="位 day*3+period 置 1 表示该时段可服务")
    slots: list[SlotOut]
    text: str


class LocationOut(Schema):
    latitude: float = Field(..., description="WGS-84 纬度")
    longitude: float = Field(..., description="WGS-84 经度")
    coord_source: str = Field(..., description="录入时的坐标系：wgs84 / gcj02 / bd09")


class VolunteerOut(Schema):
    id: int
    number: str
    name: str
    sex: str
    age: int | None
    id_number_masked: str
    phone_masked: str
    region: RegionRef
    registered_on: date
    status: str
    status_label: str
    skills: list[SkillOut]
    availability: AvailabilityOut
    location: LocationOut | None
    political_status: str
    verified_minutes: int = Field(..., description="已认证服务时长（分钟），由服务记录汇总")
    stars: int
    has_login: bool

    @staticmethod
    def resolve_age(obj: Volunteer) -> int | None:
        return age_on(obj.birth_date, timezone.localdate()) if obj.birth_date else None

    @staticmethod
    def resolve_region(obj: Volunteer) -> dict[str, str]:
        return {"code": obj.region_id, "name": obj.region.name}

    @staticmethod
    def resolve_status_label(obj: Volunteer) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_skills(obj: Volunteer) -> list[dict[str, str]]:
        return [{"code": t.code, "name": t.label} for t in obj.skills.all()]

    @staticmethod
    def resolve_availability(obj: Volunteer) -> dict[str, Any]:
        return availability_out(obj.availability)

    @staticmethod
    def resolve_location(obj: Volunteer) -> dict[str, Any] | None:
        if not obj.has_location:
            return None
        return {
            "latitude": float(obj.latitude),  # type: ignore[arg-type]
            "longitude": float(obj.longitude),  # type: ignore[arg-type]
            "coord_source": obj.coord_source,
        }

    @staticmethod
    def resolve_has_login(obj: Volunteer) -> bool:
        return obj.user_id is not None


class TeamRef(Schema):
    id: int
    name: str
    role: str
    role_label: str
    joined_on: date


class ConsentOut(Schema):
    purpose: str
    purpose_label: str
    method: str
    given_on: date
    guardian_name: str
    guardian_relation: str
    active: bool


class VolunteerDetail(VolunteerOut):
    teams: list[TeamRef]
    consents: list[ConsentOut]
    editable_fields: list[str]
    can_reveal: bool

    @staticmethod
    def resolve_teams(obj: Volunteer) -> list[dict[str, Any]]:
        return [
            {
                "id": m.team_id,
                "name": m.team.name,
                "role": m.role,
                "role_label": str(m.get_role_display()),
                "joined_on": m.joined_on,
            }
            for m in obj.memberships.all()
        ]

    @staticmethod
    def resolve_consents(obj: Volunteer) -> list[dict[str, Any]]:
        return [consent_out(c) for c in consents_of(obj)]


def availability_out(mask: int) -> dict[str, Any]:
    return {
        "mask": mask,
        "slots": [{"day": s.day, "period": s.period, "label": s.label} for s in slots.slots(mask)],
        "text": slots.render(mask),
    }


def consent_out(consent: Consent) -> dict[str, Any]:
    return {
        "purpose": consent.purpose,
        "purpose_label": str(consent.get_purpose_display()),
        "method": consent.method,
        "given_on": consent.given_on,
        "guardian_name": consent.guardian_name,
        "guardian_relation": consent.guardian_relation,
        "active": consent.active,
    }


def detail(request: HttpRequest, volunteer: Volunteer) -> Volunteer:
    """Attach the per-user fields of VolunteerDetail."""
    volunteer.editable_fields = sorted(editable_fields(request.user, volunteer))  # type: ignore[attr-defined]
    volunteer.can_reveal = request.user.has_perm("volunteers.reveal_volunteer", volunteer)  # type: ignore[attr-defined]
    return volunteer


# --- Input -------------------------------------------------------------------------------------

CoordSystem = Literal["wgs84", "gcj02", "bd09"]


class VolunteerQuery(Schema):
    region: str = Field("", description="区划代码（乡镇 9 位、村社区 12 位等），含下级")
    skill: str = Field("", description="技能代码，如 medical")
    day: int | None = Field(None, ge=0, le=6, description="0 = 周一 … 6 = 周日")
    period: int | None = Field(None, ge=0, le=2, description="0 上午，1 下午，2 晚上")
    status: Literal["", "active", "suspended", "withdrawn"] = ""
    team: int | None = None
    name: str = Field("", max_length=50, description="姓名（前缀匹配）")
    id_number: str = Field("", max_length=40, description="身份证号（精确匹配）")


class VolunteerIn(Schema):
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=40)
    phone: str = Field("", max_length=30)
    region: str = Field(..., description="所属社区 12 位区划代码", max_length=12)
    registered_on: date | None = None
    number: str = Field("", max_length=32, description="志愿者编号；不填则自动生成")
    skills: list[str] = Field(default_factory=list, description="技能代码或名称")
    availability: int | None = Field(None, ge=0, le=slots.FULL_WEEK)
    availability_text: str = Field("", max_length=300, description="如“周一上午、周六全天”")
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coord_source: CoordSystem = "wgs84"
    political_status: str = ""
    consent: bool = Field(False, description="是否已签署知情同意（必须为 true）")
    consent_method: Literal["written", "online", "oral", "statutory"] = "written"
    consent_given_on: date | None = None
    guardian_name: str = Field("", max_length=50)
    guardian_relation: str = Field("", max_length=20)


class VolunteerPatch(Schema):
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=30)
    region: str | None = Field(None, max_length=12)
    registered_on: date | None = None
    skills: list[str] | None = None
    availability: int | None = Field(None, ge=0, le=slots.FULL_WEEK)
    availability_text: str | None = Field(None, max_length=300)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coord_source: CoordSystem | None = None
    political_status: str | None = None
    username: str | None = Field(None, max_length=150, description="关联的登录账号；空串解除")


class TransitionIn(Schema):
    reason: str = Field("", max_length=200)


def _availability(mask: int | None, text: str | None) -> int | None:
    if text:
        return slots.parse(text)
    return mask


def _check_region_writable(request: HttpRequest, region_code: str) -> str:
    code = services.check_community(region_code)
    if not can_write_region(request.user, code):
        raise ValidationFailed(
            _("该社区不在您的管辖范围内。"),
            code="volunteer.region.out_of_scope",
            fields={"region": [_("该社区不在您的管辖范围内。")]},
        )
    return code


# --- Volunteers --------------------------------------------------------------------------------


def _require_list(request: HttpRequest) -> None:
    if not request.user.has_perm("volunteers.list_volunteer"):
        raise PermissionDenied(_("您的角色不能查看志愿者名册。"), code="volunteer.forbidden")


@router.get("/volunteers", response=list[VolunteerOut], summary="志愿者列表（按管辖范围）")
@paginate(CappedLimitOffsetPagination)
def list_volunteers(request: HttpRequest, filters: Query[VolunteerQuery]) -> QuerySet[Volunteer]:
    _require_list(request)
    region = ""
    if filters.region:
        region = codes.significant_prefix(codes.normalize(filters.region))
    id_hash = selectors.hash_of_id_number(filters.id_number) if filters.id_number else ""
    return selectors.volunteer_search(
        user=request.user,
        filters=selectors.VolunteerFilter(
            region=region,
            skill=filters.skill,
            day=filters.day,
            period=filters.period,
            status=filters.status,
            team=filters.team,
            name=filters.name,
            id_number_hash=id_hash,
        ),
    )


@router.get("/volunteers/me", response=VolunteerDetail, summary="我的志愿者信息")
def my_volunteer(request: HttpRequest) -> Volunteer:
    volunteer = selectors.volunteer_of_user(user=request.user)
    if volunteer is None:
        raise NotFound(_("您的账号还没有关联志愿者登记信息。"), code="volunteer.not_linked")
    return detail(request, volunteer)


@router.get("/volunteers/{volunteer_id}", response=VolunteerDetail, summary="志愿者详情")
def get_volunteer(request: HttpRequest, volunteer_id: int) -> Volunteer:
    return detail(request, selectors.volunteer_get(user=request.user, pk=volunteer_id))


@router.post("/volunteers", response={201: VolunteerDetail}, summary="注册志愿者（须有知情同意）")
def register_volunteer(request: HttpRequest, payload: VolunteerIn) -> Status:
    if not request.user.has_perm("volunteers.add_volunteer"):
        raise PermissionDenied(_("您的角色不能登记志愿者。"), code="volunteer.forbidden")
    code = _check_region_writable(request, payload.region)
    volunteer = services.volunteer_register(
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        region_code=code,
        registered_on=payload.registered_on,
        number=payload.number,
        skills=payload.skills,
        availability=_availability(payload.availability, payload.availability_text) or 0,
        latitude=payload.latitude,
        longitude=payload.longitude,
        coord_source=payload.coord_source,
        political_status=payload.political_status,
        consent_given=payload.consent,
        consent_method=payload.consent_method,
        consent_given_on=payload.consent_given_on,
        guardian_name=payload.guardian_name,
        guardian_relation=payload.guardian_relation,
        actor=request.user,
    )
    return Status(201, detail(request, selectors.volunteer_get(user=request.user, pk=volunteer.pk)))


def patch_changes(request: HttpRequest, payload: VolunteerPatch) -> dict[str, Any]:
    """The PATCH body as `volunteer_update` changes."""
    sent = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    for key in ("name", "id_number", "phone", "political_status"):
        if key in sent:
            changes[key] = sent[key] if sent[key] is not None else ""
    if sent.get("registered_on") is not None:
        changes["registered_on"] = sent["registered_on"]
    if "region" in sent:
        changes["region_code"] = _check_region_writable(request, sent["region"] or "")
    if "skills" in sent:
        changes["skills"] = sent["skills"] or []
    if "availability" in sent or "availability_text" in sent:
        changes["availability"] = (
            _availability(sent.get("availability"), sent.get("availability_text")) or 0
        )
    if {"latitude", "longitude", "coord_source"} & set(sent):
        changes["location"] = {
            "latitude": sent.get("latitude"),
            "longitude": sent.get("longitude"),
            "coord_source": sent.get("coord_source") or "wgs84",
        }
    if "username" in sent:
        username = (sent["username"] or "").strip()
        user = User.objects.filter(username=username).first() if username else None
        if username and user is None:
            raise ValidationFailed(
                _("没有这个登录账号。"),
                code="volunteer.user.unknown",
                fields={"username": [_("没有这个登录账号。")]},
            )
        changes["user"] = user
    return changes


@router.patch("/volunteers/{volunteer_id}", response=VolunteerDetail, summary="修改志愿者信息")
def update_volunteer(request: HttpRequest, volunteer_id: int, payload: VolunteerPatch) -> Volunteer:
    volunteer = selectors.volunteer_get(user=request.user, pk=volunteer_id)
    allowed = editable_fields(request.user, volunteer)
    if not allowed:
        raise PermissionDenied(_("您不能修改该志愿者的信息。"), code="volunteer.forbidden")
    changes = patch_changes(request, payload)
    services.volunteer_update(
        volunteer=volunteer, actor=request.user, changes=changes, allowed_fields=allowed
    )
    return detail(request, selectors.volunteer_get(user=request.user, pk=volunteer_id))


def _transition(request: HttpRequest, volunteer_id: int, reason: str, service: Any) -> Volunteer:
    volunteer = selectors.volunteer_get(user=request.user, pk=volunteer_id)
    if not request.user.has_perm("volunteers.change_status_volunteer", volunteer):
        raise PermissionDenied(_("您不能变更该志愿者的状态。"), code="volunteer.forbidden")
    service(volunteer=volunteer, actor=request.user, reason=reason)
    return detail(request, selectors.volunteer_get(user=request.user, pk=volunteer_id))


@router.post("/volunteers/{volunteer_id}/suspend", response=VolunteerDetail, summary="暂停")
def suspend_volunteer(
    request: HttpRequest, volunteer_id: int, payload: TransitionIn | None = None
) -> Volunteer:
    reason = payload.reason if payload else ""
    return _transition(request, volunteer_id, reason, services.volunteer_suspend)


@router.post("/volunteers/{volunteer_id}/reactivate", response=VolunteerDetail, summary="恢复在册")
def reactivate_volunteer(
    request: HttpRequest, volunteer_id: int, payload: TransitionIn | None = None
) -> Volunteer:
    reason = payload.reason if payload else ""
    return _transition(request, volunteer_id, reason, services.volunteer_reactivate)


@router.post("/volunteers/{volunteer_id}/withdraw", response=VolunteerDetail, summary="注销")
def withdraw_volunteer(
    request: HttpRequest, volunteer_id: int, payload: TransitionIn | None = None
) -> Volunteer:
    reason = payload.reason if payload else ""
    return _transition(request, volunteer_id, reason, services.volunteer_withdraw)


# --- Teams -------------------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    region: RegionRef
    organization: dict[str, Any] | None
    leader: dict[str, Any] | None
    description: str
    member_count: int

    @staticmethod
    def resolve_region(obj: VolunteerTeam) -> dict[str, str]:
        return {"code": obj.region_id, "name": obj.region.name}

    @staticmethod
    def resolve_organization(obj: VolunteerTeam) -> dict[str, Any] | None:
        org = obj.organization
        return {"id": org.pk, "name": org.name} if org else None

    @staticmethod
    def resolve_leader(obj: VolunteerTeam) -> dict[str, Any] | None:
        leader = obj.leader
        return {"id": leader.pk, "name": leader.name, "number": leader.number} if leader else None

    @staticmethod
    def resolve_member_count(obj: VolunteerTeam) -> int:
        count = getattr(obj, "member_count", None)
        return int(count) if count is not None else obj.memberships.count()


class MemberOut(Schema):
    volunteer_id: int
    number: str
    name: str
    phone_masked: str
    status: str
    role: str
    role_label: str
    joined_on: date

    @staticmethod
    def resolve_number(obj: TeamMembership) -> str:
        return obj.volunteer.number

    @staticmethod
    def resolve_name(obj: TeamMembership) -> str:
        return obj.volunteer.name

    @staticmethod
    def resolve_phone_masked(obj: TeamMembership) -> str:
        return obj.volunteer.phone_masked

    @staticmethod
    def resolve_status(obj: TeamMembership) -> str:
        return obj.volunteer.status

    @staticmethod
    def resolve_role_label(obj: TeamMembership) -> str:
        return str(obj.get_role_display())


class TeamDetail(TeamOut):
    members: list[MemberOut]

    @staticmethod
    def resolve_members(obj: VolunteerTeam) -> list[TeamMembership]:
        return list(selectors.team_members(team=obj))


class TeamIn(Schema):
    name: str = Field(..., max_length=100)
    region: str = Field(..., max_length=12, description="队伍所属区划（区县、乡镇或村社区）")
    organization_id: int | None = None
    description: str = Field("", max_length=2000)


class TeamPatch(Schema):
    name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=2000)
    organization_id: int | None = None
    leader_id: int | None = None


class MemberIn(Schema):
    volunteer_id: int
    role: Literal["leader", "member"] = "member"
    joined_on: date | None = None


class TeamQuery(Schema):
    region: str = Field("", max_length=12)


def _organization(request: HttpRequest, pk: int | None, county_code: str) -> Organization | None:
    """An organisation registered in the team's county (its staff will see the members)."""
    if pk is None:
        return None
    low, high = codes.scope_range(county_code)
    org = Organization.objects.filter(pk=pk, region__gte=low, region__lte=high).first()
    if org is None:
        raise ValidationFailed(
            _("只能选择在本区县登记或备案的社会组织。"),
            code="volunteer_team.organization.invalid",
            fields={"organization_id": [_("只能选择在本区县登记或备案的社会组织。")]},
        )
    return org


def _team_for_change(request: HttpRequest, team_id: int) -> VolunteerTeam:
    team = selectors.team_get(user=request.user, pk=team_id)
    if not request.user.has_perm("volunteers.change_team", team):
        raise PermissionDenied(_("您不能修改该志愿服务队。"), code="volunteer_team.forbidden")
    return team


@router.get("/volunteer-teams", response=list[TeamOut], summary="志愿服务队列表")
@paginate(CappedLimitOffsetPagination)
def list_teams(request: HttpRequest, filters: Query[TeamQuery]) -> QuerySet[VolunteerTeam]:
    if not request.user.has_perm("volunteers.view_team"):
        raise PermissionDenied(_("您的角色不能查看志愿服务队。"), code="volunteer_team.forbidden")
    region = codes.significant_prefix(codes.normalize(filters.region)) if filters.region else ""
    return selectors.team_list(user=request.user, region=region)


@router.post("/volunteer-teams", response={201: TeamDetail}, summary="新建志愿服务队")
def create_team(request: HttpRequest, payload: TeamIn) -> Status:
    try:
        code = codes.normalize(payload.region)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, code=exc.code, fields={"region": [str(exc.message)]}
        ) from None
    if not can_write_region(request.user, code):
        if not request.user.has_perm("volunteers.add_team"):
            raise PermissionDenied(
                _("您的角色不能新建志愿服务队。"), code="volunteer_team.forbidden"
            )
        raise ValidationFailed(
            _("该区划不在您的管辖范围内。"),
            code="volunteer_team.region.out_of_scope",
            fields={"region": [_("该区划不在您的管辖范围内。")]},
        )
    team = services.team_create(
        name=payload.name,
        region_code=code,
        organization=_organization(request, payload.organization_id, code[:6]),
        description=payload.description,
        actor=request.user,
    )
    return Status(201, selectors.team_get(user=request.user, pk=team.pk))


@router.get("/volunteer-teams/{team_id}", response=TeamDetail, summary="志愿服务队详情")
def get_team(request: HttpRequest, team_id: int) -> VolunteerTeam:
    return selectors.team_get(user=request.user, pk=team_id)


@router.patch("/volunteer-teams/{team_id}", response=TeamDetail, summary="修改志愿服务队")
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> VolunteerTeam:
    team = _team_for_change(request, team_id)
    sent = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {k: sent[k] or "" for k in ("name", "description") if k in sent}
    if "organization_id" in sent:
        changes["organization"] = _organization(request, sent["organization_id"], team.county_code)
    if "leader_id" in sent:
        changes["leader"] = (
            selectors.volunteer_get(user=request.user, pk=sent["leader_id"])
            if sent["leader_id"] is not None
            else None
        )
    services.team_update(team=team, actor=request.user, changes=changes)
    return selectors.team_get(user=request.user, pk=team_id)


@router.post("/volunteer-teams/{team_id}/members", response={201: TeamDetail}, summary="加入队伍")
def add_member(request: HttpRequest, team_id: int, payload: MemberIn) -> Status:
    team = _team_for_change(request, team_id)
    volunteer = selectors.volunteer_get(user=request.user, pk=payload.volunteer_id)
    services.team_add_member(
        team=team,
        volunteer=volunteer,
        role=payload.role,
        joined_on=payload.joined_on,
        actor=request.user,
    )
    return Status(201, selectors.team_get(user=request.user, pk=team_id))


@router.delete(
    "/volunteer-teams/{team_id}/members/{volunteer_id}", response=TeamDetail, summary="移出队伍"
)
def remove_member(request: HttpRequest, team_id: int, volunteer_id: int) -> VolunteerTeam:
    team = _team_for_change(request, team_id)
    volunteer = selectors.volunteer_get(user=request.user, pk=volunteer_id)
    services.team_remove_member(team=team, volunteer=volunteer, actor=request.user)
    return selectors.team_get(user=request.user, pk=team_id)
