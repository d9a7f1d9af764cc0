"""HTTP API of requests (民呼我为), mounted under /api/v1. Transitions are explicit endpoints
(`POST /requests/{id}/accept` …); nothing PATCHes a status."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import DomainError, PermissionDenied
from wushe.core.idempotency import HEADER, key_from_header
from wushe.core.images import image_accept, image_response, read_upload
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import rules, selectors, services
from .models import (
    Level,
    Request,
)
from .services.photos import MAX_PHOTOS_PER_STAGE

router = Router(tags=["requests"], auth=API_AUTH)


class Ref(Schema):
    code: str
    name: str


class RequestBase(Schema):
    id: int
    number: str
    channel: str
    category: Ref
    description: str
    region: Ref
    address: str
    urgency: str
    priority: int
    status: str
    status_label: str
    escalation_level: str
    supervised: bool
    overdue: bool
    accept_due_at: datetime | None
    resolve_due_at: datetime | None
    submitted_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    rating: int | None


def summary(obj: Request) -> dict[str, Any]:
    return {
        "id": obj.pk,
        "number": obj.number,
        "channel": obj.channel,
        "category": {"code": obj.category.code, "name": obj.category.label},
        "description": obj.description,
        "region": {"code": obj.region_id, "name": obj.region.name},
        "address": obj.address,
        "urgency": obj.urgency,
        "priority": obj.priority,
        "status": obj.status,
        "status_label": str(obj.get_status_display()),
        "escalation_level": Level(obj.escalation_level).name.lower(),
        "supervised": obj.supervised,
        "overdue": obj.overdue,
        "accept_due_at": obj.accept_due_at,
        "resolve_due_at": obj.resolve_due_at,
        "submitted_at": obj.submitted_at,
        "resolved_at": obj.resolved_at,
        "closed_at": obj.closed_at,
        "rating": obj.rating,
    }


class RequestOut(RequestBase):
    """A list row, read straight from the model."""

    @staticmethod
    def resolve_category(obj: Request) -> dict[str, str]:
        return {"code": obj.category.code, "name": obj.category.label}

    @staticmethod
    def resolve_region(obj: Request) -> dict[str, str]:
        return {"code": obj.region_id, "name": obj.region.name}

    @staticmethod
    def resolve_status_label(obj: Request) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_escalation_level(obj: Request) -> str:
        return Level(obj.escalation_level).name.lower()

    @staticmethod
    def resolve_overdue(obj: Request) -> bool:
        return obj.overdue


class EventOut(Schema):
    seq: int
    at: datetime
    kind: str
    kind_label: str
    actor: str
    from_status: str
    to_status: str
    note: str
    data: dict[str, Any]


class AssignmentOut(Schema):
    id: int
    handler_type: str
    handler_name: str
    status: str
    assigned_at: datetime
    started_at: datetime | None
    done_at: datetime | None
    note: str
    result: str


class PhotoOut(Schema):
    id: int
    stage: str
    width: int
    height: int
    uploaded_at: datetime
    url: str
    thumbnail_url: str


class SupervisionOut(Schema):
    level: str
    by: str
    note: str
    due_at: datetime | None
    created_at: datetime


class FollowUpOut(Schema):
    id: int
    called_by: str
    called_at: datetime
    outcome: str
    satisfied: bool | None
    note: str


class RequestDetail(RequestBase):
    external_id: str
    latitude: Decimal | None
    longitude: Decimal | None
    resident: dict[str, Any] | None
    priority_reason: list[str]
    status_reason: str
    merged_into: dict[str, Any] | None
    result: str
    accepted_at: datetime | None
    dispatched_at: datetime | None
    started_at: datetime | None
    escalated_at: datetime | None
    auto_close_at: datetime | None
    reopen_until: datetime | None
    resolved_on_time: bool | None
    close_reason: str
    reopen_count: int
    rating_comment: str
    events: list[EventOut]
    assignments: list[AssignmentOut]
    photos: list[PhotoOut]
    supervisions: list[SupervisionOut]
    follow_ups: list[FollowUpOut]
    actions: list[str]


def _user_label(user: Any) -> str:
    if user is None:
        return ""
    return str(user.display_name or user.get_username())


def detail(request: HttpRequest, obj: Request) -> dict[str, Any]:
    """The detail payload as the caller may see it (priority reason, actions)."""
    data = summary(obj)
    photo_url = "api:requests_photo"
    data.update(
        external_id=obj.external_id,
        latitude=obj.latitude,
        longitude=obj.longitude,
        resident=(
            {"id": obj.resident_id, "name": obj.resident.name}
            if obj.resident_id is not None and obj.resident is not None
            else None
        ),
        priority_reason=rules.priority_reason_labels(request.user, obj),
        status_reason=obj.status_reason,
        merged_into=(
            {"id": obj.merged_into_id, "number": obj.merged_into.number}
            if obj.merged_into is not None
            else None
        ),
        result=obj.result,
        accepted_at=obj.accepted_at,
        dispatched_at=obj.dispatched_at,
        started_at=obj.started_at,
        escalated_at=obj.escalated_at,
        auto_close_at=obj.auto_close_at,
        reopen_until=obj.reopen_until,
        resolved_on_time=obj.resolved_on_time,
        close_reason=obj.close_reason,
        reopen_count=obj.reopen_count,
        rating_comment=obj.rating_comment,
        events=[
            {
                "seq": e.seq,
                "at": e.at,
                "kind": e.kind,
                "kind_label": str(e.get_kind_display()),
                "actor": e.actor_label,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "data": e.data,
            }
            for e in obj.events.all()
        ],
        assignments=[
            {
                "id": a.pk,
                "handler_type": a.handler_type,
                "handler_name": a.handler_name,
                "status": a.status,
                "assigned_at": a.assigned_at,
                "started_at": a.started_at,
                "done_at": a.done_at,
                "note": a.note,
                "result": a.result,
            }
            for a in obj.assignments.all()
        ],
        photos=[
            {
                "id": p.pk,
                "stage": p.stage,
                "width": p.width,
                "height": p.height,
                "uploaded_at": p.uploaded_at,
                "url": _photo_url(photo_url, obj.pk, p.pk),
                "thumbnail_url": _photo_url(photo_url, obj.pk, p.pk) + "?thumb=1",
            }
            for p in obj.photos.all()
        ],
        supervisions=[
            {
                "level": Level(s.level).name.lower(),
                "by": _user_label(s.by),
                "note": s.note,
                "due_at": s.due_at,
                "created_at": s.created_at,
            }
            for s in obj.supervisions.all()
        ],
        follow_ups=[
            {
                "id": f.pk,
                "called_by": _user_label(f.called_by),
                "called_at": f.called_at,
                "outcome": f.outcome,
                "satisfied": f.satisfied,
                "note": f.note,
            }
            for f in obj.follow_ups.all()
        ],
        actions=rules.available_actions(request.user, obj),
    )
    return data


def _photo_url(name: str, request_id: int, photo_id: int) -> str:
    return reverse(name, kwargs={"request_id": request_id, "photo_id": photo_id})


def _detail(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return detail(request, selectors.request_get(user=request.user, request_id=request_id))


# --- submission and lists -------------------------------------------------------------------


class RequestSubmitted(RequestBase):
    external_id: str
    resident_id: int | None
    priority_reason: list[str]
    actions: list[str]


def submitted(request: HttpRequest, obj: Request) -> dict[str, Any]:
    """The answer to a submission, from the row in memory: the summary plus what the caller
    may do next. The timeline and the rest are on GET /requests/{id}. (A new request has
    one event and nothing else; the submission hot path reads nothing back.)"""
    data = summary(obj)
    data.update(
        external_id=obj.external_id,
        resident_id=obj.resident_id,
        priority_reason=rules.priority_reason_labels(request.user, obj),
        actions=rules.available_actions(request.user, obj),
    )
    return data


class RequestIn(Schema):
    region: str = Field(..., description="社区（村）的 12 位区划代码")
    category: str = Field(..., description="诉求类别代码（request_category）")
    description: str = Field(..., max_length=2000)
    urgency: str = Field("normal", description="normal 一般 / urgent 紧急 / critical 特急")
    channel: str = Field(
        "self_service", description="self_service / phone / visit / grid / hotline"
    )
    external_id: str = Field("", max_length=64, description="12345 热线等外部编号")
    address: str = Field("", max_length=200)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    resident_id: int | None = Field(None, description="诉求涉及的居民档案")


@router.post(
    "/requests",
    response={200: RequestSubmitted, 201: RequestSubmitted},
    summary="提交诉求",
    description=(
        f"带 `{HEADER}` 请求头（1–64 个可见 ASCII 字符）重试时返回同一条诉求（200），"
        "不会重复创建；同一个键用于不同内容时返回 409 `idempotency.key_reused`。"
        "返回诉求概要；办理记录等详情见 GET /requests/{id}。"
    ),
)
def submit(request: HttpRequest, payload: RequestIn) -> Status[dict[str, Any]]:
    key = key_from_header(request.headers.get(HEADER))
    obj, created = services.request_submit(
        actor=request.user,
        region_code=payload.region,
        category=payload.category,
        description=payload.description,
        urgency=payload.urgency,
        channel=payload.channel,
        external_id=payload.external_id,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        resident_id=payload.resident_id,
        idempotency_key=key,
    )
    return Status(201 if created else 200, submitted(request, obj))


class RequestQuery(Schema):
    status: str = Field(
        "",
        description="状态（submitted、accepted …）或分组（working、overdue、escalated、"
        "supervised）",
    )
    category: str = Field("", description="诉求类别代码")
    community: str = Field("", description="区划代码（社区或乡镇，含下级）")
    overdue: bool | None = None
    escalated: bool | None = None
    supervised: bool | None = None
    q: str = Field("", description="编号开头或诉求内容中的文字")


def _filters(query: RequestQuery) -> selectors.RequestFilter:
    community = ""
    if query.community:
        community = codes.significant_prefix(codes.normalize(query.community))
    return selectors.RequestFilter(
        status=query.status,
        category=query.category,
        community=community,
        overdue=query.overdue,
        escalated=query.escalated,
        supervised=query.supervised,
        q=query.q,
    )


@router.get("/requests", response=list[RequestOut], summary="诉求列表")
@paginate(CappedLimitOffsetPagination)
def list_requests(request: HttpRequest, filters: Query[RequestQuery]) -> QuerySet[Request]:
    return selectors.request_search(user=request.user, filters=_filters(filters))


class CountsOut(Schema):
    submitted: int
    accepted: int
    working: int
    resolved: int
    overdue: int
    escalated: int
    supervised: int
    closed: int


@router.get("/requests/counts", response=CountsOut, summary="各状态诉求数量（工作台）")
def counts(request: HttpRequest, community: str = "") -> dict[str, int]:
    if not request.user.has_perm("requests.view_inbox"):
        raise PermissionDenied(_("您的角色没有诉求工作台。"), code="request.forbidden")
    prefix = codes.significant_prefix(codes.normalize(community)) if community else ""
    return selectors.inbox_counts(user=request.user, community=prefix)


class HandlerOut(Schema):
    type: str
    id: int
    name: str
    detail: str


class EligibleQuery(Schema):
    request: int = Field(..., description="诉求 id")


@router.get(
    "/requests/eligible-handlers",
    response=list[HandlerOut],
    summary="可派单的承办方",
    description="覆盖该社区且服务类别相符的社会组织、本社区志愿者、所在街道（乡镇）社工站的社工、"
    "认领该类别的报到党员。暂不排序（匹配功能另行提供）。",
)
def eligible(request: HttpRequest, query: Query[EligibleQuery]) -> Any:
    request_id = query.request
    obj = selectors.request_get(user=request.user, request_id=request_id)
    if not rules.may_handle(request.user, obj):
        raise PermissionDenied(_("您不能为这条诉求派单。"), code="request.forbidden")
    return [o.__dict__ for o in selectors.eligible_handlers(user=request.user, request=obj)]


@router.get("/requests/{request_id}", response=RequestDetail, summary="诉求详情（含办理记录）")
def get_request(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return _detail(request, request_id)


# --- transitions ----------------------------------------------------------------------------


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class MergeIn(Schema):
    target: int = Field(..., description="合并到的诉求 id")
    note: str = Field("", max_length=500)


class HandlerIn(Schema):
    type: str = Field(
        ..., description="organization / volunteer / social_worker / party_member / department"
    )
    id: int | None = None
    name: str = Field("", max_length=100, description="部门名称（type=department）")


class DispatchIn(Schema):
    handlers: list[HandlerIn] = Field(..., min_length=1, max_length=20)
    note: str = Field("", max_length=500)


class StartIn(Schema):
    assignment: int | None = None


class ResolveIn(Schema):
    result: str = Field(..., max_length=2000)
    assignment: int | None = None


class RatingIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


class EscalateIn(Schema):
    level: str | None = Field(None, description="township / county；缺省为上一级")
    note: str = Field("", max_length=500)


class SuperviseIn(Schema):
    note: str = Field("", max_length=500)
    due_at: datetime | None = None


class FollowUpIn(Schema):
    outcome: str = Field(..., description="reached / unreachable / declined")
    satisfied: bool | None = None
    note: str = Field("", max_length=500)
    called_at: datetime | None = None


@router.post("/requests/{request_id}/accept", response=RequestDetail, summary="受理")
def accept(request: HttpRequest, request_id: int, payload: NoteIn | None = None) -> Any:
    services.request_accept(
        request_id=request_id, actor=request.user, note=payload.note if payload else ""
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/reject", response=RequestDetail, summary="不予受理")
def reject(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    services.request_reject(request_id=request_id, actor=request.user, reason=payload.reason)
    return _detail(request, request_id)


@router.post("/requests/{request_id}/merge", response=RequestDetail, summary="合并重复诉求")
def merge(request: HttpRequest, request_id: int, payload: MergeIn) -> Any:
    services.request_merge(
        request_id=request_id, actor=request.user, target_id=payload.target, note=payload.note
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/dispatch", response=RequestDetail, summary="派单")
def dispatch(request: HttpRequest, request_id: int, payload: DispatchIn) -> Any:
    services.request_dispatch(
        request_id=request_id,
        actor=request.user,
        handlers=[services.HandlerSpec(h.type, h.id, h.name) for h in payload.handlers],
        note=payload.note,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/claim", response=RequestDetail, summary="报到党员认领")
def claim(request: HttpRequest, request_id: int, payload: NoteIn | None = None) -> Any:
    services.request_claim(
        request_id=request_id, actor=request.user, note=payload.note if payload else ""
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/start", response=RequestDetail, summary="承办方开始办理")
def start(request: HttpRequest, request_id: int, payload: StartIn | None = None) -> Any:
    services.request_start(
        request_id=request_id,
        actor=request.user,
        assignment_id=payload.assignment if payload else None,
    )
    return _detail(request, request_id)


@router.post(
    "/requests/{request_id}/resolve",
    response=RequestDetail,
    summary="办结",
    description="承办方办结自己的任务（全部承办方完成后诉求办结），或社区代为办结。"
    "办结照片用 POST /requests/{id}/photos（stage=resolved）上传。",
)
def resolve(request: HttpRequest, request_id: int, payload: ResolveIn) -> Any:
    services.request_resolve(
        request_id=request_id,
        actor=request.user,
        result=payload.result,
        assignment_id=payload.assignment,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/confirm", response=RequestDetail, summary="居民确认并评价")
def confirm(request: HttpRequest, request_id: int, payload: RatingIn) -> Any:
    services.request_confirm(
        request_id=request_id,
        actor=request.user,
        rating=payload.rating,
        comment=payload.comment,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/rate", response=RequestDetail, summary="评价已关闭的诉求")
def rate(request: HttpRequest, request_id: int, payload: RatingIn) -> Any:
    services.request_rate(
        request_id=request_id, actor=request.user, rating=payload.rating, comment=payload.comment
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/reopen", response=RequestDetail, summary="重新办理")
def reopen(request: HttpRequest, request_id: int, payload: ReasonIn | None = None) -> Any:
    services.request_reopen(
        request_id=request_id, actor=request.user, reason=payload.reason if payload else ""
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/cancel", response=RequestDetail, summary="撤销（受理前）")
def cancel(request: HttpRequest, request_id: int, payload: ReasonIn | None = None) -> Any:
    services.request_cancel(
        request_id=request_id, actor=request.user, reason=payload.reason if payload else ""
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/escalate", response=RequestDetail, summary="社区吹哨（升级）")
def escalate(request: HttpRequest, request_id: int, payload: EscalateIn | None = None) -> Any:
    level: int | None = None
    if payload and payload.level:
        try:
            level = Level[payload.level.upper()].value
        except KeyError:
            raise DomainError(
                _("升级层级不正确。"), code="request.escalation.level_invalid", status=422
            ) from None
    services.request_escalate(
        request_id=request_id,
        actor=request.user,
        to_level=level,
        note=payload.note if payload else "",
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/supervise", response=RequestDetail, summary="督办")
def supervise(request: HttpRequest, request_id: int, payload: SuperviseIn | None = None) -> Any:
    services.request_supervise(
        request_id=request_id,
        actor=request.user,
        note=payload.note if payload else "",
        due_at=payload.due_at if payload else None,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/follow-up", response=RequestDetail, summary="回访")
def follow_up(request: HttpRequest, request_id: int, payload: FollowUpIn) -> Any:
    services.request_follow_up(
        request_id=request_id,
        actor=request.user,
        outcome=payload.outcome,
        satisfied=payload.satisfied,
        note=payload.note,
        called_at=payload.called_at,
    )
    return _detail(request, request_id)


# --- photos ---------------------------------------------------------------------------------


@router.post(
    "/requests/{request_id}/photos",
    response={201: list[PhotoOut]},
    summary="上传照片",
    description="multipart/form-data：`stage`（submitted 诉求照片 / resolved 办结照片）和一个或多个"
    "`photos` 文件（JPEG、PNG、WebP，按内容识别；同一张照片只保存一次）。",
)
def upload_photos(
    request: HttpRequest,
    request_id: int,
    stage: Form[str],
    photos: File[list[UploadedFile]],
) -> Status[list[dict[str, Any]]]:
    services.photo_add_check(request_id=request_id, actor=request.user, stage=stage)
    if len(photos) > MAX_PHOTOS_PER_STAGE:
        raise DomainError(
            _("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS_PER_STAGE},
            code="request.photos.too_many",
            status=422,
        )
    accepted = [image_accept(read_upload(f), file_name=f.name or "") for f in photos]
    services.request_photo_add(
        request_id=request_id, actor=request.user, photos=accepted, stage=stage
    )
    data = _detail(request, request_id)
    return Status(201, [p for p in data["photos"] if p["stage"] == stage])


@router.get(
    "/requests/{request_id}/photos/{photo_id}",
    summary="查看照片（thumb=1 为缩略图）",
    url_name="requests_photo",
    response={200: None},
)
def photo(request: HttpRequest, request_id: int, photo_id: int, thumb: bool = False) -> Any:
    found = selectors.photo_get(user=request.user, request_id=request_id, photo_id=photo_id)
    if thumb:
        return image_response(found.thumbnail_name, "image/jpeg")
    return image_response(found.name, found.content_type)
