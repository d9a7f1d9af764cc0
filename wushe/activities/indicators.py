"""Indicators of verified volunteer service (wushe.indicators.registry)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Over, Period, register
from wushe.volunteers.models import Volunteer, VolunteerStatus

from .models import RecordStatus, ServiceRecord

TOPIC = _("志愿服务")
PER_HOUR = Decimal(1) / Decimal(60)


def _verified(period: Period) -> QuerySet[ServiceRecord]:
    return ServiceRecord.objects.filter(
        status=RecordStatus.VERIFIED,
        signed_in_at__gte=period.start,
        signed_in_at__lt=period.end,
    )


def _volunteers(period: Period) -> QuerySet[Volunteer]:
    return Volunteer.objects.filter(status=VolunteerStatus.ACTIVE)


register(
    Indicator(
        code="activities.verified_volunteer_hours",
        name=_("认证志愿服务时长"),
        unit=_("小时"),
        scale=PER_HOUR,
        numerator=Measure(_verified, aggregate=Sum("minutes"), month_field="signed_in_at"),
        definition=_("统计期内开始的已认证服务记录的服务时长之和（按服务地点所在区划）"),
        source=_("《志愿服务条例》；浙江省志愿服务记录办法"),
        topic=TOPIC,
        order=600,
        decimals=1,
        numerator_label=_("服务时长（分钟）"),
    )
)
register(
    Indicator(
        code="activities.hours_per_volunteer",
        name=_("人均认证志愿服务时长"),
        unit=_("小时/人"),
        scale=PER_HOUR,
        numerator=Measure(_verified, aggregate=Sum("minutes"), month_field="signed_in_at"),
        denominator=Measure(_volunteers, over=Over.SNAPSHOT),
        definition=_("统计期内已认证服务时长之和 ÷ 在册志愿者数"),
        source=_("《志愿服务条例》；浙江省志愿服务记录办法"),
        topic=TOPIC,
        order=601,
        decimals=2,
        numerator_label=_("服务时长（分钟）"),
        denominator_label=_("在册志愿者"),
    )
)
