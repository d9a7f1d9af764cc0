"""The visits demo step on a small world: a year of visits, 东山 behind the others, and a
second run changes nothing."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.utils import timezone

from wushe.demo.services import DemoContext
from wushe.testing import DONGSHAN, NANGUANXIANG
from wushe.visits import selectors
from wushe.visits.demo import demo_visits
from wushe.visits.models import Enrolment, Visit, WeatherOverride

from .conftest import make_resident

pytestmark = pytest.mark.django_db


def _year_rate(prefix: str) -> tuple[int, int]:
    today = timezone.localdate()
    num = den = 0
    month = date(today.year - 1, today.month, 1)
    for _ in range(12):
        r = selectors.monthly_visit_rate(prefix=prefix, month=month)
        num, den = num + r.numerator, den + r.denominator
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return num, den


def test_demo_visits_step(role_users):
    for i in range(8):
        make_resident(f"南关厢老人{i}", NANGUANXIANG, "alone_elder")
        make_resident(f"东山老人{i}", DONGSHAN, "alone_elder")
    make_resident("失能老人", NANGUANXIANG, "incapacitated_elder")
    ctx = DemoContext(seed=3, scale=1.0, rng=random.Random(3), password="x")
    ctx.users = {
        "demo_community_a": role_users["community_a"],
        "demo_volunteer": role_users["volunteer"],
    }
    demo_visits(ctx)
    assert Enrolment.objects.count() == 17
    visits = Visit.objects.count()
    assert visits > 17 * 10  # about a year of monthly visits, and weekly ones for one
    # Every visit is on a Shanghai day within the year and after enrolment; last visit days
    # agree with the visits.
    for enrolment in Enrolment.objects.all():
        days = list(Visit.objects.filter(enrolment=enrolment).values_list("visited_on", flat=True))
        assert all(enrolment.enrolled_on <= d <= timezone.localdate() for d in days)
        assert enrolment.last_visited_on == (max(days) if days else None)
    assert Enrolment.objects.filter(region_id=NANGUANXIANG, visitor__isnull=False).count() == 9
    good_n, good_d = _year_rate(NANGUANXIANG)
    behind_n, behind_d = _year_rate(DONGSHAN)
    assert behind_n / behind_d < good_n / good_d
    assert WeatherOverride.objects.filter(region_id="330481001000").count() == 1
    demo_visits(ctx)
    assert Visit.objects.count() == visits
    assert WeatherOverride.objects.count() == 1
