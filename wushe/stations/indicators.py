"""Indicators of service stations (registered with wushe.indicators.registry)."""

from __future__ import annotations

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Over, Period, register
from wushe.regions.models import Region
from wushe.residents.models import Household

from .models import ServiceStation, StationKind

TOPIC = _("阵地建设")


def _active(period: Period) -> QuerySet[ServiceStation]:
    return ServiceStation.objects.filter(active=True)


def _social_work_stations(period: Period) -> QuerySet[ServiceStation]:
    return _active(period).filter(kind=StationKind.SOCIAL_WORK)


def _volunteer_posts(period: Period) -> QuerySet[ServiceStation]:
    return _active(period).filter(kind=StationKind.VOLUNTEER)


def _community_facilities(period: Period) -> QuerySet[ServiceStation]:
    return _active(period).filter(region__level=Region.Level.COMMUNITY)


def _townships(period: Period) -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.TOWNSHIP)


def _communities(period: Period) -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.COMMUNITY)


def _households(period: Period) -> QuerySet[Household]:
    return Household.objects.all()


register(
    Indicator(
        code="stations.township_social_work_station_coverage",
        name=_("乡镇（街道）社工站覆盖率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(
            _social_work_stations, aggregate=Count("region", distinct=True), over=Over.SNAPSHOT
        ),
        denominator=Measure(_townships, region="code", over=Over.SNAPSHOT),
        definition=_("建有运营中社工站的乡镇（街道）数 ÷ 乡镇（街道）数 × 100%"),
        source=_("河北省、河南省“五社联动”文件"),
        target=100,
        topic=TOPIC,
        order=200,
        numerator_label=_("建站乡镇（街道）"),
        denominator_label=_("乡镇（街道）"),
    )
)
register(
    Indicator(
        code="stations.volunteer_post_coverage",
        name=_("社区志愿服务站点覆盖率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(
            _volunteer_posts, aggregate=Count("region", distinct=True), over=Over.SNAPSHOT
        ),
        denominator=Measure(_communities, region="code", over=Over.SNAPSHOT),
        definition=_("设有运营中志愿服务站点的社区数 ÷ 社区数 × 100%"),
        source=_("河北省（80%）、浙江省（2025年 100%）"),
        target=80,
        topic=TOPIC,
        order=201,
        numerator_label=_("设站社区"),
        denominator_label=_("社区"),
    )
)
register(
    Indicator(
        code="stations.service_space_per_100_households",
        name=_("每百户居民拥有社区服务设施面积"),
        unit=_("平方米/百户"),
        scale=100,
        numerator=Measure(
            _community_facilities, aggregate=Sum("service_area_m2"), over=Over.SNAPSHOT
        ),
        denominator=Measure(_households, over=Over.SNAPSHOT),
        definition=_("社区一级运营中服务站点的服务面积之和 ÷ 户数 × 100"),
        source=_("《浙江省民政事业发展“十四五”规划》主要指标第14项；海宁市 50 平方米"),
        target=30,
        topic=TOPIC,
        order=202,
        numerator_label=_("服务面积（平方米）"),
        denominator_label=_("户数"),
    )
)
