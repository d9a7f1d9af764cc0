"""Order satisfaction as indicators: computed by the indicators engine from rated orders,
at the resident's community and summed up to the township."""

from __future__ import annotations

import pytest

pytest.importorskip("wushe.menu.indicators")

from wushe.indicators import engine
from wushe.indicators.models import IndicatorValue
from wushe.indicators.registry import get
from wushe.menu import services
from wushe.testing import NANGUANXIANG, XIASHI, make_user

from .conftest import TODAY, resident_record

pytestmark = pytest.mark.django_db


def test_satisfaction_and_average_rating(world):
    staff = world.users["org_staff"]
    offering = world.offer(title="上门量血压", capacity=10)
    for n, rating in enumerate((5, 4, 2)):
        user = make_user(f"u_ind_{n}", "resident", NANGUANXIANG)
        resident_record(f"指标{n}", user, [])
        order, _ = services.order_create(actor=user, offering_id=offering.pk, service_date=TODAY)
        services.order_confirm(order_id=order.pk, actor=staff)
        services.order_deliver(order_id=order.pk, actor=staff)
        services.order_rate(order_id=order.pk, actor=user, rating=rating)
    # A delivered order not yet rated counts nowhere.
    waiting, _ = services.order_create(
        actor=world.users["resident"], offering_id=offering.pk, service_date=TODAY
    )
    services.order_confirm(order_id=waiting.pk, actor=staff)
    services.order_deliver(order_id=waiting.pk, actor=staff)
    indicators = [get("menu.satisfaction"), get("menu.average_rating")]
    assert all(indicators)
    engine.compute(years=[2026], indicators=indicators)  # type: ignore[arg-type]
    for region in (NANGUANXIANG, XIASHI):
        share = IndicatorValue.objects.get(
            indicator="menu.satisfaction", period="2026-03", region=region
        )
        assert (share.numerator, share.denominator) == (2, 3)
        average = IndicatorValue.objects.get(
            indicator="menu.average_rating", period="2026-03", region=region
        )
        assert (average.numerator, average.denominator) == (11, 3)
