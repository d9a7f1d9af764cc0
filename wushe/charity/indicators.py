"""Indicators of charitable resources (wushe.indicators.registry)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Indicator, Measure, Period, register

from .models import Donation

YUAN_PER_FEN = Decimal("0.01")


def _donations(period: Period) -> QuerySet[Donation]:
    # Reversing entries carry negated amounts, so the sum is the corrected total.
    return Donation.objects.filter(
        received_on__gte=period.first_day, received_on__lt=period.end_day
    )


register(
    Indicator(
        code="charity.money_donations",
        name=_("慈善资金募集额"),
        unit=_("元"),
        scale=YUAN_PER_FEN,
        numerator=Measure(_donations, aggregate=Sum("amount_fen"), month_field="received_on"),
        definition=_("统计期内接收的资金捐赠之和（冲正记录已抵减），按基金所在区划"),
        source=_("《中华人民共和国慈善法》；社区慈善基金管理办法"),
        topic=_("慈善资源"),
        order=700,
        decimals=2,
        numerator_label=_("金额（分）"),
    )
)
