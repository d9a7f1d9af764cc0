"""The indicator registry: the one place indicators are defined and computed.

Each module that owns data adds a file `wushe/<app>/indicators.py` that calls `register(...)` at
import time. The indicators app imports every such file on start-up (autodiscovery in
`IndicatorsConfig.ready()`); nothing else needs wiring.

An indicator is `value = numerator / denominator × scale`, where numerator and denominator are
**additive counts per region**: each `Measure` returns, for one period, a queryset of the rows
that count; the engine (wushe.indicators.engine) filters it to a region code range, groups it by
the row's 12-digit region code and aggregates it *in the database* (`INSERT … SELECT … GROUP BY`,
never a Python loop over rows), then sums the counts up the code hierarchy
(community → township → county → city → province). So a measure must be a count or a sum that
adds up across regions: "communities with a hub organisation", not "has a hub organisation".
Ratios (per community, per 10,000 residents, %) are computed from the two sums at every level.

Example — `wushe/visits/indicators.py`::

    from django.db.models import Count
    from django.utils.translation import gettext_lazy as _

    from wushe.indicators.registry import Direction, Indicator, Measure, Over, Period, register

    from .models import Enrolment, VisitRecord


    def _visited(period: Period):
        # Subjects visited at least once in the period (distinct per subject).
        return VisitRecord.objects.filter(visited_at__gte=period.start, visited_at__lt=period.end)


    def _enrolled(period: Period):
        # Subjects enrolled at the end of the period.
        return Enrolment.objects.filter(enrolled_on__lt=period.end_day).exclude(
            ended_on__lt=period.end_day
        )


    register(
        Indicator(
            code="visits.monthly_rate",
            name=_("特殊困难老人月探访率"),
            unit=_("%"),
            scale=100,
            numerator=Measure(_visited, aggregate=Count("enrolment", distinct=True)),
            denominator=Measure(_enrolled),
            definition=_("统计期内至少探访一次的在册对象数 ÷ 期末在册对象数 × 100%"),
            source=_("《浙江省社会工作和志愿服务发展“十四五”规划》专栏3"),
            direction=Direction.HIGHER,
            target=100,
            topic=_("探访关爱"),
        )
    )

Rules for a Measure:
- `rows(period)` returns a queryset of one model, already filtered to the period (use
  `period.start`/`period.end` for timestamps, `period.first_day`/`period.end_day` for dates;
  half-open, Asia/Shanghai). Do not filter by region, do not aggregate, do not evaluate it.
- `region` is the field path to the row's 12-digit region code (default `"region"`, the
  RegionBound FK; e.g. `"resident__region"`). A join is fine; an index on it helps at scale.
- `aggregate` defaults to `Count("pk")`; use `Count("x", distinct=True)` or `Sum("minutes")`.
  Distinct counts are summed across regions, so a subject must belong to one region.
- `month_field="accepted_at"` (optional) lets the engine compute a whole year in one scan
  grouped by month (Asia/Shanghai) for counts and sums that add up over time (not distinct).
- `over=Over.SNAPSHOT` for registers without history (current state, computed once per refresh
  and shown for every period); `Over.PERIOD` (default) computes the queryset for each period.
- `denominator=None` makes the indicator a plain count (`value = numerator × scale`).
- When the denominator is 0 the value is shown as 分母为零, when neither count has rows as 无数据;
  never as 0.

Targets: `target` is the default for every region and year; civil affairs set targets per region
and year on the settings page (model `IndicatorTarget`); the most specific one applies.
`direction` says whether higher (`Direction.HIGHER`, e.g. a coverage rate) or lower
(`Direction.LOWER`, e.g. elderly per social worker) is better; a value within `close` (default
10 %) of the target on the wrong side is 接近, further away 落后.

The code is stable (it keys stored values and targets): `<app>.<snake_name>`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Aggregate, Count, QuerySet

from .periods import Kind, Period

__all__ = [
    "Direction",
    "Indicator",
    "Kind",
    "Measure",
    "Over",
    "Period",
    "all_indicators",
    "get",
    "register",
]


class Over(StrEnum):
    PERIOD = "period"  # rows(period) is evaluated for every month, quarter and year
    SNAPSHOT = "snapshot"  # current state; evaluated once, the same for every period


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better: the target is a minimum
    LOWER = "lower"  # lower is better: the target is a maximum


@dataclass(frozen=True)
class Measure:
    """One additive count per region for a period (see the module docstring)."""

    rows: Callable[[Period], QuerySet[Any]]
    aggregate: Aggregate | None = None
    region: str = "region"
    over: Over = Over.PERIOD
    # Optional speed-up for flows: the date/timestamp field that places a row in its month.
    # With it (and a non-distinct aggregate) the engine reads a whole year in one grouped scan
    # and sums months into quarters and the year; `rows(year)` must then return the year's rows.
    month_field: str | None = None

    @property
    def by_month(self) -> bool:
        aggregate = self.aggregate_expression()
        return (
            self.month_field is not None
            and self.over == Over.PERIOD
            and not getattr(aggregate, "distinct", False)
        )

    def aggregate_expression(self) -> Aggregate:
        return self.aggregate if self.aggregate is not None else Count("pk")


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Any  # lazy zh-Hans string
    unit: Any  # display unit, e.g. _("%"), _("个/万人")
    numerator: Measure
    denominator: Measure | None = None
    scale: Decimal | int = 1
    definition: Any = ""  # how it is computed, in words
    source: Any = ""  # the document that names the indicator and its target
    direction: Direction = Direction.HIGHER
    target: Decimal | int | str | None = None
    close: Decimal = Decimal("0.1")
    topic: Any = ""
    order: int = 1000
    decimals: int = 1
    numerator_label: Any = ""
    denominator_label: Any = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def default_target(self) -> Decimal | None:
        return None if self.target is None else Decimal(str(self.target))

    @property
    def is_snapshot(self) -> bool:
        """Every part is a snapshot: one stored value (period "*") serves every period."""
        return all(m.over == Over.SNAPSHOT for _part, m in self.measures())

    def measures(self) -> Iterator[tuple[str, Measure]]:
        yield "n", self.numerator
        if self.denominator is not None:
            yield "d", self.denominator


_REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    """Add an indicator. Registering the same code twice replaces it (module reloads)."""
    if "." not in indicator.code or len(indicator.code) > 64:
        raise ValueError(f"indicator code must be '<app>.<name>' (≤ 64 chars): {indicator.code}")
    _REGISTRY[indicator.code] = indicator
    return indicator


def unregister(code: str) -> None:
    """For tests only."""
    _REGISTRY.pop(code, None)


def get(code: str) -> Indicator | None:
    return _REGISTRY.get(code)


def all_indicators() -> list[Indicator]:
    """Every registered indicator, in display order."""
    return sorted(_REGISTRY.values(), key=lambda i: (i.order, i.code))
