"""Service menu (项目“菜单”、自主“点单”、服务“评单”): offerings by social organisations,
volunteer teams and social work stations; residents order them, the provider confirms,
schedules and delivers, the resident rates. Writes go through `wushe.menu.services`, reads
through `selectors`; who may do what is `rules.py`."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.idempotency import IdempotencyFields, idempotency_constraint
from wushe.core.models import RegionBound, county_code_check
from wushe.taxonomy.models import Vocabulary


class ProviderKind(models.TextChoices):
    ORGANIZATION = "organization", _("社会组织")
    TEAM = "team", _("志愿服务队")
    STATION = "station", _("社工站")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("全体居民")
    TAGGED = "tagged", _("特定困难群体")


class Period(models.TextChoices):
    DAY = "day", _("每天")
    WEEK = "week", _("每周")
    MONTH = "month", _("每月")
    TOTAL = "total", _("总计（一次性活动）")


def period_start(period: str, day: date) -> date:
    """The first day of the capacity period that contains `day`."""
    if period == Period.DAY:
        return day
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    return date(2000, 1, 1)  # TOTAL: one period for the whole life of the offering


class ServiceOffering(RegionBound):
    """One service on the menu of a region (a county, township or community): the menu of a
    community is the active offerings of the community, its township and its county.

    Invariants:
    - exactly one provider: `organization`, `team` or `station` as `provider_kind` says
      (CHECK); a station is a social work station (社工站).
    - `category` is a service_category term.
    - `audience` TAGGED comes with at least one vulnerable-group tag in `eligible_tags`
      (services check); a resident may order when they carry one of them currently.
    - `price_fen` is what the resident pays per order (0 = free); `subsidy_fen` what the
      public purse pays on top; both integer fen, never negative (CHECK).
    - `capacity` ≥ 1 places per `period`: the orders of a period that are not cancelled or
      declined never exceed it (services.order_create counts under the offering's row lock).
    - `active` is changed by services only; inactive offerings take no new orders."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("服务区域"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # offering_region_active serves lookups by region
    )
    provider_kind = models.CharField(
        _("服务提供方类型"), max_length=12, choices=ProviderKind.choices
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("社会组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        "volunteers.VolunteerTeam",
        verbose_name=_("志愿服务队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    station = models.ForeignKey(
        "stations.ServiceStation",
        verbose_name=_("社工站"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("服务类别"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SERVICE_CATEGORY},
    )
    title = models.CharField(_("服务名称"), max_length=100)
    description = models.TextField(_("服务内容"), blank=True, default="")
    audience = models.CharField(
        _("服务对象"), max_length=10, choices=Audience.choices, default=Audience.EVERYONE
    )
    eligible_tags = models.JSONField(_("限定困难群体"), default=list, blank=True)
    price_fen = models.PositiveIntegerField(_("居民支付（分）"), default=0)
    subsidy_fen = models.PositiveIntegerField(_("财政补贴（分）"), default=0)
    capacity = models.PositiveIntegerField(_("名额"), default=10)
    period = models.CharField(
        _("名额周期"), max_length=6, choices=Period.choices, default=Period.WEEK
    )
    schedule = models.CharField(_("服务时间"), max_length=200, blank=True, default="")
    location = models.CharField(_("服务地点"), max_length=200, blank=True, default="")
    available_from = models.DateField(_("开始日期"), null=True, blank=True)
    available_until = models.DateField(_("结束日期"), null=True, blank=True)
    active = models.BooleanField(_("上架中"), default=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("菜单服务")
        verbose_name_plural = _("菜单服务")
        ordering = ["region_id", "category_id", "title", "id"]
        indexes = [
            models.Index(fields=["region", "active"], name="offering_region_active"),
        ]
        constraints = [
            county_code_check(),
            models.CheckConstraint(
                condition=(
                    Q(
                        provider_kind=ProviderKind.ORGANIZATION,
                        organization__isnull=False,
                        team__isnull=True,
                        station__isnull=True,
                    )
                    | Q(
                        provider_kind=ProviderKind.TEAM,
                        organization__isnull=True,
                        team__isnull=False,
                        station__isnull=True,
                    )
                    | Q(
                        provider_kind=ProviderKind.STATION,
                        organization__isnull=True,
                        team__isnull=True,
                        station__isnull=False,
                    )
                ),
                name="offering_one_provider",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="offering_capacity"),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True)
                | Q(available_from__isnull=True)
                | Q(available_until__gte=models.F("available_from")),
                name="offering_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def provider(self) -> models.Model | None:
        return self.organization or self.team or self.station

    @property
    def provider_name(self) -> str:
        provider = self.provider
        return str(provider) if provider is not None else ""

    @property
    def is_free(self) -> bool:
        return self.price_fen == 0

    @property
    def price_yuan(self) -> str:
        return f"{self.price_fen // 100}.{self.price_fen % 100:02d}"

    @property
    def subsidy_yuan(self) -> str:
        return f"{self.subsidy_fen // 100}.{self.subsidy_fen % 100:02d}"


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    SCHEDULED = "scheduled", _("已排期")
    DELIVERED = "delivered", _("已服务待评价")
    RATED = "rated", _("已评价")
    CANCELLED = "cancelled", _("已取消")
    DECLINED = "declined", _("已婉拒")


# Orders that hold a place of the offering's capacity.
HOLDING_STATUSES = frozenset(
    {
        OrderStatus.PLACED,
        OrderStatus.CONFIRMED,
        OrderStatus.SCHEDULED,
        OrderStatus.DELIVERED,
        OrderStatus.RATED,
    }
)
OPEN_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.SCHEDULED})


class OrderAction(models.TextChoices):
    """The transitions of an order (services.order_<action>)."""

    CONFIRM = "confirm", _("确认接单")
    DECLINE = "decline", _("婉拒")
    SCHEDULE = "schedule", _("安排服务时间")
    DELIVER = "deliver", _("确认服务完成")
    RATE = "rate", _("评价")
    CANCEL = "cancel", _("取消点单")


# THE transition table: action → {from status: to status}. Only the services assign
# `ServiceOrder.status`. Scheduling again moves the appointment (scheduled → scheduled).
TRANSITIONS: dict[str, dict[str, str]] = {
    OrderAction.CONFIRM: {OrderStatus.PLACED: OrderStatus.CONFIRMED},
    OrderAction.DECLINE: {OrderStatus.PLACED: OrderStatus.DECLINED},
    OrderAction.SCHEDULE: {
        OrderStatus.CONFIRMED: OrderStatus.SCHEDULED,
        OrderStatus.SCHEDULED: OrderStatus.SCHEDULED,
    },
    OrderAction.DELIVER: {
        OrderStatus.CONFIRMED: OrderStatus.DELIVERED,
        OrderStatus.SCHEDULED: OrderStatus.DELIVERED,
    },
    OrderAction.RATE: {OrderStatus.DELIVERED: OrderStatus.RATED},
    OrderAction.CANCEL: {
        OrderStatus.PLACED: OrderStatus.CANCELLED,
        OrderStatus.CONFIRMED: OrderStatus.CANCELLED,
        OrderStatus.SCHEDULED: OrderStatus.CANCELLED,
    },
}

# The status each action leads to: an order already there has had the action done, so
# repeating it is a no-op (a retried request), not an error.
ACTION_RESULT: dict[str, str] = {
    action: next(iter(set(moves.values()))) for action, moves in TRANSITIONS.items()
}


def transition_target(action: str, status: str) -> str | None:
    return TRANSITIONS[action].get(status)


class ServiceOrder(RegionBound, IdempotencyFields):
    """A resident's order of a menu service (点单), through delivery to the rating (评单).

    Invariants:
    - `region` is the resident's community; the offering is on that community's menu.
    - `period_start` is the first day of the offering's capacity period containing
      `service_date`; orders in HOLDING_STATUSES of one (offering, period_start) never exceed
      the offering's capacity (checked under the offering's row lock).
    - `price_fen`/`subsidy_fen` are the offering's at ordering time (a later price change
      does not alter orders already placed).
    - `status` changes only through the services, each through TRANSITIONS.
    - `rating` is 1–5 and set only on a rated order (CHECK)."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # order_region_status serves lookups by region
    )
    offering = models.ForeignKey(
        ServiceOffering, verbose_name=_("服务"), on_delete=models.PROTECT, related_name="orders"
    )
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("居民"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下单人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    on_behalf = models.BooleanField(_("代居民点单"), default=False, editable=False)
    service_date = models.DateField(_("希望服务日期"))
    period_start = models.DateField(_("名额周期起始"), editable=False)
    note = models.CharField(_("备注"), max_length=500, blank=True, default="")
    price_fen = models.PositiveIntegerField(_("居民支付（分）"), default=0, editable=False)
    subsidy_fen = models.PositiveIntegerField(_("财政补贴（分）"), default=0, editable=False)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=OrderStatus.choices,
        default=OrderStatus.PLACED,
        editable=False,
    )
    status_reason = models.CharField(_("原因说明"), max_length=500, blank=True, default="")
    placed_at = models.DateTimeField(_("点单时间"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, editable=False)
    scheduled_for = models.DateTimeField(_("服务时间"), null=True, editable=False)
    delivered_at = models.DateTimeField(_("完成时间"), null=True, editable=False)
    delivery_note = models.CharField(_("服务记录"), max_length=500, blank=True, default="")
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, editable=False)
    rating = models.PositiveSmallIntegerField(_("满意度评分"), null=True, editable=False)
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True, default="")
    rated_at = models.DateTimeField(_("评价时间"), null=True, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("点单")
        verbose_name_plural = _("点单")
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["region", "status", "placed_at"], name="order_region_status"),
            models.Index(fields=["offering", "period_start", "status"], name="order_capacity"),
            models.Index(fields=["resident", "placed_at"], name="order_resident"),
        ]
        constraints = [
            county_code_check(),
            idempotency_constraint("ordered_by"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(rating__gte=1, rating__lte=5, status=OrderStatus.RATED),
                name="order_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offering_id}/{self.pk}"

    @property
    def rating_stars(self) -> str:
        return "★" * (self.rating or 0)
