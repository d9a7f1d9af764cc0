"""Calendar periods of the visit plan, in Asia/Shanghai days (settings.TIME_ZONE).

A frequency's period is the ISO week (Monday–Sunday), the calendar month or the calendar
quarter containing a day. Pure functions: no database, no clock (callers pass `today`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from .models import Frequency


def local_day(at: datetime) -> date:
    """The calendar day in China of an aware instant (23:30 on 31 October in Shanghai is
    15:30 UTC and still 31 October)."""
    return timezone.localtime(at).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def period_start(frequency: str, day: date) -> date:
    if frequency == Frequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    if frequency == Frequency.MONTHLY:
        return month_start(day)
    return quarter_start(day)


def period_end(frequency: str, day: date) -> date:
    """The last day of the period containing `day` (the deadline of a visit due in it)."""
    if frequency == Frequency.WEEKLY:
        return period_start(frequency, day) + timedelta(days=6)
    if frequency == Frequency.MONTHLY:
        return month_end(day)
    start = quarter_start(day)
    return month_end(date(start.year, start.month + 2, 1))


def previous_period_start(frequency: str, day: date) -> date:
    return period_start(frequency, period_start(frequency, day) - timedelta(days=1))


def week_end(day: date) -> date:
    return period_end(Frequency.WEEKLY, day)


def is_quarter_end_month(day: date) -> bool:
    return day.month % 3 == 0


def parse_month(raw: str) -> date:
    """'2026-10' -> date(2026, 10, 1); ValueError otherwise."""
    year, _sep, month = raw.strip().partition("-")
    return date(int(year), int(month), 1)
