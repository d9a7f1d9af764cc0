"""Indicators of party members reporting to communities (wushe.indicators.registry)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Over, Period, register
from wushe.regions.models import Region

from .models import CheckinStatus, PartyMemberCheckin


def _checked_in(period: Period) -> QuerySet[PartyMemberCheckin]:
    return PartyMemberCheckin.objects.filter(status=CheckinStatus.ACTIVE)


def _communities(period: Period) -> QuerySet[Region]:
    return Region.objects.filter(level=Region.Level.COMMUNITY)


register(
    Indicator(
        code="partymembers.checked_in_per_community",
        name=_("社区平均在职党员报到人数"),
        unit=_("人/社区"),
        numerator=Measure(_checked_in, over=Over.SNAPSHOT),
        denominator=Measure(_communities, region="code", over=Over.SNAPSHOT),
        definition=_("向社区报到且在册的党员数 ÷ 社区数"),
        source=_("在职党员到社区报到为群众服务制度"),
        topic=_("党建引领"),
        order=800,
        numerator_label=_("报到党员"),
        denominator_label=_("社区"),
    )
)
