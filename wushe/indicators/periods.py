"""Reporting periods: a month `2026-10`, a quarter `2026-Q4` or a year `2026`.

Bounds are half-open `[start, end)` in Asia/Shanghai (settings.TIME_ZONE), as aware datetimes
for timestamp fields and as dates for date fields (`first_day` … `last_day` inclusive)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wushe.core.errors import ValidationFailed

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


class Kind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: Kind
    number: int  # month 1-12, quarter 1-4, or 1 for a year

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def parse(cls, text: object) -> Period:
        """`2026-10`, `2026-Q4` or `2026`; else ValidationFailed (indicators.period_invalid)."""
        match = _PATTERN.match(str(text or "").strip().upper())
        if match is None:
            raise ValidationFailed(
                _("统计期格式应为 YYYY-MM（月）、YYYY-Qn（季度）或 YYYY（年）。"),
                code="indicators.period_invalid",
                fields={"period": str(text)[:20]},
            )
        year = int(match["year"])
        if not 2000 <= year <= 2100:
            raise ValidationFailed(
                _("统计年份超出范围。"), code="indicators.period_invalid", fields={"period": text}
            )
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise ValidationFailed(
                    _("月份应在 01 到 12 之间。"),
                    code="indicators.period_invalid",
                    fields={"period": text},
                )
            return cls(year, Kind.MONTH, month)
        if match["quarter"]:
            return cls(year, Kind.QUARTER, int(match["quarter"]))
        return cls(year, Kind.YEAR, 1)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, Kind.MONTH, month)

    @classmethod
    def containing(cls, day: dt.date, kind: Kind = Kind.MONTH) -> Period:
        if kind == Kind.MONTH:
            return cls(day.year, kind, day.month)
        if kind == Kind.QUARTER:
            return cls(day.year, kind, (day.month - 1) // 3 + 1)
        return cls(day.year, Kind.YEAR, 1)

    @classmethod
    def all_of_year(cls, year: int) -> list[Period]:
        """The 17 periods of a year: 12 months, 4 quarters, the year."""
        return (
            [cls(year, Kind.MONTH, m) for m in range(1, 13)]
            + [cls(year, Kind.QUARTER, q) for q in range(1, 5)]
            + [cls(year, Kind.YEAR, 1)]
        )

    # ---- views --------------------------------------------------------------------------
    @property
    def key(self) -> str:
        if self.kind == Kind.MONTH:
            return f"{self.year}-{self.number:02d}"
        if self.kind == Kind.QUARTER:
            return f"{self.year}-Q{self.number}"
        return f"{self.year}"

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        if self.kind == Kind.MONTH:
            return str(_("{year}年{month}月")).format(year=self.year, month=self.number)
        if self.kind == Kind.QUARTER:
            return str(_("{year}年第{quarter}季度")).format(year=self.year, quarter=self.number)
        return str(_("{year}年")).format(year=self.year)

    @property
    def first_month(self) -> int:
        if self.kind == Kind.MONTH:
            return self.number
        if self.kind == Kind.QUARTER:
            return 3 * (self.number - 1) + 1
        return 1

    @property
    def last_month(self) -> int:
        if self.kind == Kind.MONTH:
            return self.number
        if self.kind == Kind.QUARTER:
            return 3 * self.number
        return 12

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end_day(self) -> dt.date:
        """The day after the period (exclusive bound)."""
        if self.last_month == 12:
            return dt.date(self.year + 1, 1, 1)
        return dt.date(self.year, self.last_month + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.end_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        """Aware datetime at 00:00 Asia/Shanghai on the first day (inclusive)."""
        return dt.datetime.combine(self.first_day, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> dt.datetime:
        """Aware datetime at 00:00 Asia/Shanghai on the day after the period (exclusive)."""
        return dt.datetime.combine(self.end_day, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def months(self) -> list[Period]:
        return [Period.month(self.year, m) for m in range(self.first_month, self.last_month + 1)]

    def previous(self) -> Period:
        if self.kind == Kind.MONTH:
            return (
                Period.month(self.year - 1, 12)
                if self.number == 1
                else Period.month(self.year, self.number - 1)
            )
        if self.kind == Kind.QUARTER:
            return (
                Period(self.year - 1, Kind.QUARTER, 4)
                if self.number == 1
                else Period(self.year, Kind.QUARTER, self.number - 1)
            )
        return Period(self.year - 1, Kind.YEAR, 1)

    def trend(self, length: int = 12) -> list[Period]:
        """This period and the `length - 1` before it of the same kind, oldest first."""
        out = [self]
        while len(out) < length:
            out.append(out[-1].previous())
        return list(reversed(out))
