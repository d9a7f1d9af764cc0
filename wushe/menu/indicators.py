"""Indicators of the service menu (评单): residents' satisfaction with ordered services
(wushe.indicators.registry). Counted at the resident's community by the moment of rating."""

from __future__ import annotations

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Period, register

from .models import OrderStatus, ServiceOrder

TOPIC = _("服务菜单")
SATISFIED_FROM = 4  # 4 or 5 stars count as satisfied, as for requests


def _rated(period: Period) -> QuerySet[ServiceOrder]:
    return ServiceOrder.objects.filter(
        status=OrderStatus.RATED, rated_at__gte=period.start, rated_at__lt=period.end
    )


def _satisfied(period: Period) -> QuerySet[ServiceOrder]:
    return _rated(period).filter(rating__gte=SATISFIED_FROM)


register(
    Indicator(
        code="menu.satisfaction",
        name=_("点单服务满意率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(_satisfied),
        denominator=Measure(_rated),
        definition=_("统计期内评价为 4–5 星的点单数 ÷ 统计期内已评价的点单数 × 100%"),
        source=_("海宁市项目“菜单”、自主“点单”、服务“评单”"),
        topic=TOPIC,
        order=520,
        numerator_label=_("4–5 星"),
        denominator_label=_("已评价"),
    )
)
register(
    Indicator(
        code="menu.average_rating",
        name=_("点单服务平均评分"),
        unit=_("星"),
        numerator=Measure(_rated, aggregate=Sum("rating")),
        denominator=Measure(_rated),
        definition=_("统计期内已评价点单的星级之和 ÷ 已评价的点单数（1–5 星）"),
        source=_("海宁市项目“菜单”、自主“点单”、服务“评单”"),
        target=4,
        topic=TOPIC,
        order=521,
        decimals=2,
        numerator_label=_("星级之和"),
        denominator_label=_("已评价"),
    )
)
