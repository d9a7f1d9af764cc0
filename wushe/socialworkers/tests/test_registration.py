"""Registration deadlines and continuing-education hours: pure functions, boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wushe.socialworkers import registration as reg

TODAY = date(2026, 3, 1)


def test_first_registration_is_due_one_year_after_the_certificate() -> None:
    assert reg.registration_due_on(date(2025, 5, 10), None) == date(2026, 5, 10)


def test_a_registration_runs_three_years_from_the_last_registration_or_renewal() -> None:
    last = reg.last_registration_on(date(2019, 4, 1), [date(2022, 3, 20), date(2025, 3, 18)])
    assert last == date(2025, 3, 18)
    assert reg.registration_due_on(date(2018, 11, 1), last) == date(2028, 3, 18)
    assert reg.registration_expires_on(date(2020, 1, 31)) == date(2023, 1, 31)


def test_never_registered_has_no_period() -> None:
    assert reg.last_registration_on(None, []) is None


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),  # leap day into a common year: earlier
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),  # into a leap year: the same day
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (date(2023, 3, 1), 3, date(2026, 3, 1)),
    ],
)
def test_anniversaries_of_a_leap_day_fall_on_28_february(start, years, expected) -> None:
    assert reg.add_years(start, years) == expected


def test_certificate_on_a_leap_day_must_be_registered_by_28_february() -> None:
    assert reg.first_registration_due_on(date(2024, 2, 29)) == date(2025, 2, 28)
    assert reg.deadline_state(date(2025, 2, 28), date(2025, 3, 1)) == reg.OVERDUE


@pytest.mark.parametrize(
    ("due", "state"),
    [
        (date(2026, 5, 31), reg.OK),  # 91 days ahead
        (date(2026, 5, 30), reg.DUE_SOON),  # exactly 90 days ahead
        (date(2026, 3, 2), reg.DUE_SOON),
        (date(2026, 3, 1), reg.DUE_SOON),  # the deadline day itself is still in time
        (date(2026, 2, 28), reg.OVERDUE),  # one day late
        (date(2020, 1, 1), reg.OVERDUE),
    ],
)
def test_deadline_state_boundaries(due, state) -> None:
    assert reg.deadline_state(due, TODAY) == state


def test_warning_window_matches_deadline_state() -> None:
    first, last = reg.warning_window(TODAY)
    assert reg.deadline_state(first, TODAY) == reg.DUE_SOON
    assert reg.deadline_state(last, TODAY) == reg.DUE_SOON
    assert (last - first).days == 90


def test_required_hours_per_level() -> None:
    assert reg.required_hours("assistant") == Decimal("72")
    assert reg.required_hours("intermediate") == Decimal("90")
    assert reg.required_hours("senior") == Decimal("90")


def test_hours_count_from_the_start_of_the_current_period() -> None:
    records = [
        (date(2022, 12, 31), Decimal("30")),  # previous period
        (date(2023, 1, 1), Decimal("12.5")),  # the renewal day counts for the new period
        (date(2025, 6, 1), Decimal("8")),
        (date(2026, 2, 1), Decimal("6.5")),  # after expiry, before the late renewal: counts
    ]
    assert reg.hours_in_period(records, date(2023, 1, 1)) == Decimal("27.0")
    assert reg.hours_in_period(records, None) == Decimal("0")


def _standing(level: str, last: date | None, hours: str, today: date = TODAY) -> reg.Standing:
    return reg.standing(
        level=level,
        certificate_date=date(2018, 6, 1),
        last_registration=last,
        hours=Decimal(hours),
        today=today,
    )


def test_hours_are_short_only_when_the_renewal_is_near_or_late() -> None:
    # Renewal due 2026-04-10 (40 days): 71.9 of 72 hours is short, 72 is enough.
    assert _standing("assistant", date(2023, 4, 10), "71.9").education_short
    assert not _standing("assistant", date(2023, 4, 10), "72").education_short
    # 90 hours for 社会工作师.
    assert _standing("intermediate", date(2023, 4, 10), "89.5").education_short
    # Early in the period: progress is shown, no warning.
    early = _standing("assistant", date(2025, 1, 1), "10")
    assert early.deadline == reg.OK and not early.education_short
    assert early.shortfall == Decimal("62")
    # Overdue and short.
    late = _standing("senior", date(2022, 12, 1), "40")
    assert late.deadline == reg.OVERDUE and late.education_short and late.days_overdue == 90


def test_unregistered_worker_has_no_education_warning() -> None:
    pending = reg.standing(
        level="assistant",
        certificate_date=date(2025, 4, 1),
        last_registration=None,
        hours=Decimal("0"),
        today=TODAY,
    )
    assert not pending.registered
    assert pending.due_on == date(2026, 4, 1)
    assert pending.deadline == reg.DUE_SOON
    assert not pending.education_short
