"""Demo step: Haining's own target for service space (50 m² per 100 households, Haining seed)
and, once the whole demo has committed, every indicator computed for last year and this year
so the dashboards open with figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import engine
from .models import IndicatorTarget, RefreshRun

HAINING = "330481000000"
DEMO_TARGETS = [
    ("stations.service_space_per_100_households", HAINING, Decimal(50), "海宁市“五社联动”文件"),
]


def demo_indicators(ctx: Any) -> None:
    year = timezone.localdate().year
    for code, region, value, note in DEMO_TARGETS:
        for y in (year - 1, year):
            IndicatorTarget.objects.get_or_create(
                indicator=code, region_id=region, year=y, defaults={"value": value, "note": note}
            )

    def compute() -> None:
        engine.compute(years=[year - 1, year], kind=RefreshRun.Kind.REBUILD)

    # After the demo's transaction commits, so that every module's records are counted.
    transaction.on_commit(compute)
    ctx.log.append("indicators: computed for every region after the demo commits")
