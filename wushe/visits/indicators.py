"""Indicators of visiting care (wushe.indicators.registry): the monthly visit rate, overall
and for the two groups Zhejiang 专栏3 sets a 100% target for.

Definition (the same as `selectors.monthly_visit_rate`, one implementation: `rate_rows`):
per month, enrolled people due in the month (on the list the whole month; quarterly ones only in
the quarter's last month) and, of them, those visited as often as required (weekly ≥ 4 visits
in the month, monthly ≥ 1, quarterly ≥ 1 in the quarter), counted on Shanghai days. For a
quarter or a year both counts are summed over its months that are already over
(person-months), so the value is the monthly visit rate over the period so far; the current
month on its own shows its progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Direction, Indicator, Measure, Period, register

from . import periods
from .models import Group
from .selectors import rate_rows

TOPIC = _("探访关爱")
SOURCE = _("《浙江省城乡现代社区服务体系建设“十四五”规划》专栏3")


def counted_months(period: Period, today: date) -> list[date]:
    """First days of the months a period's figure counts: a month from its first day (the
    current month shows its progress); in a quarter or a year only the months already over,
    so that December does not count as missed in November and a half-done month does not pull
    the year down."""
    firsts = [m.first_day for m in period.months()]
    if len(firsts) == 1:
        return firsts if firsts[0] <= today else []
    return [first for first in firsts if periods.month_end(first) < today]


def _rows(group: str = "") -> Callable[[Period], QuerySet[Any]]:
    def rows(period: Period) -> QuerySet[Any]:
        months = counted_months(period, timezone.localdate())
        if not months:
            # Nothing counts yet: no rows (shown as 无数据, not 0). A false condition rather
            # than .none(), whose SQL cannot be generated for the engine's INSERT … SELECT.
            first = period.months()[0].first_day
            return rate_rows(first, first, group).filter(pk__lt=0)
        return rate_rows(months[0], months[-1], group)

    return rows


def _rate(code: str, name: Any, group: str, order: int, who: Any) -> Indicator:
    return register(
        Indicator(
            code=code,
            name=name,
            unit=_("%"),
            scale=100,
            numerator=Measure(_rows(group), aggregate=Sum("met_months")),
            denominator=Measure(_rows(group), aggregate=Sum("due_months")),
            definition=_(
                "%(who)s中当月按规定频次完成探访的人数 ÷ 当月应探访人数 × 100%%"
                "（每周探访的当月不少于 4 次，每月探访的不少于 1 次，每季度探访的在季末月统计；"
                "按北京时间计日；季度、年度按各月人次合计）"
            )
            % {"who": who},
            source=SOURCE,
            direction=Direction.HIGHER,
            target=100,
            topic=TOPIC,
            order=order,
            numerator_label=_("按频次完成探访（人·月）"),
            denominator_label=_("应探访（人·月）"),
        )
    )


_rate("visits.monthly_rate", _("困难群众月探访率"), "", 600, _("全部探访对象"))
_rate(
    "visits.monthly_rate_elderly",
    _("特殊困难老年人月探访率"),
    Group.ELDERLY,
    601,
    _("独居、空巢、留守、失能、计生特殊家庭老年人"),
)
_rate(
    "visits.monthly_rate_children",
    _("孤儿和困境儿童月探访率"),
    Group.CHILDREN,
    602,
    _("孤儿、困境儿童和留守儿童"),
)
