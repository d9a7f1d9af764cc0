"""Registration and continuing-education rules for certified social workers (domain.md §7):
pure functions on dates and hours, no database.

- First registration is due within 1 year of obtaining the certificate.
- A registration is valid for 3 years and is then renewed (延续登记); each renewal starts a
  new 3-year period.
- Continuing education: 72 hours (助理社会工作师) or 90 hours (社会工作师, 高级社会工作师) per
  registration period. Hours count from the start of the current period (the last
  registration or renewal) until the next renewal, so hours taken late, after the period ran
  out, still count towards the overdue renewal.
- Warnings: a deadline within 90 days (the deadline day included) is "due soon"; a deadline
  that has passed is "overdue". Continuing education is "short" when the renewal is due soon
  or overdue and the period's hours are below the requirement: the hours are needed for the
  renewal, and earlier in the period pages show the progress (36 / 72 学时) without alarm.

Anniversaries of 29 February fall on 28 February in common years: the earlier day, so a
deadline is never reported later than it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

FIRST_REGISTRATION_YEARS = 1
REGISTRATION_YEARS = 3
WARNING_DAYS = 90

ASSISTANT = "assistant"
REQUIRED_HOURS: dict[str, Decimal] = {
    "assistant": Decimal("72"),
    "intermediate": Decimal("90"),
    "senior": Decimal("90"),
}

OK = "ok"
DUE_SOON = "due_soon"
OVERDUE = "overdue"


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February → 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def first_registration_due_on(certificate_date: date) -> date:
    return add_years(certificate_date, FIRST_REGISTRATION_YEARS)


def registration_expires_on(last_registration: date) -> date:
    """Last day before which the registration (or renewal) of `last_registration` must be
    renewed: 3 years later."""
    return add_years(last_registration, REGISTRATION_YEARS)


def last_registration_on(registered_on: date | None, renewals: list[date]) -> date | None:
    """The start of the current registration period: the latest of the first registration and
    the renewals (None when never registered)."""
    dates = [d for d in [registered_on, *renewals] if d is not None]
    return max(dates) if dates else None


def registration_due_on(certificate_date: date, last_registration: date | None) -> date:
    """The next registration deadline: the first registration's when never registered, else the
    expiry of the current period."""
    if last_registration is None:
        return first_registration_due_on(certificate_date)
    return registration_expires_on(last_registration)


def deadline_state(due_on: date, today: date) -> str:
    """OVERDUE once the deadline has passed; DUE_SOON from 90 days before it up to and
    including the deadline day; OK before that."""
    if due_on < today:
        return OVERDUE
    if due_on - today <= timedelta(days=WARNING_DAYS):
        return DUE_SOON
    return OK


def warning_window(today: date) -> tuple[date, date]:
    """Deadlines in [first, last] are DUE_SOON on `today` (for filtering in SQL)."""
    return today, today + timedelta(days=WARNING_DAYS)


def required_hours(level: str) -> Decimal:
    return REQUIRED_HOURS[level]


def hours_in_period(records: list[tuple[date, Decimal]], period_start: date | None) -> Decimal:
    """Continuing-education hours dated on or after the start of the current period; nothing
    counts before the first registration."""
    if period_start is None:
        return Decimal("0")
    return sum((hours for day, hours in records if day >= period_start), Decimal("0"))


@dataclass(frozen=True)
class Standing:
    """Where a social worker stands on a given day (what badges and counts show)."""

    registered: bool
    due_on: date
    deadline: str  # OK / DUE_SOON / OVERDUE
    days_left: int  # negative when overdue
    hours: Decimal
    required: Decimal
    education_short: bool  # renewal due soon or overdue, fewer hours than required

    @property
    def days_overdue(self) -> int:
        return max(-self.days_left, 0)

    @property
    def shortfall(self) -> Decimal:
        return max(self.required - self.hours, Decimal("0"))


def standing(
    *,
    level: str,
    certificate_date: date,
    last_registration: date | None,
    hours: Decimal,
    today: date,
) -> Standing:
    due = registration_due_on(certificate_date, last_registration)
    required = required_hours(level)
    registered = last_registration is not None
    deadline = deadline_state(due, today)
    return Standing(
        registered=registered,
        due_on=due,
        deadline=deadline,
        days_left=(due - today).days,
        hours=hours,
        required=required,
        education_short=registered and deadline != OK and hours < required,
    )
