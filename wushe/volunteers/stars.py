"""Star ratings of volunteers (星级志愿者, 民函〔2012〕340号; domain.md §4): derived from
cumulative *verified* service hours, never typed in. The thresholds are configurable: the
national default lives here, and a deployment may override it with
`settings.WUSHE["VOLUNTEER_STAR_HOURS"]` (ascending hours for 1★ … n★). Per-region thresholds
arrive with the time-bank scheme (issue 6), which will call `stars_for_minutes` with its own."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

DEFAULT_STAR_HOURS: tuple[int, ...] = (100, 300, 600, 1000, 1500)


def star_hours() -> tuple[int, ...]:
    configured = getattr(settings, "WUSHE", {}).get("VOLUNTEER_STAR_HOURS")
    return tuple(configured) if configured else DEFAULT_STAR_HOURS


def stars_for_minutes(minutes: int, thresholds: Sequence[int] | None = None) -> int:
    """Number of stars for `minutes` of verified service (whole hours count; 5,999 minutes
    are 99 hours, not yet one star)."""
    hours = max(minutes, 0) // 60
    return sum(1 for limit in (thresholds or star_hours()) if hours >= limit)


def next_star_hours(minutes: int, thresholds: Sequence[int] | None = None) -> int | None:
    """Hours needed for the next star, or None at the top."""
    hours = max(minutes, 0) // 60
    for limit in thresholds or star_hours():
        if hours < limit:
            return limit
    return None
