"""HTTP API of visits (探访关爱), mounted under /api/v1/visits/…. Writes are explicit
endpoints calling the services; nothing PATCHes an enrolment. Phones are masked; ID numbers
are never in this API."""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import in_scope
from wushe.core.errors import NotFound, PermissionDenied, ValidationFailed
from wushe.core.idempotency import HEADER, key_from_header
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import periods, selectors, services
from .models import Enrolment, Group, Visit, WeatherOverride

router = Router(tags=["visits"], auth=API_AUTH)


class Ref(Schema):
    code: str
    name: str


class PersonOut(Schema):
    id: int
    name: str
    phone: str = Field(..., description="掩码后的手机号")


class EnrolmentOut(Schema):
    id: int
    resident: PersonOut
    region: Ref
    group: str
    risk_level: str
    frequency: str
    effective_frequency: str | None = None
    source: str
    visitor_id: int | None
    visitor_name: str
    visitor_kind: str
    enrolled_on: date
    ended_on: date | None
    last_visited_on: date | None
    due_by: date | None = None
    pending: bool | None = None
    overdue: bool | None = None


def _enrolment(obj: Enrolment) -> dict[str, Any]:
    visitor = obj.visitor
    return {
        "id": obj.pk,
        "resident": {
            "id": obj.resident_id,
            "name": obj.resident.name,
            "phone": obj.resident.phone_masked,
        },
        "region": {"code": obj.region_id, "name": obj.region.name},
        "group": obj.group,
        "risk_level": obj.risk_level,
        "frequency": obj.frequency,
        "effective_frequency": getattr(obj, "effective_frequency", None),
        "source": obj.source,
        "visitor_id": obj.visitor_id,
        "visitor_name": (visitor.display_name or visitor.get_username()) if visitor else "",
        "visitor_kind": obj.visitor_kind,
        "enrolled_on": obj.enrolled_on,
        "ended_on": obj.ended_on,
        "last_visited_on": obj.last_visited_on,
        "due_by": getattr(obj, "due_by", None),
        "pending": bool(obj.pending) if hasattr(obj, "pending") else None,
        "overdue": bool(obj.overdue) if hasattr(obj, "overdue") else None,
    }


class EnrolmentDetail(EnrolmentOut):
    tags: list[str]
    end_reason: str
    note: str
    actions: list[str]


class VisitOut(Schema):
    id: int
    enrolment_id: int
    visited_at: datetime
    visited_on: date
    method: str
    situation: str
    findings: str
    visitor: str
    follow_up_request: str | None


def _visit(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "enrolment_id": v.enrolment_id,
        "visited_at": v.visited_at,
        "visited_on": v.visited_on,
        "method": v.method,
        "situation": v.situation,
        "findings": v.findings,
        "visitor": v.visitor_label,
        "follow_up_request": v.follow_up_request.number if v.follow_up_request else None,
    }


def _prefix(raw: str) -> str:
    return codes.significant_prefix(codes.normalize(raw)) if raw else ""


class DueQuery(Schema):
    bucket: str = Field(
        "week", description="week 本周到期 / pending 本期待探访 / overdue 已逾期 / all"
    )
    mine: bool = Field(False, description="只看分配给我的")
    region: str = Field("", description="区划代码（社区或乡镇，含下级）")
    group: str = Field("", description="elderly / children / disabled / other")
    q: str = Field("", max_length=20, description="姓名中的文字")


def _due_filter(query: DueQuery) -> selectors.DueFilter:
    if query.bucket not in selectors.BUCKETS:
        raise ValidationFailed(_("名单类型不正确。"), code="visits.bucket.invalid")
    return selectors.DueFilter(
        bucket=query.bucket,
        mine=query.mine,
        region=_prefix(query.region),
        group=query.group if query.group in Group.values else "",
        q=query.q.strip(),
    )


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(_("您的角色不能查看探访名单。"), code="visits.forbidden")


@router.get(
    "/visits/due", response=list[EnrolmentOut], summary="探访名单（本周到期、待探访、已逾期）"
)
@paginate(CappedLimitOffsetPagination)
def due(request: HttpRequest, query: Query[DueQuery]) -> list[dict[str, Any]] | QuerySet[Any]:
    _need(request, "visits.view_due")
    qs = selectors.due_list(user=request.user, filters=_due_filter(query))
    return _LazyRows(qs)  # type: ignore[return-value]


class _LazyRows:
    """A queryset seen through `_enrolment`, sliced by the paginator before it is read."""

    def __init__(self, qs: QuerySet[Any]) -> None:
        self.qs = qs

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_enrolment(e) for e in self.qs[item]]

    def count(self) -> int:
        return self.qs.count()

    def order_by(self, *args: Any) -> QuerySet[Any]:
        return self.qs.order_by(*args)

    def __len__(self) -> int:
        return self.qs.count()


class CountsOut(Schema):
    week: int
    pending: int
    overdue: int
    all: int


@router.get("/visits/due/counts", response=CountsOut, summary="探访名单各类人数")
def due_counts(request: HttpRequest, query: Query[DueQuery]) -> dict[str, int]:
    _need(request, "visits.view_due")
    return selectors.due_counts(user=request.user, filters=_due_filter(query))


def _actions(user: Any, obj: Enrolment) -> list[str]:
    actions = []
    if obj.is_current and user.has_perm("visits.record_visit", obj):
        actions.append("record_visit")
    if obj.is_current and user.has_perm("visits.manage_enrolment", obj):
        actions += ["assign", "end"]
    return actions


def _detail(request: HttpRequest, obj: Enrolment) -> dict[str, Any]:
    data = _enrolment(obj)
    data.update(
        tags=selectors.tag_labels(request.user, obj),
        end_reason=obj.end_reason,
        note=obj.note,
        actions=_actions(request.user, obj),
    )
    return data


@router.get("/visits/enrolments/{enrolment_id}", response=EnrolmentDetail, summary="探访对象详情")
def enrolment_get(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    obj = selectors.enrolment_get(user=request.user, enrolment_id=enrolment_id)
    return _detail(request, obj)


class EnrolIn(Schema):
    resident_id: int
    risk_level: str = Field("medium", description="high / medium / low")
    note: str = Field("", max_length=200)


@router.post("/visits/enrolments", response={201: EnrolmentDetail}, summary="人工纳入探访对象")
def enrolment_create(request: HttpRequest, payload: EnrolIn) -> Status[dict[str, Any]]:
    obj = services.enrolment_create(
        resident_id=payload.resident_id,
        risk_level=payload.risk_level,
        note=payload.note,
        actor=request.user,
    )
    obj = selectors.enrolment_get(user=request.user, enrolment_id=obj.pk)
    return Status(201, _detail(request, obj))


class AssignIn(Schema):
    visitor_id: int | None = Field(None, description="用户 id；null 取消分配")
    visitor_kind: str = Field("", description="grid_worker：社区工作者以网格员身份探访")


@router.post(
    "/visits/enrolments/{enrolment_id}/assign", response=EnrolmentDetail, summary="分配探访责任人"
)
def enrolment_assign(request: HttpRequest, enrolment_id: int, payload: AssignIn) -> dict[str, Any]:
    services.enrolment_assign(
        enrolment_id=enrolment_id,
        visitor_id=payload.visitor_id,
        visitor_kind=payload.visitor_kind,
        actor=request.user,
    )
    return _detail(request, selectors.enrolment_get(user=request.user, enrolment_id=enrolment_id))


class ReasonIn(Schema):
    reason: str = Field(..., max_length=200)


@router.post("/visits/enrolments/{enrolment_id}/end", response=EnrolmentDetail, summary="退出探访")
def enrolment_end(request: HttpRequest, enrolment_id: int, payload: ReasonIn) -> dict[str, Any]:
    services.enrolment_end(enrolment_id=enrolment_id, reason=payload.reason, actor=request.user)
    return _detail(request, selectors.enrolment_get(user=request.user, enrolment_id=enrolment_id))


@router.get(
    "/visits/enrolments/{enrolment_id}/visits",
    response=list[VisitOut],
    summary="探访记录",
)
@paginate(CappedLimitOffsetPagination)
def visits_list(request: HttpRequest, enrolment_id: int) -> Any:
    obj = selectors.enrolment_get(user=request.user, enrolment_id=enrolment_id)
    return _VisitRows(selectors.visits_of(obj).select_related("follow_up_request"))


class _VisitRows(_LazyRows):
    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_visit(v) for v in self.qs[item]]


class VisitIn(Schema):
    method: str = Field(..., description="home 入户 / phone 电话 / video 视频")
    visited_at: datetime | None = Field(None, description="默认为现在；按北京时间的日期计入当期")
    situation: str = Field("normal", description="normal / attention / urgent")
    findings: str = Field("", max_length=2000)


@router.post(
    "/visits/enrolments/{enrolment_id}/visits",
    response={200: VisitOut, 201: VisitOut},
    summary="记录探访",
    description=f"带 `{HEADER}` 请求头重试时返回同一条探访记录（200），不会重复记录。",
)
def visit_create(
    request: HttpRequest, enrolment_id: int, payload: VisitIn
) -> Status[dict[str, Any]]:
    key = key_from_header(request.headers.get(HEADER))
    visit, created = services.visit_record(
        enrolment_id=enrolment_id,
        method=payload.method,
        visited_at=payload.visited_at,
        situation=payload.situation,
        findings=payload.findings,
        actor=request.user,
        idempotency_key=key,
    )
    return Status(201 if created else 200, _visit(visit))


class RaiseIn(Schema):
    category: str = Field(..., description="诉求类别代码")
    description: str = Field(..., max_length=2000)
    urgency: str = "normal"


class RaisedOut(Schema):
    request_id: int
    number: str


@router.post(
    "/visits/visits/{visit_id}/request", response=RaisedOut, summary="探访发现的需求转为诉求"
)
def visit_raise(request: HttpRequest, visit_id: int, payload: RaiseIn) -> dict[str, Any]:
    req = services.visit_raise_request(
        visit_id=visit_id,
        category=payload.category,
        description=payload.description,
        urgency=payload.urgency,
        actor=request.user,
    )
    return {"request_id": req.pk, "number": req.number}


class RateOut(Schema):
    region: str
    period: str
    group: str
    numerator: int
    denominator: int
    value: float | None = Field(..., description="无应探访对象时为 null（不是 0）")


@router.get("/visits/rate", response=RateOut, summary="月探访率")
def rate(request: HttpRequest, region: str, period: str = "", group: str = "") -> dict[str, Any]:
    code = codes.normalize(region)
    if not in_scope(request.user, code, WORKER_ROLES):
        raise NotFound()
    try:
        month = periods.parse_month(period) if period else timezone.localdate().replace(day=1)
    except ValueError as exc:
        raise ValidationFailed(_("月份格式应为 YYYY-MM。"), code="visits.period.invalid") from exc
    result = selectors.monthly_visit_rate(
        prefix=codes.significant_prefix(code),
        month=month,
        group=group if group in Group.values else "",
    )
    return {
        "region": code,
        "period": month.strftime("%Y-%m"),
        "group": group,
        "numerator": result.numerator,
        "denominator": result.denominator,
        "value": result.value,
    }


class OverviewOut(Schema):
    code: str
    name: str
    enrolled: int
    pending: int
    overdue: int
    rate_numerator: int
    rate_denominator: int


@router.get("/visits/overview", response=list[OverviewOut], summary="各社区探访情况（督导）")
def overview(request: HttpRequest, region: str = "") -> list[dict[str, Any]]:
    if not request.user.has_perm("visits.view_overview"):
        raise PermissionDenied(_("您的角色不能查看探访督导。"), code="visits.forbidden")
    rows = selectors.overview_by_community(user=request.user, prefix=_prefix(region))
    return [
        {
            "code": r.code,
            "name": r.name,
            "enrolled": r.enrolled,
            "pending": r.pending,
            "overdue": r.overdue,
            "rate_numerator": r.rate.numerator,
            "rate_denominator": r.rate.denominator,
        }
        for r in rows
    ]


class OverrideIn(Schema):
    region: str
    frequency: str = "weekly"
    starts_on: date
    ends_on: date
    reason: str = Field(..., max_length=200)


class OverrideOut(Schema):
    id: int
    region: str
    frequency: str
    starts_on: date
    ends_on: date
    reason: str


def _override(o: WeatherOverride) -> dict[str, Any]:
    return {
        "id": o.pk,
        "region": o.region_id,
        "frequency": o.frequency,
        "starts_on": o.starts_on,
        "ends_on": o.ends_on,
        "reason": o.reason,
    }


@router.post("/visits/overrides", response={201: OverrideOut}, summary="设置临时加密探访")
def override_create(request: HttpRequest, payload: OverrideIn) -> Status[dict[str, Any]]:
    obj = services.override_create(
        region_code=payload.region,
        frequency=payload.frequency,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
        actor=request.user,
    )
    return Status(201, _override(obj))


@router.post(
    "/visits/overrides/{override_id}/end", response=OverrideOut, summary="提前结束临时加密探访"
)
def override_end(request: HttpRequest, override_id: int) -> dict[str, Any]:
    return _override(services.override_end(override_id=override_id, actor=request.user))


class RuleIn(Schema):
    region: str
    tag: str
    risk_level: str
    severe_only: bool = False
    active: bool = True


class RuleOut(Schema):
    region: str
    tag: str
    risk_level: str
    severe_only: bool
    active: bool


@router.post("/visits/plan/rules", response=RuleOut, summary="设置纳入规则")
def rule_set(request: HttpRequest, payload: RuleIn) -> dict[str, Any]:
    rule = services.plan_rule_set(
        region_code=payload.region,
        tag=payload.tag,
        risk_level=payload.risk_level,
        severe_only=payload.severe_only,
        active=payload.active,
        actor=request.user,
    )
    return {
        "region": rule.region_id,
        "tag": rule.tag,
        "risk_level": rule.risk_level,
        "severe_only": rule.severe_only,
        "active": rule.active,
    }


class FrequencyIn(Schema):
    region: str
    risk_level: str
    frequency: str


@router.post("/visits/plan/frequencies", response=FrequencyIn, summary="设置探访频次")
def frequency_set(request: HttpRequest, payload: FrequencyIn) -> dict[str, Any]:
    policy = services.plan_frequency_set(
        region_code=payload.region,
        risk_level=payload.risk_level,
        frequency=payload.frequency,
        actor=request.user,
    )
    return {
        "region": policy.region_id,
        "risk_level": policy.risk_level,
        "frequency": policy.frequency,
    }
