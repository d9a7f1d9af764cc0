"""Indicators of social organisations (registered with wushe.indicators.registry)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Over, Period, register
from wushe.regions.models import Region

from .models import LegalStatus, Organization, OrgKind

TOPIC = _("社会组织")


def _living() -> QuerySet[Organization]:
    return Organization.objects.exclude(legal_status=LegalStatus.DEREGISTERED)


def _community_orgs_in(kind: str) -> Any:
    def rows(period: Period) -> QuerySet[Organization]:
        return _living().filter(org_kind=OrgKind.COMMUNITY, region__kind=kind)

    return rows


def _communities(kind: str) -> Any:
    def rows(period: Period) -> QuerySet[Region]:
        return Region.objects.filter(level=Region.Level.COMMUNITY, kind=kind)

    return rows


def _hub_orgs_in_urban(period: Period) -> QuerySet[Organization]:
    return _living().filter(is_hub=True, region__kind=Region.Kind.URBAN)


def _registered(period: Period) -> QuerySet[Organization]:
    return Organization.objects.filter(legal_status=LegalStatus.REGISTERED)


def _brand_community_orgs(period: Period) -> QuerySet[Organization]:
    return _living().filter(org_kind=OrgKind.COMMUNITY, grade__in=["4A", "5A"])


def _active_residents(period: Period) -> QuerySet[Any]:
    from wushe.residents.models import Resident, ResidentStatus

    return Resident.objects.filter(status=ResidentStatus.ACTIVE)


register(
    Indicator(
        code="organizations.community_orgs_per_urban_community",
        name=_("城市社区平均社区社会组织数"),
        unit=_("个/社区"),
        numerator=Measure(_community_orgs_in(Region.Kind.URBAN), over=Over.SNAPSHOT),
        denominator=Measure(_communities(Region.Kind.URBAN), region="code", over=Over.SNAPSHOT),
        definition=_("登记在城市社区（居委会）的未注销社区社会组织数 ÷ 城市社区数"),
        source=_("河南省“五社联动”实施意见；台州市（2020年城市社区 15 个）"),
        target=10,
        topic=TOPIC,
        order=100,
        numerator_label=_("社区社会组织"),
        denominator_label=_("城市社区"),
    )
)
register(
    Indicator(
        code="organizations.community_orgs_per_rural_community",
        name=_("农村社区平均社区社会组织数"),
        unit=_("个/社区"),
        numerator=Measure(_community_orgs_in(Region.Kind.RURAL), over=Over.SNAPSHOT),
        denominator=Measure(_communities(Region.Kind.RURAL), region="code", over=Over.SNAPSHOT),
        definition=_("登记在农村社区（村委会）的未注销社区社会组织数 ÷ 农村社区数"),
        source=_("河南省“五社联动”实施意见；台州市（2020年农村社区 5 个）"),
        target=5,
        topic=TOPIC,
        order=101,
        numerator_label=_("社区社会组织"),
        denominator_label=_("农村社区"),
    )
)
register(
    Indicator(
        code="organizations.hub_org_urban_coverage",
        name=_("城市社区枢纽型社会组织覆盖率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(
            _hub_orgs_in_urban, aggregate=Count("region", distinct=True), over=Over.SNAPSHOT
        ),
        denominator=Measure(_communities(Region.Kind.URBAN), region="code", over=Over.SNAPSHOT),
        definition=_("有枢纽型社会组织的城市社区数 ÷ 城市社区数 × 100%"),
        source=_("河北省“五社联动”工作方案"),
        target=100,
        topic=TOPIC,
        order=102,
        numerator_label=_("有枢纽型组织的城市社区"),
        denominator_label=_("城市社区"),
    )
)
register(
    Indicator(
        code="organizations.registered_per_10k_residents",
        name=_("每万名居民拥有登记社会组织数"),
        unit=_("个/万人"),
        scale=10000,
        numerator=Measure(_registered, over=Over.SNAPSHOT),
        denominator=Measure(_active_residents, over=Over.SNAPSHOT),
        definition=_("依法登记的社会组织数 ÷ 在册居民数 × 10000（组织计入其登记机关所在区划）"),
        source=_("《浙江省民政事业发展“十四五”规划》主要指标第18项"),
        target="11.65",
        topic=TOPIC,
        order=103,
        numerator_label=_("登记社会组织"),
        denominator_label=_("在册居民"),
    )
)
register(
    Indicator(
        code="organizations.brand_community_orgs",
        name=_("品牌社区社会组织数"),
        unit=_("个"),
        numerator=Measure(_brand_community_orgs, over=Over.SNAPSHOT),
        definition=_(
            "评估等级为 4A、5A 的未注销社区社会组织数（省级目标 50 个，在设置中按区划设定）"
        ),
        source=_("河南省“五社联动”实施意见"),
        topic=TOPIC,
        order=104,
        decimals=0,
        numerator_label=_("品牌社区社会组织"),
    )
)
