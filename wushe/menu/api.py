"""HTTP API of the service menu (菜单) and orders (点单 → 评单), mounted under /api/v1.
Order state changes are explicit endpoints (`POST /orders/{id}/confirm` …); nothing PATCHes a
status."""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.bounds import CAPACITY_MAX, PRICE_FEN_MAX
from wushe.core.idempotency import HEADER, key_from_header
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import rules, selectors, services
from .models import ServiceOffering, ServiceOrder

router = Router(tags=["menu"], auth=API_AUTH)


class Ref(Schema):
    code: str
    name: str


class ProviderOut(Schema):
    kind: str
    id: int
    name: str


class OfferingOut(Schema):
    id: int
    title: str
    description: str
    category: Ref
    region: Ref
    provider: ProviderOut
    audience: str
    eligible_tags: list[str]
    price_fen: int
    subsidy_fen: int
    capacity: int
    period: str
    schedule: str
    location: str
    available_from: date | None
    available_until: date | None
    active: bool
    places_left: int | None = Field(None, description="当前周期剩余名额（仅菜单查询时给出）")

    @staticmethod
    def resolve_category(obj: ServiceOffering) -> dict[str, str]:
        return {"code": obj.category.code, "name": obj.category.label}

    @staticmethod
    def resolve_region(obj: ServiceOffering) -> dict[str, str]:
        return {"code": obj.region_id, "name": obj.region.name}

    @staticmethod
    def resolve_provider(obj: ServiceOffering) -> dict[str, Any]:
        provider = obj.provider
        return {
            "kind": obj.provider_kind,
            "id": getattr(provider, "pk", 0),
            "name": obj.provider_name,
        }

    @staticmethod
    def resolve_places_left(obj: ServiceOffering) -> int | None:
        taken = getattr(obj, "taken", None)
        return None if taken is None else max(obj.capacity - taken, 0)


class OfferingQuery(Schema):
    community: str = Field(
        "", description="社区（村）区划代码：给出时返回该社区的服务菜单（含乡镇、区县的服务）"
    )
    category: str = Field("", description="服务类别代码（service_category）")
    managed: bool = Field(False, description="只列出本人可管理的服务")


@router.get("/services", response=list[OfferingOut], summary="服务菜单")
@paginate(CappedLimitOffsetPagination)
def list_offerings(request: HttpRequest, filters: Query[OfferingQuery]) -> QuerySet[Any]:
    user = request.user
    if filters.community:
        community = codes.normalize(filters.community)
        visible = selectors.offerings_visible(user=user).values("pk")
        return selectors.community_menu(
            community=community, on=timezone.localdate(), category=filters.category
        ).filter(pk__in=visible)
    qs = (
        selectors.offerings_managed(user=user)
        if filters.managed
        else selectors.offerings_visible(user=user)
    )
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    return selectors.with_places(qs, timezone.localdate())


@router.get("/services/{offering_id}", response=OfferingOut, summary="服务详情")
def get_offering(request: HttpRequest, offering_id: int) -> Any:
    offering = selectors.offering_get(user=request.user, offering_id=offering_id)
    return (
        selectors.with_places(ServiceOffering.objects.filter(pk=offering.pk), timezone.localdate())
        .select_related("region", "category", "organization", "team", "station")
        .get()
    )


class OfferingIn(Schema):
    category: str = Field(..., description="服务类别代码（service_category）")
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    audience: str = Field("everyone", description="everyone 全体居民 / tagged 特定困难群体")
    eligible_tags: list[str] = Field(default_factory=list, description="困难群体标签代码")
    price_fen: int = Field(0, ge=0, le=PRICE_FEN_MAX, description="居民支付（分），0 为免费")
    subsidy_fen: int = Field(0, ge=0, le=PRICE_FEN_MAX, description="财政补贴（分）")
    capacity: int = Field(10, ge=1, le=CAPACITY_MAX, description="每周期名额")
    period: str = Field("week", description="day / week / month / total")
    schedule: str = Field("", max_length=200)
    location: str = Field("", max_length=200)
    available_from: date | None = None
    available_until: date | None = None

    def spec(self) -> services.OfferingSpec:
        return services.OfferingSpec(
            category=self.category,
            title=self.title,
            description=self.description,
            audience=self.audience,
            eligible_tags=list(self.eligible_tags),
            price_fen=self.price_fen,
            subsidy_fen=self.subsidy_fen,
            capacity=self.capacity,
            period=self.period,
            schedule=self.schedule,
            location=self.location,
            available_from=self.available_from,
            available_until=self.available_until,
        )


class OfferingCreateIn(OfferingIn):
    region: str = Field(..., description="服务区域（区县、乡镇或社区）区划代码")
    provider_kind: str = Field(..., description="organization / team / station")
    provider_id: int


def _offering_out(request: HttpRequest, offering_id: int) -> Any:
    return get_offering(request, offering_id)


@router.post("/services", response={201: OfferingOut}, summary="上架服务")
def create_offering(request: HttpRequest, payload: OfferingCreateIn) -> Status[Any]:
    offering = services.offering_create(
        actor=request.user,
        region_code=payload.region,
        provider_kind=payload.provider_kind,
        provider_id=payload.provider_id,
        spec=payload.spec(),
    )
    return Status(201, _offering_out(request, offering.pk))


@router.put("/services/{offering_id}", response=OfferingOut, summary="修改服务")
def update_offering(request: HttpRequest, offering_id: int, payload: OfferingIn) -> Any:
    services.offering_update(offering_id=offering_id, actor=request.user, spec=payload.spec())
    return _offering_out(request, offering_id)


@router.post("/services/{offering_id}/pause", response=OfferingOut, summary="下架（暂停点单）")
def pause_offering(request: HttpRequest, offering_id: int) -> Any:
    services.offering_pause(offering_id=offering_id, actor=request.user)
    return _offering_out(request, offering_id)


@router.post("/services/{offering_id}/resume", response=OfferingOut, summary="重新上架")
def resume_offering(request: HttpRequest, offering_id: int) -> Any:
    services.offering_resume(offering_id=offering_id, actor=request.user)
    return _offering_out(request, offering_id)


# --- orders ----------------------------------------------------------------------------------


class OrderOut(Schema):
    id: int
    offering: dict[str, Any]
    region: Ref
    resident: dict[str, Any]
    on_behalf: bool
    service_date: date
    note: str
    price_fen: int
    subsidy_fen: int
    status: str
    status_label: str
    status_reason: str
    placed_at: datetime
    confirmed_at: datetime | None
    scheduled_for: datetime | None
    delivered_at: datetime | None
    delivery_note: str
    cancelled_at: datetime | None
    rating: int | None
    rating_comment: str
    rated_at: datetime | None

    @staticmethod
    def resolve_offering(obj: ServiceOrder) -> dict[str, Any]:
        o = obj.offering
        return {"id": o.pk, "title": o.title, "provider": o.provider_name}

    @staticmethod
    def resolve_region(obj: ServiceOrder) -> dict[str, str]:
        return {"code": obj.region_id, "name": obj.region.name}

    @staticmethod
    def resolve_resident(obj: ServiceOrder) -> dict[str, Any]:
        return {"id": obj.resident_id, "name": obj.resident.name}

    @staticmethod
    def resolve_status_label(obj: ServiceOrder) -> str:
        return str(obj.get_status_display())


class OrderDetail(OrderOut):
    actions: list[str]


def _detail(request: HttpRequest, order_id: int) -> ServiceOrder:
    """The order as the caller sees it, with `actions`: what the caller may do next."""
    order = selectors.order_get(user=request.user, order_id=order_id)
    order.actions = rules.available_actions(request.user, order)  # type: ignore[attr-defined]
    return order


class OrderQuery(Schema):
    status: str = Field("", description="状态（placed、confirmed …）或 open（未完成）")
    offering: int | None = None
    community: str = Field("", description="区划代码（社区或乡镇，含下级）")
    mine: bool = Field(False, description="只列出本人（作为居民或下单人）的点单")


@router.get("/orders", response=list[OrderOut], summary="点单列表")
@paginate(CappedLimitOffsetPagination)
def list_orders(request: HttpRequest, filters: Query[OrderQuery]) -> QuerySet[ServiceOrder]:
    community = ""
    if filters.community:
        community = codes.significant_prefix(codes.normalize(filters.community))
    return selectors.order_search(
        user=request.user,
        filters=selectors.OrderFilter(
            status=filters.status,
            offering=filters.offering,
            community=community,
            mine=filters.mine,
        ),
    )


class OrderIn(Schema):
    offering: int
    service_date: date
    resident_id: int | None = Field(None, description="代居民点单时的居民档案 id")
    note: str = Field("", max_length=500)


@router.post(
    "/orders",
    response={200: OrderDetail, 201: OrderDetail},
    summary="点单",
    description=(
        f"带 `{HEADER}` 请求头重试时返回同一张点单（200），不会重复占用名额；"
        "名额已满返回 409 `menu.order.capacity_full`；限定困难群体的服务不符合条件时返回 "
        "403 `menu.order.not_eligible`。"
    ),
)
def create_order(request: HttpRequest, payload: OrderIn) -> Status[ServiceOrder]:
    key = key_from_header(request.headers.get(HEADER))
    order, created = services.order_create(
        actor=request.user,
        offering_id=payload.offering,
        service_date=payload.service_date,
        resident_id=payload.resident_id,
        note=payload.note,
        idempotency_key=key,
    )
    return Status(201 if created else 200, _detail(request, order.pk))


class SatisfactionOut(Schema):
    rated: int
    average: float | None
    good: int
    good_share: float | None


@router.get(
    "/orders/satisfaction",
    response=SatisfactionOut,
    summary="评单满意度（可见点单范围内）",
)
def order_satisfaction(request: HttpRequest, offering: int | None = None) -> dict[str, Any]:
    qs = selectors.orders_visible(user=request.user)
    if offering:
        qs = qs.filter(offering_id=offering)
    s = selectors.satisfaction(qs)
    return {"rated": s.rated, "average": s.average, "good": s.good, "good_share": s.good_share}


@router.get("/orders/{order_id}", response=OrderDetail, summary="点单详情")
def get_order(request: HttpRequest, order_id: int) -> ServiceOrder:
    return _detail(request, order_id)


class ReasonIn(Schema):
    reason: str = Field("", max_length=500)


class ScheduleIn(Schema):
    scheduled_for: datetime


class DeliverIn(Schema):
    note: str = Field("", max_length=500)


class RatingIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


@router.post("/orders/{order_id}/confirm", response=OrderDetail, summary="服务方确认接单")
def confirm(request: HttpRequest, order_id: int) -> ServiceOrder:
    services.order_confirm(order_id=order_id, actor=request.user)
    return _detail(request, order_id)


@router.post("/orders/{order_id}/decline", response=OrderDetail, summary="服务方婉拒")
def decline(request: HttpRequest, order_id: int, payload: ReasonIn) -> ServiceOrder:
    services.order_decline(order_id=order_id, actor=request.user, reason=payload.reason)
    return _detail(request, order_id)


@router.post("/orders/{order_id}/schedule", response=OrderDetail, summary="安排服务时间")
def schedule(request: HttpRequest, order_id: int, payload: ScheduleIn) -> ServiceOrder:
    services.order_schedule(order_id=order_id, actor=request.user, when=payload.scheduled_for)
    return _detail(request, order_id)


@router.post("/orders/{order_id}/deliver", response=OrderDetail, summary="确认服务完成")
def deliver(request: HttpRequest, order_id: int, payload: DeliverIn | None = None) -> Any:
    services.order_deliver(
        order_id=order_id, actor=request.user, note=payload.note if payload else ""
    )
    return _detail(request, order_id)


@router.post("/orders/{order_id}/rate", response=OrderDetail, summary="居民评价（评单）")
def rate(request: HttpRequest, order_id: int, payload: RatingIn) -> ServiceOrder:
    services.order_rate(
        order_id=order_id, actor=request.user, rating=payload.rating, comment=payload.comment
    )
    return _detail(request, order_id)


@router.post("/orders/{order_id}/cancel", response=OrderDetail, summary="取消点单")
def cancel(request: HttpRequest, order_id: int, payload: ReasonIn | None = None) -> Any:
    services.order_cancel(
        order_id=order_id, actor=request.user, reason=payload.reason if payload else ""
    )
    return _detail(request, order_id)
