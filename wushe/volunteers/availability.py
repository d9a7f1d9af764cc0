"""Weekly availability (可服务时间): 7 days × 3 periods (上午/下午/晚上) in one integer.

Bit `day * 3 + period` is set when the volunteer is usually free then; day 0 = 周一 … 6 = 周日,
period 0 = 上午, 1 = 下午, 2 = 晚上. So 0 = not stated, FULL_WEEK (2**21 − 1) = any time.
One integer keeps "who is free on Saturday morning" a single bitwise test in SQL, and the
matching solver of a later issue reads the same bits. Pure functions, no Django models."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from wushe.core.errors import ValidationFailed

DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
PERIODS = ("上午", "下午", "晚上")
SLOTS = len(DAYS) * len(PERIODS)
FULL_WEEK = (1 << SLOTS) - 1
FULL_DAY = 0b111

_DAY_ALIASES = {
    "一": 0, "1": 0, "二": 1, "2": 1, "三": 2, "3": 2, "四": 3, "4": 3, "五": 4, "5": 4,
    "六": 5, "6": 5, "日": 6, "天": 6, "七": 6, "7": 6,
}  # fmt: skip
_PERIOD_WORDS = {
    "上午": (0,), "早上": (0,), "早晨": (0,),
    "下午": (1,), "午后": (1,),
    "晚上": (2,), "晚间": (2,), "夜间": (2,), "傍晚": (2,),
    "白天": (0, 1), "全天": (0, 1, 2), "整天": (0, 1, 2), "均可": (0, 1, 2),
}  # fmt: skip
_ANY_TIME = {"随时", "全部", "不限", "都可以", "任何时间", "全周", "每周全天"}
_WEEKDAY = r"(?:周|星期|礼拜)([一二三四五六日天七1-7])"
_DAY_RANGE = re.compile(rf"^{_WEEKDAY}(?:至|到|~|-|－|—)(?:周|星期|礼拜)?([一二三四五六日天七1-7])")
_DAY_ONE = re.compile(rf"^{_WEEKDAY}")
_DAY_GROUPS = (
    ("工作日", tuple(range(5))),
    ("周末", (5, 6)),
    ("双休日", (5, 6)),
    ("每天", tuple(range(7))),
    ("每日", tuple(range(7))),
    ("天天", tuple(range(7))),
)
_SEPARATORS = re.compile(r"[、,，;；/\s]+")


@dataclass(frozen=True)
class Slot:
    day: int
    period: int

    @property
    def bit(self) -> int:
        return slot_bit(self.day, self.period)

    @property
    def label(self) -> str:
        return DAYS[self.day] + PERIODS[self.period]


def slot_bit(day: int, period: int) -> int:
    if not (0 <= day < len(DAYS) and 0 <= period < len(PERIODS)):
        raise ValueError(f"no slot day={day} period={period}")
    return 1 << (day * len(PERIODS) + period)


def is_free(mask: int, day: int, period: int) -> bool:
    return bool(mask & slot_bit(day, period))


def slots(mask: int) -> list[Slot]:
    """The slots set in `mask`, Monday morning first."""
    return [
        Slot(day, period)
        for day in range(len(DAYS))
        for period in range(len(PERIODS))
        if mask & slot_bit(day, period)
    ]


def mask_of(pairs: Iterable[tuple[int, int]]) -> int:
    mask = 0
    for day, period in pairs:
        mask |= slot_bit(day, period)
    return mask


def check_mask(mask: int) -> int:
    if not (0 <= mask <= FULL_WEEK):
        raise ValidationFailed(
            _("可服务时间无效。"),
            code="volunteer.availability.invalid",
            fields={
                "availability": [_("可服务时间应为 0 到 %(max)s 之间的整数。") % {"max": FULL_WEEK}]
            },
        )
    return mask


def render(mask: int) -> str:
    """Readable Chinese, e.g. "周一上午、周三晚上、周六全天" ('' when nothing is set).
    `parse(render(m)) == m` for every mask."""
    if mask & FULL_WEEK == FULL_WEEK:
        return "每天全天"
    parts: list[str] = []
    for day, name in enumerate(DAYS):
        day_bits = (mask >> (day * len(PERIODS))) & FULL_DAY
        if day_bits == FULL_DAY:
            parts.append(name + "全天")
        else:
            parts.extend(name + PERIODS[p] for p in range(len(PERIODS)) if day_bits & (1 << p))
    return "、".join(parts)


def _days_of(token: str) -> tuple[tuple[int, ...], str] | None:
    """Leading day expression of a token → (days, rest of the token), or None."""
    match = _DAY_RANGE.match(token)
    if match:
        start, end = _DAY_ALIASES[match.group(1)], _DAY_ALIASES[match.group(2)]
        if start > end:
            return None
        return tuple(range(start, end + 1)), token[match.end() :]
    match = _DAY_ONE.match(token)
    if match:
        return (_DAY_ALIASES[match.group(1)],), token[match.end() :]
    for word, days in _DAY_GROUPS:
        if token.startswith(word):
            return days, token[len(word) :]
    return None


def _periods_of(text: str) -> tuple[int, ...] | None:
    """ "上午" / "上午下午" / "上午和晚上" → periods; '' → None (no period named)."""
    text = text.replace("和", "").replace("及", "").replace("与", "")
    found: list[int] = []
    while text:
        for word, periods in _PERIOD_WORDS.items():
            if text.startswith(word):
                found.extend(periods)
                text = text[len(word) :]
                break
        else:
            raise ValueError(text)
    return tuple(sorted(set(found))) if found else None


def _bad(token: str) -> ValidationFailed:
    message = _(
        "无法识别可服务时间“%(text)s”。请写成“周一上午”“周三晚上”“周六全天”“工作日晚上”"
        "“周一至周五下午”这样的形式，多个时间用顿号分隔。"
    ) % {"text": token}
    return ValidationFailed(
        message, code="volunteer.availability.format", fields={"availability": [message]}
    )


def parse(text: str | Iterable[str]) -> int:
    """Chinese availability text → mask. Accepts "周一上午、周六全天", "工作日晚上",
    "周一至周五下午", "周末", "星期三上午和晚上", "随时". A day without a period means the whole
    day; a period on its own ("晚上") applies to the day named just before it ("周一至周五 晚上",
    as spreadsheets often split it). Anything else raises ValidationFailed
    `volunteer.availability.format`, naming the part that was not understood."""
    raw = text if isinstance(text, str) else "、".join(text)
    tokens = [t for t in _SEPARATORS.split(raw.strip()) if t]
    mask = 0
    # A day token without a period, just seen: its days and the bits it added provisionally.
    pending_days: tuple[int, ...] | None = None
    provisional = 0
    for token in tokens:
        if token in _ANY_TIME:
            mask = FULL_WEEK
            pending_days = None
            continue
        parsed = _days_of(token)
        if parsed is None:
            # A bare period continues the previous day-only token.
            try:
                periods = _periods_of(token)
            except ValueError:
                raise _bad(token) from None
            if pending_days is None or periods is None:
                raise _bad(token)
            mask &= ~provisional  # the day was not "全天" after all
            mask |= mask_of((day, p) for day in pending_days for p in periods)
            pending_days = None
            continue
        days, rest = parsed
        try:
            periods = _periods_of(rest)
        except ValueError:
            raise _bad(token) from None
        if periods is None:
            whole = mask_of((day, p) for day in days for p in range(len(PERIODS)))
            provisional = whole & ~mask
            mask |= whole
            pending_days = days
        else:
            mask |= mask_of((day, p) for day in days for p in periods)
            pending_days = None
    return mask
