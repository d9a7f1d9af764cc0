"""The visit-rate indicators computed by the indicator engine agree with hand counts and with
the selector, per month, quarter and year, at community, township and county level."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from wushe.indicators import engine
from wushe.indicators.periods import Period
from wushe.indicators.registry import get
from wushe.indicators.selectors import results
from wushe.visits import selectors, services
from wushe.visits.models import Method

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def visit(world, resident, at: datetime) -> None:
    user = "community_b" if resident.region_id == "330481001003" else "community_a"
    with time_machine.travel(at, tick=False):
        services.visit_record(
            enrolment_id=world.enrolment(resident).pk,
            method=Method.HOME,
            visited_at=at,
            actor=world.users[user],
        )


def test_visit_rate_indicators_match_hand_counts(enrolled):
    w = enrolled
    # October: 钱奶奶 (monthly) visited at 23:30 on the 31st (Shanghai); 孙爷爷 (weekly) four
    # times; 周奶奶 (东山, monthly) only at 00:30 on 1 November.
    visit(w, w.alone, datetime(2026, 10, 31, 23, 30, tzinfo=SH))
    for day in (5, 12, 19, 26):
        visit(w, w.incapacitated, datetime(2026, 10, day, 9, 0, tzinfo=SH))
    visit(w, w.dongshan, datetime(2026, 11, 1, 0, 30, tzinfo=SH))
    # Computed on 15 November: November is in progress, December has not begun.
    with time_machine.travel(datetime(2026, 11, 15, 9, 0, tzinfo=SH), tick=False):
        engine.compute(
            years=[2026],
            indicators=[
                get("visits.monthly_rate"),
                get("visits.monthly_rate_elderly"),
                get("visits.monthly_rate_children"),
            ],
        )

    def pair(
        code: str, region: str, period: str
    ) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        r = results([region], Period.parse(period), [get(code)])[(code, region)]
        return r.numerator, r.denominator, r.value

    assert pair("visits.monthly_rate", "330481001007", "2026-10") == (2, 2, 100)
    assert pair("visits.monthly_rate", "330481001003", "2026-10") == (0, 1, 0)
    assert pair("visits.monthly_rate", "330481001003", "2026-11") == (1, 1, 100)
    # The township adds its communities up: 2 of 3 in October.
    n, d, value = pair("visits.monthly_rate", "330481001000", "2026-10")
    assert (n, d) == (2, 3)
    assert value is not None and round(value, 1) == Decimal("66.7")
    # Enrolled on 1 September. The quarter and the year count the months already over:
    # Q4 = October (2 of 3); the year = September (0 of 3) + October (2 of 3).
    assert pair("visits.monthly_rate", "330481000000", "2026-Q4")[:2] == (2, 3)
    assert pair("visits.monthly_rate", "330481000000", "2026-09")[:2] == (0, 3)
    assert pair("visits.monthly_rate", "330481000000", "2026")[:2] == (2, 6)
    # November on its own shows its progress; December has no figure yet (not 0%).
    assert pair("visits.monthly_rate", "330481000000", "2026-11")[:2] == (1, 3)
    assert pair("visits.monthly_rate", "330481000000", "2026-12")[2] is None
    # Elderly only (all three are elderly here); children: nobody enrolled → no value, not 0.
    assert pair("visits.monthly_rate_elderly", "330481000000", "2026-10")[:2] == (2, 3)
    children = results(
        ["330481000000"], Period.parse("2026-10"), [get("visits.monthly_rate_children")]
    )
    assert children[("visits.monthly_rate_children", "330481000000")].value is None
    # The selector says the same.
    r = selectors.monthly_visit_rate(prefix="330481", month=date(2026, 10, 1))
    assert (r.numerator, r.denominator) == (2, 3)


def test_visits_and_bulk_enrolment_mark_the_county_for_refresh(world):
    from django.utils import timezone

    from wushe.indicators.models import DirtyMark

    DirtyMark.objects.all().delete()
    services.enrolments_sync(today=date(2026, 9, 1))  # bulk_create: announced per county
    assert set(DirtyMark.objects.values_list("county", flat=True)) == {"330481"}
    now = timezone.now()
    services.visit_record(
        enrolment_id=world.enrolment(world.alone).pk,
        method=Method.HOME,
        visited_at=now,
        actor=world.users["community_a"],
    )
    DirtyMark.objects.all().delete()
    # A back-dated visit does not move the last visit day, but still changes the counts.
    services.visit_record(
        enrolment_id=world.enrolment(world.alone).pk,
        method=Method.PHONE,
        visited_at=now - timedelta(days=3),
        actor=world.users["community_a"],
    )
    assert DirtyMark.objects.filter(county="330481").exists()
