"""Reads of stored indicator values, with targets and status, for pages, API and reports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from wushe.accounts import scoping
from wushe.accounts.roles import WORKER_ROLES
from wushe.core.errors import NotFound, ValidationFailed
from wushe.regions import codes
from wushe.regions.models import Region

from .engine import SNAPSHOT_KEY
from .models import IndicatorTarget, IndicatorValue, RefreshRun
from .periods import Period
from .registry import Direction, Indicator, all_indicators
from .registry import get as get_indicator


class Status(StrEnum):
    MET = "met"
    CLOSE = "close"
    BEHIND = "behind"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"
    ZERO_DENOMINATOR = "zero_denominator"


STATUS_LABELS: dict[str, Any] = {
    Status.MET: _("达标"),
    Status.CLOSE: _("接近"),
    Status.BEHIND: _("落后"),
    Status.NO_TARGET: _("未设目标"),
    Status.NO_DATA: _("无数据"),
    Status.ZERO_DENOMINATOR: _("分母为零"),
}


@dataclass(frozen=True)
class Result:
    indicator: Indicator
    region_code: str
    period: Period
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    target: Decimal | None
    status: Status

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def display(self) -> str:
        """The value as shown: rounded, or why there is none (无数据 / 分母为零)."""
        if self.value is None:
            return self.status_label
        return format_number(self.value, self.indicator.decimals)


def format_number(value: Decimal, decimals: int) -> str:
    quantum = Decimal(1).scaleb(-decimals)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,}"


def compute_value(
    indicator: Indicator, numerator: Decimal | None, denominator: Decimal | None
) -> tuple[Decimal | None, Status | None]:
    """The value from the two counts, or why there is none. Never 0 for missing data."""
    scale = Decimal(str(indicator.scale))
    if numerator is None and denominator is None:
        return None, Status.NO_DATA
    n = numerator or Decimal(0)
    if indicator.denominator is None:
        return n * scale, None
    d = denominator or Decimal(0)
    if d == 0:
        return None, (Status.NO_DATA if n == 0 else Status.ZERO_DENOMINATOR)
    return n / d * scale, None


def status_of(indicator: Indicator, value: Decimal | None, target: Decimal | None) -> Status:
    if value is None:
        return Status.NO_DATA
    if target is None:
        return Status.NO_TARGET
    margin = abs(target) * indicator.close
    if indicator.direction == Direction.HIGHER:
        if value >= target:
            return Status.MET
        return Status.CLOSE if value >= target - margin else Status.BEHIND
    if value <= target:
        return Status.MET
    return Status.CLOSE if value <= target + margin else Status.BEHIND


# ---- regions and scope ---------------------------------------------------------------------


def region_for(user: Any, raw_code: object) -> Region:
    """The region a worker asked for: 4xx when the code is malformed, 404 when it does not
    exist or lies outside the worker's scope."""
    code = codes.normalize(raw_code)
    if not scoping.in_scope(user, code, WORKER_ROLES):
        raise NotFound(
            _("该区划不存在，或不在您的管辖范围内。"), code="indicators.region_not_found"
        )
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(
            _("该区划不存在，或不在您的管辖范围内。"), code="indicators.region_not_found"
        )
    return region


def home_region(user: Any) -> Region | None:
    """The widest region of the user's scope (the dashboard's starting point)."""
    prefixes = scoping.scope_prefixes(user, WORKER_ROLES)
    if not prefixes:
        return None
    prefix = prefixes[0]
    if prefix == scoping.NATIONWIDE:
        return Region.objects.filter(level=Region.Level.PROVINCE).order_by("code").first()
    return Region.objects.filter(code=prefix.ljust(12, "0")).first()


def can_view(user: Any) -> bool:
    return bool(scoping.scope_prefixes(user, WORKER_ROLES))


def children_of(region: Region) -> list[Region]:
    return list(Region.objects.filter(parent=region).order_by("code"))


def ancestors_of(region: Region) -> list[Region]:
    chain = codes.ancestor_codes(region.code)
    found = {r.code: r for r in Region.objects.filter(code__in=chain)}
    return [found[c] for c in chain if c in found]


def parse_period(raw: object) -> Period:
    return Period.parse(raw)


def indicator_or_404(code: str) -> Indicator:
    indicator = get_indicator(code)
    if indicator is None:
        raise NotFound(_("没有这个指标。"), code="indicators.indicator_not_found")
    return indicator


# ---- targets -------------------------------------------------------------------------------


def targets_for(
    region_codes: list[str], year: int, indicator_codes: list[str] | None = None
) -> dict[tuple[str, str], Decimal | None]:
    """Target of each (indicator, region): the deepest target set on the region or one of its
    ancestors for the year, else the registry default."""
    indicators = [
        i for i in all_indicators() if indicator_codes is None or i.code in indicator_codes
    ]
    wanted: set[str] = set()
    for code in region_codes:
        wanted.add(code)
        wanted.update(codes.ancestor_codes(code))
    rows = IndicatorTarget.objects.filter(
        region_id__in=wanted, year=year, indicator__in=[i.code for i in indicators]
    ).values_list("indicator", "region_id", "value")
    set_targets: dict[tuple[str, str], Decimal] = {(i, r): v for i, r, v in rows}
    out: dict[tuple[str, str], Decimal | None] = {}
    for indicator in indicators:
        for code in region_codes:
            chain = [code, *reversed(codes.ancestor_codes(code))]
            found = next(
                (
                    set_targets[(indicator.code, c)]
                    for c in chain
                    if (indicator.code, c) in set_targets
                ),
                None,
            )
            out[(indicator.code, code)] = found if found is not None else indicator.default_target
    return out


# ---- results -------------------------------------------------------------------------------


def _key(indicator: Indicator, period: Period) -> str:
    """Where an indicator's value for a period is stored: under "*" for snapshot indicators."""
    return SNAPSHOT_KEY if indicator.is_snapshot else period.key


def _stored(
    region_codes: list[str], period_keys: list[str], indicator_codes: list[str]
) -> dict[tuple[str, str, str], tuple[Decimal, Decimal]]:
    rows = IndicatorValue.objects.filter(
        region__in=region_codes,
        period__in=[*period_keys, SNAPSHOT_KEY],
        indicator__in=indicator_codes,
    ).values_list("indicator", "region", "period", "numerator", "denominator")
    return {(i, r, p): (Decimal(str(n)), Decimal(str(d))) for i, r, p, n, d in rows}


def results(
    region_codes: list[str], period: Period, indicators: list[Indicator] | None = None
) -> dict[tuple[str, str], Result]:
    """Result of every indicator for every region in one period (two queries)."""
    chosen = indicators if indicators is not None else all_indicators()
    stored = _stored(region_codes, [period.key], [i.code for i in chosen])
    targets = targets_for(region_codes, period.year, [i.code for i in chosen])
    out: dict[tuple[str, str], Result] = {}
    for indicator in chosen:
        for code in region_codes:
            pair = stored.get((indicator.code, code, _key(indicator, period)))
            n, d = pair if pair is not None else (None, None)
            value, why = compute_value(indicator, n, d)
            target = targets[(indicator.code, code)]
            status = why or status_of(indicator, value, target)
            out[(indicator.code, code)] = Result(
                indicator=indicator,
                region_code=code,
                period=period,
                numerator=n,
                denominator=d if indicator.denominator is not None else None,
                value=value,
                target=target,
                status=status,
            )
    return out


def region_results(region: Region, period: Period) -> list[Result]:
    found = results([region.code], period)
    return [found[(i.code, region.code)] for i in all_indicators()]


def breakdown(indicator: Indicator, region: Region, period: Period) -> list[tuple[Region, Result]]:
    """The indicator for each sub-region, in code order."""
    children = children_of(region)
    found = results([c.code for c in children], period, [indicator])
    return [(c, found[(indicator.code, c.code)]) for c in children]


def trend(indicator: Indicator, region: Region, period: Period, length: int = 12) -> list[Result]:
    periods = period.trend(length)
    stored = _stored([region.code], [p.key for p in periods], [indicator.code])
    out: list[Result] = []
    targets = {
        year: targets_for([region.code], year, [indicator.code])[(indicator.code, region.code)]
        for year in {p.year for p in periods}
    }
    for p in periods:
        pair = stored.get((indicator.code, region.code, _key(indicator, p)))
        n, d = pair if pair is not None else (None, None)
        value, why = compute_value(indicator, n, d)
        target = targets[p.year]
        out.append(
            Result(
                indicator,
                region.code,
                p,
                n,
                d,
                value,
                target,
                why or status_of(indicator, value, target),
            )
        )
    return out


def last_refresh() -> RefreshRun | None:
    return RefreshRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


def check_year(year: object) -> int:
    try:
        value = int(str(year))
    except ValueError:
        value = 0
    if not 2000 <= value <= 2100:
        raise ValidationFailed(_("年度无效。"), code="indicators.year_invalid")
    return value
