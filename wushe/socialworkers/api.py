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
from wushe.core.errors import PermissionDenied
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import selectors, services
from .models import ContinuingEducation, RegistrationRenewal, SocialWorker

router = Router(tags=["social-workers"], auth=API_AUTH)


class RegionRef(Schema):
    code: str
    name: str


class Ref(Schema):
    id: int
    name: str


class StandingOut(Schema):
    registered: bool
    due_on: date = Field(description="首次登记或延续登记的办理期限")
    deadline: str = Field(description="ok / due_soon（90 天内到期）/ overdue（已逾期）")
    days_left: int
    education_hours: Decimal
    education_required: Decimal
    education_short: bool


class SocialWorkerOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date | None
    id_number_masked: str
    phone_masked: str
    certificate_level: str
    certificate_level_label: str
    certificate_number: str
    certificate_date: date
    registered_on: date | None
    registration_last_on: date | None
    registration_expires_on: date | None
    region: RegionRef
    employer: Ref | None
    station: Ref | None
    resident_at_station: bool
    is_community_worker: bool
    status: str
    standing: StandingOut

    @staticmethod
    def resolve_certificate_level_label(obj: SocialWorker) -> str:
        return str(obj.get_certificate_level_display())

    @staticmethod
    def resolve_standing(obj: SocialWorker) -> dict[str, Any]:
        s = selectors.standing_of(obj)
        return {
            "registered": s.registered,
            "due_on": s.due_on,
            "deadline": s.deadline,
            "days_left": s.days_left,
            "education_hours": s.hours,
            "education_required": s.required,
            "education_short": s.education_short,
        }


class RenewalOut(Schema):
    id: int
    renewed_on: date
    note: str


class EducationOut(Schema):
    id: int
    taken_on: date
    hours: Decimal
    provider: str
    topic: str


class SocialWorkerDetail(SocialWorkerOut):
    renewals: list[RenewalOut]
    education: list[EducationOut]

    @staticmethod
    def resolve_renewals(obj: SocialWorker) -> list[RegistrationRenewal]:
        return list(selectors.renewals_of(worker=obj))

    @staticmethod
    def resolve_education(obj: SocialWorker) -> list[ContinuingEducation]:
        return list(selectors.education_of(worker=obj))


Level = Literal["assistant", "intermediate", "senior"]


class SocialWorkerIn(Schema):
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., description="身份证号（加密保存，之后只显示脱敏值）")
    phone: str = Field("", description="手机号码（加密保存）")
    certificate_level: Level
    certificate_number: str = Field(..., max_length=40)
    certificate_date: date
    registered_on: date | None = Field(None, description="首次登记日期")
    region: str = Field(..., description="所属区划代码（乡镇街道或社区）")
    employer_id: int | None = None
    station_id: int | None = None
    resident_at_station: bool = False
    is_community_worker: bool = False
    status: Literal["active", "left"] = "active"
    user_id: int | None = None


class SocialWorkerPatch(Schema):
    name: str | None = Field(None, max_length=50)
    id_number: str | None = None
    phone: str | None = None
    certificate_level: Level | None = None
    certificate_number: str | None = Field(None, max_length=40)
    certificate_date: date | None = None
    registered_on: date | None = None
    region: str | None = None
    employer_id: int | None = None
    station_id: int | None = None
    resident_at_station: bool | None = None
    is_community_worker: bool | None = None
    status: Literal["active", "left"] | None = None
    user_id: int | None = None


class SocialWorkerQuery(Schema):
    q: str = Field("", description="姓名中的文字，或完整的证书编号")
    level: str = ""
    status: str = ""
    region: str = Field("", description="区划代码：只列该区划及其下级")
    station: int | None = None
    employer: int | None = None
    resident_at_station: bool | None = None
    warning: Literal["", "due_soon", "overdue", "education_short"] = Field(
        "", description="due_soon：90 天内到期；overdue：已逾期；education_short：继续教育学时不足"
    )


class RenewalIn(Schema):
    renewed_on: date
    note: str = Field("", max_length=200)


class EducationIn(Schema):
    taken_on: date
    hours: Decimal = Field(..., le=200, description="学时，最多一位小数")
    provider: str = Field(..., max_length=100)
    topic: str = Field(..., max_length=200)


_RENAMED = {"employer_id": "employer", "station_id": "station", "user_id": "user"}


@router.get("/social-workers", response=list[SocialWorkerOut], summary="社会工作者列表")
@paginate(CappedLimitOffsetPagination)
def list_social_workers(
    request: HttpRequest, filters: Query[SocialWorkerQuery]
) -> QuerySet[SocialWorker]:
    if not request.user.has_perm("socialworkers.view_socialworker"):
        raise PermissionDenied(
            _("您的角色不能查看社会工作者台账。"), code="social_worker.forbidden"
        )
    region = codes.significant_prefix(codes.normalize(filters.region)) if filters.region else ""
    return selectors.social_worker_search(
        user=request.user,
        filters=selectors.SocialWorkerFilter(
            q=filters.q,
            level=filters.level,
            status=filters.status,
            region=region,
            station_id=filters.station,
            employer_id=filters.employer,
            resident_at_station=filters.resident_at_station,
            warning=filters.warning,
        ),
        today=timezone.localdate(),
    )


@router.get("/social-workers/{worker_id}", response=SocialWorkerDetail, summary="社会工作者详情")
def get_social_worker(request: HttpRequest, worker_id: int) -> SocialWorker:
    return selectors.social_worker_get(user=request.user, worker_id=worker_id)


@router.post("/social-workers", response={201: SocialWorkerDetail}, summary="登记社会工作者")
def create_social_worker(request: HttpRequest, payload: SocialWorkerIn) -> Status[SocialWorker]:
    worker = services.social_worker_create(
        actor=request.user,
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        certificate_level=payload.certificate_level,
        certificate_number=payload.certificate_number,
        certificate_date=payload.certificate_date,
        registered_on=payload.registered_on,
        region_code=payload.region,
        employer_id=payload.employer_id,
        station_id=payload.station_id,
        resident_at_station=payload.resident_at_station,
        is_community_worker=payload.is_community_worker,
        status=payload.status,
        user_id=payload.user_id,
    )
    return Status(201, selectors.social_worker_get(user=request.user, worker_id=worker.pk))


@router.patch(
    "/social-workers/{worker_id}", response=SocialWorkerDetail, summary="修改社会工作者信息"
)
def update_social_worker(
    request: HttpRequest, worker_id: int, payload: SocialWorkerPatch
) -> SocialWorker:
    changes = {_RENAMED.get(k, k): v for k, v in payload.dict(exclude_unset=True).items()}
    services.social_worker_update(actor=request.user, worker_id=worker_id, changes=changes)
    return selectors.social_worker_get(user=request.user, worker_id=worker_id)


@router.post(
    "/social-workers/{worker_id}/renewals",
    response={201: SocialWorkerDetail},
    summary="记录延续登记",
)
def add_renewal(request: HttpRequest, worker_id: int, payload: RenewalIn) -> Status[SocialWorker]:
    services.renewal_record(
        actor=request.user, worker_id=worker_id, renewed_on=payload.renewed_on, note=payload.note
    )
    return Status(201, selectors.social_worker_get(user=request.user, worker_id=worker_id))


@router.post(
    "/social-workers/{worker_id}/education",
    response={201: SocialWorkerDetail},
    summary="记录继续教育",
)
def add_education(
    request: HttpRequest, worker_id: int, payload: EducationIn
) -> Status[SocialWorker]:
    services.education_record(
        actor=request.user,
        worker_id=worker_id,
        taken_on=payload.taken_on,
        hours=payload.hours,
        provider=payload.provider,
        topic=payload.topic,
    )
    return Status(201, selectors.social_worker_get(user=request.user, worker_id=worker_id))
