"""Indicators of 民呼我为 requests (wushe.indicators.registry)."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Period, register

from .models import Request

TOPIC = _("民呼我为")
SATISFIED_FROM = 4  # 4 or 5 stars count as satisfied


def _accepted(period: Period) -> QuerySet[Request]:
    return Request.objects.filter(accepted_at__gte=period.start, accepted_at__lt=period.end)


def _accepted_on_time(period: Period) -> QuerySet[Request]:
    return _accepted(period).filter(accepted_at__lte=F("accept_due_at"))


def _resolved(period: Period) -> QuerySet[Request]:
    return Request.objects.filter(resolved_at__gte=period.start, resolved_at__lt=period.end)


def _resolved_on_time(period: Period) -> QuerySet[Request]:
    return _resolved(period).filter(resolved_on_time=True)


def _rated(period: Period) -> QuerySet[Request]:
    return Request.objects.filter(
        rated_at__gte=period.start, rated_at__lt=period.end, rating__isnull=False
    )


def _satisfied(period: Period) -> QuerySet[Request]:
    return _rated(period).filter(rating__gte=SATISFIED_FROM)


register(
    Indicator(
        code="requests.accepted_on_time",
        name=_("诉求按时受理率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(_accepted_on_time, month_field="accepted_at"),
        denominator=Measure(_accepted, month_field="accepted_at"),
        definition=_("统计期内在受理时限内受理的诉求数 ÷ 统计期内受理的诉求数 × 100%"),
        source=_("浙江省“民呼我为”统一平台"),
        topic=TOPIC,
        order=500,
        numerator_label=_("按时受理"),
        denominator_label=_("受理"),
    )
)
register(
    Indicator(
        code="requests.resolved_on_time",
        name=_("诉求按时办结率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(_resolved_on_time, month_field="resolved_at"),
        denominator=Measure(_resolved, month_field="resolved_at"),
        definition=_("统计期内在办结时限内办结的诉求数 ÷ 统计期内办结的诉求数 × 100%"),
        source=_("浙江省“民呼我为”统一平台"),
        topic=TOPIC,
        order=501,
        numerator_label=_("按时办结"),
        denominator_label=_("办结"),
    )
)
register(
    Indicator(
        code="requests.satisfaction",
        name=_("居民满意率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(_satisfied, month_field="rated_at"),
        denominator=Measure(_rated, month_field="rated_at"),
        definition=_("统计期内评价为 4–5 星的诉求数 ÷ 统计期内有评价的诉求数 × 100%"),
        source=_("浙江省“民呼我为”统一平台"),
        topic=TOPIC,
        order=502,
        numerator_label=_("满意"),
        denominator_label=_("评价"),
    )
)
