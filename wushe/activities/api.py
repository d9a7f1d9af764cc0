"""Activities API (/api/v1/activities/…): submit a service record (sign-in/out times), the
records queue, verification, rejection and correction."""

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
from .models import ServiceRecord

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
    travel_minutes: int = Field(0, ge=0)
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
