"""Demo stations for Haining: a 社工站 and a party-mass service centre in each of the 12
townships, volunteer posts in about 80% of the communities (the indicator target in Hebei),
one county incubation base and the county party-mass service centre. Deterministic for a seed
and idempotent (rows are keyed by region and name; existing ones are left alone)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from wushe.regions import codes
from wushe.regions.models import Region

from .models import ServiceStation, StationKind

HAINING = "330481"
XIASHI = "330481001000"
VOLUNTEER_POST_SHARE = 0.8


def _opened(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days))


def _phone(rng: random.Random) -> str:
    return f"0573-8{rng.randrange(7_000_000, 7_999_999)}"


def demo_stations(ctx: Any) -> None:
    rng = random.Random(f"{ctx.seed}:stations")  # noqa: S311 - demo data
    low, high = codes.scope_range(HAINING)
    regions = list(
        Region.objects.filter(code__gte=low, code__lte=high, level__in=(4, 5))
        .only("code", "short_name", "level")
        .order_by("code")
    )
    townships = [r for r in regions if r.level == 4]
    communities = [r for r in regions if r.level == 5]
    main_org = ctx.organizations.get("main")
    wanted: list[ServiceStation] = []

    def add(kind: str, region: Region, name: str, area: int, opened: date, **extra: Any) -> None:
        station = ServiceStation(
            kind=kind,
            name=name,
            address=f"海宁市{region.short_name}",
            service_area_m2=Decimal(area),
            phone=_phone(rng),
            opened_on=opened,
            **extra,
        )
        station.place(region.code)
        wanted.append(station)

    county = Region(code=f"{HAINING}000000", short_name="海宁市")
    add(
        StationKind.INCUBATOR,
        county,
        "海宁市社会组织孵化基地",
        1200,
        date(2019, 6, 18),
        operator=main_org,
    )
    add(StationKind.PARTY_SERVICE, county, "海宁市党群服务中心", 2600, date(2018, 7, 1))
    for township in townships:
        add(
            StationKind.SOCIAL_WORK,
            township,
            f"{township.short_name}社会工作服务站",
            rng.randrange(80, 320),
            _opened(rng, date(2021, 3, 1), date(2023, 6, 30)),
            operator=main_org if township.code == XIASHI else None,
        )
        add(
            StationKind.PARTY_SERVICE,
            township,
            f"{township.short_name}党群服务中心",
            rng.randrange(300, 1500),
            _opened(rng, date(2018, 1, 1), date(2022, 12, 31)),
        )
    for community in communities:
        # Draw for every community, so the set does not depend on what exists already.
        has_post = rng.random() < VOLUNTEER_POST_SHARE
        area = rng.randrange(20, 90)
        opened = _opened(rng, date(2019, 1, 1), date(2024, 12, 31))
        if has_post:
            add(
                StationKind.VOLUNTEER,
                community,
                f"{community.short_name}志愿服务站点",
                area,
                opened,
            )

    existing = set(
        ServiceStation.objects.filter(county_code=HAINING).values_list("region_id", "name")
    )
    missing = [s for s in wanted if (s.region_id, s.name) not in existing]
    ServiceStation.objects.bulk_create(missing, batch_size=500)
    ctx.data["stations"] = {
        s.region_id: s.pk
        for s in ServiceStation.objects.filter(
            county_code=HAINING, kind=StationKind.SOCIAL_WORK
        ).only("pk", "region_id")
    }
    ctx.log.append(f"stations: {len(missing)} created, {len(wanted) - len(missing)} unchanged")
