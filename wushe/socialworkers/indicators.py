"""Indicators of social workers and community workers (wushe.indicators.registry)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from wushe.accounts.models import RoleGrant
from wushe.accounts.roles import Role
from wushe.indicators.registry import Direction, Indicator, Measure, Over, Period, register
from wushe.regions.models import Region
from wushe.residents.models import Household, Resident, ResidentStatus
from wushe.stations.models import ServiceStation, StationKind

from .models import EmploymentStatus, SocialWorker

TOPIC = _("社会工作人才")
ELDERLY_AGE = 60


def _workers(period: Period) -> QuerySet[SocialWorker]:
    return SocialWorker.objects.filter(status=EmploymentStatus.ACTIVE)


def _sw_stations(period: Period) -> QuerySet[ServiceStation]:
    return ServiceStation.objects.filter(active=True, kind=StationKind.SOCIAL_WORK)


def _stations_with_two(period: Period) -> QuerySet[ServiceStation]:
    staffed = (
        SocialWorker.objects.filter(status=EmploymentStatus.ACTIVE, resident_at_station=True)
        .exclude(station=None)
        .order_by()
        .values("station")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .values("station")
    )
    return _sw_stations(period).filter(pk__in=staffed)


def _residents(period: Period) -> QuerySet[Resident]:
    return Resident.objects.filter(status=ResidentStatus.ACTIVE)


def _urban_residents(period: Period) -> QuerySet[Resident]:
    return _residents(period).filter(region__kind=Region.Kind.URBAN)


def _elderly(period: Period) -> QuerySet[Resident]:
    day = period.last_day
    try:
        born_by = day.replace(year=day.year - ELDERLY_AGE)
    except ValueError:  # 29 February
        born_by = dt.date(day.year - ELDERLY_AGE, 2, 28)
    return _residents(period).filter(birth_date__lte=born_by)


def _community_workers(period: Period) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(
        role=Role.COMMUNITY_WORKER,
        revoked_at__isnull=True,
        region__level=Region.Level.COMMUNITY,
    )


def _urban_community_workers(period: Period) -> QuerySet[RoleGrant]:
    return _community_workers(period).filter(region__kind=Region.Kind.URBAN)


def _certified_community_workers(period: Period) -> QuerySet[SocialWorker]:
    return _workers(period).filter(is_community_worker=True)


def _households(period: Period) -> QuerySet[Household]:
    return Household.objects.all()


def _snapshot(rows: Any, **kwargs: Any) -> Measure:
    return Measure(rows, over=Over.SNAPSHOT, **kwargs)


register(
    Indicator(
        code="socialworkers.stations_with_two_resident_workers",
        name=_("驻站社工不少于2名的社工站占比"),
        unit=_("%"),
        scale=100,
        numerator=_snapshot(_stations_with_two),
        denominator=_snapshot(_sw_stations),
        definition=_("在职驻站持证社工不少于 2 名的运营中社工站数 ÷ 运营中社工站数 × 100%"),
        source=_("河北省、河南省“五社联动”文件"),
        target=100,
        topic=TOPIC,
        order=300,
        numerator_label=_("达标社工站"),
        denominator_label=_("社工站"),
    )
)
register(
    Indicator(
        code="socialworkers.per_10k_residents",
        name=_("每万名居民拥有持证社会工作者数"),
        unit=_("人/万人"),
        scale=10000,
        numerator=_snapshot(_workers),
        denominator=_snapshot(_residents),
        definition=_("在职持证社会工作者数 ÷ 在册居民数 × 10000"),
        source=_("《浙江省民政事业发展“十四五”规划》主要指标第19项（17 → 20）"),
        target=20,
        topic=TOPIC,
        order=301,
        numerator_label=_("持证社工"),
        denominator_label=_("在册居民"),
    )
)
register(
    Indicator(
        code="socialworkers.community_worker_certified_share",
        name=_("社区专职工作者持证率"),
        unit=_("%"),
        scale=100,
        numerator=_snapshot(_certified_community_workers),
        denominator=_snapshot(_community_workers),
        definition=_("登记为社区专职工作者的在职持证社工数 ÷ 社区工作者账号数 × 100%"),
        source=_("《浙江省民政事业发展“十四五”规划》主要指标第20项（25% → 30%）；海宁 56.2%"),
        target=30,
        topic=TOPIC,
        order=302,
        numerator_label=_("持证社区工作者"),
        denominator_label=_("社区工作者"),
    )
)
register(
    Indicator(
        code="socialworkers.community_workers_per_10k_urban",
        name=_("每万城镇常住人口拥有社区专职工作者数"),
        unit=_("人/万人"),
        scale=10000,
        numerator=_snapshot(_urban_community_workers),
        denominator=_snapshot(_urban_residents),
        definition=_("城市社区的社区工作者账号数 ÷ 城市社区在册居民数 × 10000"),
        source=_("《浙江省民政事业发展“十四五”规划》主要指标第17项（9.8 → 18）"),
        target=18,
        topic=TOPIC,
        order=303,
        numerator_label=_("城市社区工作者"),
        denominator_label=_("城市社区居民"),
    )
)
register(
    Indicator(
        code="socialworkers.elderly_per_social_worker",
        name=_("每名社工服务老年人数"),
        unit=_("人/名社工"),
        numerator=_snapshot(_elderly),
        denominator=_snapshot(_workers),
        definition=_("60 周岁及以上在册居民数 ÷ 在职持证社会工作者数（越低越好）"),
        source=_("《浙江省民政事业发展“十四五”规划》专栏3（每 500 名老年人配备 1 名社工）"),
        direction=Direction.LOWER,
        target=500,
        topic=TOPIC,
        order=304,
        decimals=0,
        numerator_label=_("老年人"),
        denominator_label=_("持证社工"),
    )
)
register(
    Indicator(
        code="socialworkers.households_per_community_worker",
        name=_("每名社区工作者服务户数"),
        unit=_("户/人"),
        numerator=_snapshot(_households),
        denominator=_snapshot(_community_workers),
        definition=_("户数 ÷ 社区工作者账号数（越低越好）"),
        source=_("海宁市“五社联动”文件（每 300 户配备 1 名社区工作者）"),
        direction=Direction.LOWER,
        target=300,
        topic=TOPIC,
        order=305,
        decimals=0,
        numerator_label=_("户数"),
        denominator_label=_("社区工作者"),
    )
)
