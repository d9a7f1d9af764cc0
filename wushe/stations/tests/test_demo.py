"""The stations demo step: deterministic for a seed, idempotent, plausible proportions."""

from __future__ import annotations

import random

import pytest

from wushe.demo.services import DemoContext
from wushe.stations.demo import demo_stations
from wushe.stations.models import ServiceStation, StationKind

pytestmark = pytest.mark.django_db


def _run(seed: int) -> list[str]:
    ctx = DemoContext(seed=seed, scale=1.0, rng=random.Random(seed), password="x")
    demo_stations(ctx)
    return ctx.log


def test_stations_step_is_idempotent_and_covers_haining(regions):
    _run(3)
    first = sorted(ServiceStation.objects.values_list("region_id", "name", "kind", "phone"))
    assert _run(3) == [f"stations: 0 created, {len(first)} unchanged"]
    assert sorted(ServiceStation.objects.values_list("region_id", "name", "kind", "phone")) == first
    kinds = {kind: sum(1 for row in first if row[2] == kind) for kind in StationKind.values}
    assert kinds[StationKind.SOCIAL_WORK] == 12 and kinds[StationKind.INCUBATOR] == 1
    assert kinds[StationKind.PARTY_SERVICE] == 13
    assert 165 <= kinds[StationKind.VOLUNTEER] <= 215  # about 80% of 236 communities
    assert all(s.active and s.service_area_m2 for s in ServiceStation.objects.all())
