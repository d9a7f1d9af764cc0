"""Activities API (/api/v1/activities/…): activities (list, create), sign-up, sign-in and
sign-out (with the token of a scanned QR code, or by the organiser for a volunteer), the
sign-in sheet, submitting a service record, the records queue, verification, rejection and
correction."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import NotFound
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.volunteers.models import Volunteer

from . import selectors, services
from .models import Activity, ServiceRecord, SignUp

router = Router(tags=["activities"], auth=API_AUTH)


class RecordOut(Schema):
    id: int
    activity: int
    activity_title: str
    volunteer: int
    volunteer_name: str
    signed_in_at: datetime
    signed_out_at: datetime
    travel_minutes: int
    minutes: int
    content: str
    status: str
    corrects: int | None
    reason: str
    transfer: int | None

    @staticmethod
    def resolve_activity(obj: ServiceRecord) -> int:
        return obj.activity_id

    @staticmethod
    def resolve_activity_title(obj: ServiceRecord) -> str:
        return obj.activity.title

    @staticmethod
    def resolve_volunteer(obj: ServiceRecord) -> int:
        return obj.volunteer_id

    @staticmethod
    def resolve_volunteer_name(obj: ServiceRecord) -> str:
        return obj.volunteer.name

    @staticmethod
    def resolve_corrects(obj: ServiceRecord) -> int | None:
        return obj.corrects_id

    @staticmethod
    def resolve_transfer(obj: ServiceRecord) -> int | None:
        return obj.transfer_id


class RecordIn(Schema):
    signed_in_at: datetime
    signed_out_at: datetime
    travel_minutes: int = Field(0, ge=0, le=600)  # as at sign-out and on the page
    content: str = Field("", max_length=200)
    volunteer: int | None = Field(None, description="志愿者（组织者代录时填写；默认本人）")


class ReasonIn(Schema):
    reason: str = Field(..., max_length=200)


@router.post(
    "/activities/{activity_id}/records",
    response={201: RecordOut},
    summary="提交服务记录（签到、签退时间）",
)
def submit_record(
    request: HttpRequest, activity_id: int, payload: RecordIn
) -> Status[ServiceRecord]:
    activity = selectors.activity_get(activity_id=activity_id)
    if payload.volunteer is None:
        volunteer = Volunteer.objects.filter(user_id=request.user.pk or 0).first()
    else:
        volunteer = Volunteer.objects.filter(pk=payload.volunteer).first()
    if volunteer is None:
        raise NotFound(code="activities.volunteer.not_found")
    record = services.record_submit(
        activity=activity,
        volunteer=volunteer,
        signed_in_at=payload.signed_in_at,
        signed_out_at=payload.signed_out_at,
        travel_minutes=payload.travel_minutes,
        content=payload.content,
        actor=request.user,
    )
    return Status(201, record)


class RecordQuery(Schema):
    status: str = Field("", description="submitted、verified、rejected")


@router.get("/activities/records", response=list[RecordOut], summary="服务记录（待认证队列）")
@paginate(CappedLimitOffsetPagination)
def list_records(request: HttpRequest, filters: Query[RecordQuery]) -> QuerySet[ServiceRecord]:
    return selectors.records_visible(user=request.user, status=filters.status)


@router.post("/activities/records/{record_id}/verify", response=RecordOut, summary="认证服务记录")
def verify(request: HttpRequest, record_id: int) -> Any:
    record = selectors.record_get(user=request.user, record_id=record_id)
    return services.record_verify(record=record, actor=request.user)


@router.post("/activities/records/{record_id}/reject", response=RecordOut, summary="退回服务记录")
def reject(request: HttpRequest, record_id: int, payload: ReasonIn) -> Any:
    record = selectors.record_get(user=request.user, record_id=record_id)
    return services.record_reject(record=record, reason=payload.reason, actor=request.user)


@router.post(
    "/activities/records/{record_id}/correct",
    response={201: RecordOut},
    summary="更正已认证的记录（追加冲正记录）",
)
def correct(request: HttpRequest, record_id: int, payload: ReasonIn) -> Status[ServiceRecord]:
    record = selectors.record_get(user=request.user, record_id=record_id)
    return Status(
        201, services.record_correct(record=record, reason=payload.reason, actor=request.user)
    )


class ActivityOut(Schema):
    id: int
    title: str
    description: str
    region: str
    region_name: str
    starts_at: datetime
    ends_at: datetime

    @staticmethod
    def resolve_region(obj: Activity) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj: Activity) -> str:
        return obj.region.name


class ActivityIn(Schema):
    region: str
    title: str = Field(..., max_length=200)
    starts_at: datetime
    ends_at: datetime
    description: str = ""


class ActivityQuery(Schema):
    when: str = Field("upcoming", description="upcoming（未结束）或 all")


@router.get("/activities", response=list[ActivityOut], summary="志愿服务活动")
@paginate(CappedLimitOffsetPagination)
def list_activities(request: HttpRequest, filters: Query[ActivityQuery]) -> QuerySet[Activity]:
    return selectors.activities_list(when=filters.when)


@router.post("/activities", response={201: ActivityOut}, summary="发布活动")
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status[Activity]:
    activity = services.activity_create(
        region_code=payload.region,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        description=payload.description,
        actor=request.user,
    )
    return Status(201, activity)


@router.get("/activities/{activity_id}", response=ActivityOut, summary="活动详情")
def get_activity(request: HttpRequest, activity_id: int) -> Activity:
    return selectors.activity_get(activity_id=activity_id)


class SignUpOut(Schema):
    id: int
    activity: int
    volunteer: int
    volunteer_name: str
    status: str
    signed_in_at: datetime | None
    signed_out_at: datetime | None
    record: int | None

    @staticmethod
    def resolve_activity(obj: SignUp) -> int:
        return obj.activity_id

    @staticmethod
    def resolve_volunteer(obj: SignUp) -> int:
        return obj.volunteer_id

    @staticmethod
    def resolve_volunteer_name(obj: SignUp) -> str:
        return obj.volunteer.name

    @staticmethod
    def resolve_record(obj: SignUp) -> int | None:
        return obj.record_id


class AttendanceIn(Schema):
    token: str = Field("", description="扫描活动二维码得到的签名令牌（志愿者本人）")
    volunteer: int | None = Field(None, description="组织者代签时填写志愿者")
    travel_minutes: int = Field(0, ge=0, le=600, description="路途时间（签退时）")


def _volunteer(request: HttpRequest, volunteer_id: int | None) -> Volunteer:
    if volunteer_id is None:
        volunteer = selectors.volunteer_of(user=request.user)
    else:
        volunteer = Volunteer.objects.filter(pk=volunteer_id).first()
    if volunteer is None:
        raise NotFound(code="activities.volunteer.not_found")
    return volunteer


@router.post(
    "/activities/{activity_id}/signup", response={200: SignUpOut, 201: SignUpOut}, summary="报名"
)
def signup(request: HttpRequest, activity_id: int) -> Status[SignUp]:
    activity = selectors.activity_get(activity_id=activity_id)
    volunteer = _volunteer(request, None)
    existed = selectors.signup_of(activity=activity, volunteer=volunteer)
    row = services.signup_create(activity=activity, volunteer=volunteer, actor=request.user)
    return Status(200 if existed and existed.status == row.status else 201, row)


@router.delete("/activities/{activity_id}/signup", response=SignUpOut, summary="取消报名")
def signup_cancel(request: HttpRequest, activity_id: int) -> SignUp:
    activity = selectors.activity_get(activity_id=activity_id)
    row = selectors.signup_of(activity=activity, volunteer=_volunteer(request, None))
    if row is None:
        raise NotFound(code="activities.signup.not_found")
    return services.signup_cancel(signup=row, actor=request.user)


def _attendance(request: HttpRequest, activity_id: int, payload: AttendanceIn, action: str) -> Any:
    activity = selectors.activity_get(activity_id=activity_id)
    if payload.volunteer is None:
        # The volunteer themself: only with a valid token of this activity and action.
        scanned, scanned_action = services.scan_read(payload.token)
        if scanned.pk != activity.pk or scanned_action != action:
            raise NotFound(code="activities.scan.invalid")
    volunteer = _volunteer(request, payload.volunteer)
    if action == "in":
        return services.sign_in(activity=activity, volunteer=volunteer, actor=request.user)
    return services.sign_out(
        activity=activity,
        volunteer=volunteer,
        actor=request.user,
        travel_minutes=payload.travel_minutes,
    )


@router.post(
    "/activities/{activity_id}/sign-in",
    response=SignUpOut,
    summary="签到（扫码令牌，或组织者代签）",
    description="重复签到保留第一次的时间。二维码过期 409 `activities.scan.expired`。",
)
def sign_in(request: HttpRequest, activity_id: int, payload: AttendanceIn) -> Any:
    return _attendance(request, activity_id, payload, "in")


@router.post(
    "/activities/{activity_id}/sign-out",
    response=SignUpOut,
    summary="签退（提交服务记录待认证）",
    description="签退即提交服务记录；重复签退返回第一次的结果。",
)
def sign_out(request: HttpRequest, activity_id: int, payload: AttendanceIn) -> Any:
    return _attendance(request, activity_id, payload, "out")


@router.get(
    "/activities/{activity_id}/signups", response=list[SignUpOut], summary="签到表（组织者）"
)
@paginate(CappedLimitOffsetPagination)
def signups(request: HttpRequest, activity_id: int) -> QuerySet[SignUp]:
    activity = selectors.activity_get(activity_id=activity_id)
    if not request.user.has_perm("activities.manage_activity", activity):
        raise NotFound(code="activities.activity.not_found")
    return selectors.signups_of(activity=activity)
