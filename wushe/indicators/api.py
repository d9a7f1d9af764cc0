"""HTTP API of indicators, mounted under /api/v1:

- `GET /indicators?region=CODE&period=2026-10` — every indicator for the region;
- `GET /indicators/{code}/breakdown?region=CODE&period=2026-Q4` — one indicator per sub-region.

`period` is a month `YYYY-MM`, a quarter `YYYY-Qn` or a year `YYYY`. A malformed region or
period is a 422 with `indicators.period_invalid` / `region.code_invalid`; a region outside the
caller's scope is a 404. Values are decimal strings; `value` is null when there is no data or
the denominator is zero, and `status` says which."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from wushe.accounts.auth import API_AUTH
from wushe.regions.models import Region

from . import selectors
from .periods import Period

router = Router(tags=["indicators"], auth=API_AUTH)


class Params(Schema):
    region: str
    period: str


class RegionOut(Schema):
    code: str
    name: str
    level: int


class PeriodOut(Schema):
    key: str
    label: str


class ValueOut(Schema):
    value: str | None
    display: str
    numerator: str | None
    denominator: str | None
    target: str | None
    status: str
    status_label: str


class IndicatorOut(ValueOut):
    code: str
    name: str
    unit: str
    direction: str
    topic: str
    source: str
    definition: str


class IndicatorsOut(Schema):
    region: RegionOut
    period: PeriodOut
    indicators: list[IndicatorOut]


class BreakdownRow(ValueOut):
    region: RegionOut


class BreakdownOut(Schema):
    indicator: IndicatorOut
    period: PeriodOut
    regions: list[BreakdownRow]


def _text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.quantize(Decimal("0.000001")).normalize(), "f")


def _value(result: selectors.Result) -> dict[str, Any]:
    return {
        "value": _text(result.value),
        "display": result.display,
        "numerator": _text(result.numerator),
        "denominator": _text(result.denominator),
        "target": _text(result.target),
        "status": str(result.status),
        "status_label": result.status_label,
    }


def _indicator(result: selectors.Result) -> dict[str, Any]:
    i = result.indicator
    return {
        **_value(result),
        "code": i.code,
        "name": str(i.name),
        "unit": str(i.unit),
        "direction": str(i.direction),
        "topic": str(i.topic),
        "source": str(i.source),
        "definition": str(i.definition),
    }


def _region(region: Region) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "level": region.level}


def _period(period: Period) -> dict[str, Any]:
    return {"key": period.key, "label": period.label}


@router.get("/indicators", response=IndicatorsOut)
def list_indicators(request: HttpRequest, params: Query[Params]) -> dict[str, Any]:
    period = selectors.parse_period(params.period)
    region = selectors.region_for(request.user, params.region)
    results = selectors.region_results(region, period)
    return {
        "region": _region(region),
        "period": _period(period),
        "indicators": [_indicator(r) for r in results],
    }


@router.get("/indicators/{code}/breakdown", response=BreakdownOut)
def breakdown(request: HttpRequest, code: str, params: Query[Params]) -> dict[str, Any]:
    period = selectors.parse_period(params.period)
    region = selectors.region_for(request.user, params.region)
    indicator = selectors.indicator_or_404(code)
    own = selectors.results([region.code], period, [indicator])[(indicator.code, region.code)]
    rows = selectors.breakdown(indicator, region, period)
    return {
        "indicator": _indicator(own),
        "period": _period(period),
        "regions": [{**_value(r), "region": _region(child)} for child, r in rows],
    }
