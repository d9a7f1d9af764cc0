"""Indicators of the volunteer register (wushe.indicators.registry)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Over, Period, register
from wushe.residents.models import Resident, ResidentStatus

from .models import Volunteer, VolunteerStatus


def _volunteers(period: Period) -> QuerySet[Volunteer]:
    return Volunteer.objects.filter(status=VolunteerStatus.ACTIVE)


def _residents(period: Period) -> QuerySet[Resident]:
    return Resident.objects.filter(status=ResidentStatus.ACTIVE)


register(
    Indicator(
        code="volunteers.registered_share",
        name=_("注册志愿者占居民比例"),
        unit=_("%"),
        scale=100,
        numerator=Measure(_volunteers, over=Over.SNAPSHOT),
        denominator=Measure(_residents, over=Over.SNAPSHOT),
        definition=_("在册注册志愿者数 ÷ 在册居民数 × 100%（按登记区划）"),
        source=_("《志愿服务条例》；浙江省志愿服务发展规划"),
        topic=_("志愿服务"),
        order=610,
        numerator_label=_("注册志愿者"),
        denominator_label=_("在册居民"),
    )
)
