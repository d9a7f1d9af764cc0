"""Due lists and the monthly visit rate across month boundaries and time zones
(Asia/Shanghai), with a frozen clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from wushe.visits import selectors, services
from wushe.visits.models import Enrolment, Frequency, Method, Visit

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
pytestmark = pytest.mark.django_db


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def record(world, resident, at: datetime, user: str = "") -> Visit:
    user = user or ("community_b" if resident.region_id == "330481001003" else "community_a")
    visit, created = services.visit_record(
        enrolment_id=world.enrolment(resident).pk,
        method=Method.PHONE,
        visited_at=at,
        actor=world.users[user],
    )
    assert created
    return visit


def rate(month: date, prefix: str = "330481001007") -> tuple[int, int]:
    r = selectors.monthly_visit_rate(prefix=prefix, month=month)
    return r.numerator, r.denominator


def test_late_night_visit_counts_for_the_shanghai_day(enrolled):
    with time_machine.travel(sh(2026, 11, 1, 1, 0), tick=False):
        october = record(enrolled, enrolled.alone, sh(2026, 10, 31, 23, 30))
        november = record(enrolled, enrolled.dongshan, sh(2026, 11, 1, 0, 30))
    # 23:30 Shanghai on 31 October is 15:30 UTC the same day; 00:30 on 1 November is
    # 16:30 UTC on 31 October — the UTC date would put it in October.
    assert october.visited_at.astimezone(UTC).day == 31
    assert november.visited_at.astimezone(UTC) == datetime(2026, 10, 31, 16, 30, tzinfo=UTC)
    assert october.visited_on == date(2026, 10, 31)
    assert november.visited_on == date(2026, 11, 1)
    # 南关厢: the living-alone elder (monthly) was visited in October, the incapacitated
    # elder (weekly) not; in November nobody yet.
    assert rate(date(2026, 10, 1)) == (1, 2)
    assert rate(date(2026, 11, 1)) == (0, 2)
    # 东山: visited on 1 November (Shanghai): counts for November, not October.
    assert rate(date(2026, 10, 1), "330481001003") == (0, 1)
    assert rate(date(2026, 11, 1), "330481001003") == (1, 1)


def test_rate_counts_the_same_whatever_the_server_time_zone(enrolled, settings):
    with time_machine.travel(sh(2026, 11, 1, 1, 0), tick=False):
        record(enrolled, enrolled.dongshan, sh(2026, 11, 1, 0, 30))
    settings.TIME_ZONE = "UTC"  # a misconfigured server: the stored day still decides
    assert rate(date(2026, 11, 1), "330481001003") == (1, 1)
    assert rate(date(2026, 10, 1), "330481001003") == (0, 1)


def test_weekly_needs_four_visits_in_the_month(enrolled):
    with time_machine.travel(sh(2026, 10, 31, 20, 0), tick=False):
        for day in (1, 8, 15):
            record(enrolled, enrolled.incapacitated, sh(2026, 10, day, 10, 0))
        assert rate(date(2026, 10, 1)) == (0, 2)
        record(enrolled, enrolled.incapacitated, sh(2026, 10, 29, 10, 0))
        assert rate(date(2026, 10, 1)) == (1, 2)


def test_quarterly_people_are_due_only_in_the_quarters_last_month(enrolled, world=None):
    alone = enrolled.enrolment(enrolled.alone)
    Enrolment.objects.filter(pk=alone.pk).update(frequency=Frequency.QUARTERLY)
    with time_machine.travel(sh(2026, 12, 31, 20, 0), tick=False):
        record(enrolled, enrolled.alone, sh(2026, 11, 3, 10, 0))
    assert rate(date(2026, 10, 1)) == (0, 1)  # only the weekly elder is due in October
    assert rate(date(2026, 11, 1)) == (0, 1)
    assert rate(date(2026, 12, 1)) == (1, 2)  # visited in the quarter: counts in December


def test_nobody_due_is_no_rate_not_zero(world):
    r = selectors.monthly_visit_rate(prefix="330481001007", month=date(2026, 10, 1))
    assert (r.numerator, r.denominator, r.value) == (0, 0, None)


def test_enrolled_during_the_month_is_due_from_the_next(world):
    services.enrolments_sync(today=date(2026, 10, 15))
    assert rate(date(2026, 10, 1)) == (0, 0)
    assert rate(date(2026, 11, 1)) == (0, 2)


def test_rate_by_region_at_township_level(enrolled):
    with time_machine.travel(sh(2026, 10, 20, 9, 0), tick=False):
        record(enrolled, enrolled.dongshan, sh(2026, 10, 20, 8, 0))
    rows = selectors.monthly_visit_rate_by_region(
        prefix="330481", month=date(2026, 10, 1), digits=12
    )
    assert {k: (v.numerator, v.denominator) for k, v in rows.items()} == {
        "330481001003": (1, 1),
        "330481001007": (0, 2),
    }
    township = selectors.monthly_visit_rate_by_region(
        prefix="330481", month=date(2026, 10, 1), digits=9
    )
    assert {k: (v.numerator, v.denominator) for k, v in township.items()} == {"330481001": (1, 3)}


def due_names(user, bucket: str, today: date, **extra) -> list[str]:
    qs = selectors.due_list(
        user=user, filters=selectors.DueFilter(bucket=bucket, **extra), today=today
    )
    return sorted(e.resident.name for e in qs)


def test_due_this_week_across_a_month_boundary(enrolled):
    worker = enrolled.users["community_a"]
    # Friday 30 October 2026: the week runs to Sunday 1 November. The monthly elder's
    # October deadline (31st) falls in this week; the weekly elder is due by Sunday.
    friday = date(2026, 10, 30)
    assert due_names(worker, "week", friday) == ["孙爷爷", "钱奶奶"]
    with time_machine.travel(sh(2026, 10, 31, 23, 30), tick=False):
        record(enrolled, enrolled.alone, sh(2026, 10, 31, 23, 30))
    assert due_names(worker, "week", friday) == ["孙爷爷"]
    # Monday 2 November: a new month; the October visit does not cover November, but its
    # deadline (30 November) is not within seven days.
    monday = date(2026, 11, 2)
    assert due_names(worker, "week", monday) == ["孙爷爷"]
    assert due_names(worker, "pending", monday) == ["孙爷爷", "钱奶奶"]
    # The living-alone elder was visited in October: not overdue in November.
    assert "钱奶奶" not in due_names(worker, "overdue", monday)
    # Wednesday 25 November: the 30 November deadline is within seven days (next Monday).
    assert due_names(worker, "week", date(2026, 11, 25)) == ["孙爷爷", "钱奶奶"]
    assert due_names(worker, "week", date(2026, 11, 23)) == ["孙爷爷"]


def test_overdue_after_a_missed_period(enrolled):
    worker = enrolled.users["community_a"]
    # Enrolled Tuesday 1 September. Nobody is late that week; the weekly elder is late from
    # the next Monday; the monthly one only once September has passed.
    assert due_names(worker, "overdue", date(2026, 9, 6)) == []
    assert due_names(worker, "overdue", date(2026, 9, 7)) == ["孙爷爷"]
    assert due_names(worker, "overdue", date(2026, 9, 30)) == ["孙爷爷"]
    assert due_names(worker, "overdue", date(2026, 10, 1)) == ["孙爷爷", "钱奶奶"]
    with time_machine.travel(sh(2026, 10, 2, 9, 0), tick=False):
        record(enrolled, enrolled.alone, sh(2026, 10, 2, 8, 0))
    assert due_names(worker, "overdue", date(2026, 10, 2)) == ["孙爷爷"]


def test_weather_override_makes_monthly_people_due_weekly(enrolled):
    township = enrolled.users["township"]
    worker = enrolled.users["community_a"]
    with time_machine.travel(sh(2026, 11, 2, 8, 0), tick=False):
        record(enrolled, enrolled.alone, sh(2026, 11, 2, 7, 0))
    tuesday = date(2026, 11, 10)
    assert due_names(worker, "week", tuesday) == ["孙爷爷"]
    services.override_create(
        region_code="330481001000",
        frequency=Frequency.WEEKLY,
        starts_on=tuesday,
        ends_on=tuesday + timedelta(days=6),
        reason="寒潮预警",
        actor=township,
    )
    # Visited last week, so under the override due again this week; but not overdue.
    assert due_names(worker, "week", tuesday) == ["孙爷爷", "钱奶奶"]
    assert "钱奶奶" not in due_names(worker, "overdue", tuesday)
    # After the override ends, the monthly rhythm is back.
    assert due_names(worker, "week", tuesday + timedelta(days=7)) == ["孙爷爷"]
    # 东山 is in the same township: covered too.
    assert due_names(enrolled.users["community_b"], "week", tuesday) == ["周奶奶"]
