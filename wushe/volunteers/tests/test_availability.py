"""Weekly availability: parsing Chinese text, rendering it back, the bitmask."""

import random

import pytest

from wushe.core.errors import ValidationFailed
from wushe.volunteers import availability as slots


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("周一上午、周三晚上", ["周一上午", "周三晚上"]),
        ("周六全天", ["周六上午", "周六下午", "周六晚上"]),
        ("星期三上午和晚上", ["周三上午", "周三晚上"]),
        ("周末上午", ["周六上午", "周日上午"]),
        ("周一至周三 下午", ["周一下午", "周二下午", "周三下午"]),
        ("礼拜天白天", ["周日上午", "周日下午"]),
        ("周二，周四晚上", ["周二上午", "周二下午", "周二晚上", "周四晚上"]),
    ],
)
def test_parse(text, labels):
    assert [s.label for s in slots.slots(slots.parse(text))] == labels


def test_working_days_evenings_and_any_time():
    assert slots.render(slots.parse("工作日晚上")) == "、".join(
        f"{d}晚上" for d in ("周一", "周二", "周三", "周四", "周五")
    )
    assert slots.parse("随时") == slots.FULL_WEEK
    assert slots.render(slots.FULL_WEEK) == "每天全天"
    assert slots.parse("") == 0 and slots.render(0) == ""


def test_a_list_of_cells_is_accepted_like_text():
    assert slots.parse(["周一上午", "周六全天"]) == slots.parse("周一上午、周六全天")


def test_render_is_readable_and_round_trips_for_every_mask():
    mask = slots.mask_of([(0, 0), (2, 2), (5, 0), (5, 1), (5, 2)])
    assert slots.render(mask) == "周一上午、周三晚上、周六全天"
    rng = random.Random(7)
    for _ in range(500):
        m = rng.randrange(slots.FULL_WEEK + 1)
        assert slots.parse(slots.render(m)) == m


def test_bits_and_helpers():
    assert slots.slot_bit(0, 0) == 1
    assert slots.slot_bit(6, 2) == 1 << 20
    mask = slots.parse("周二下午")
    assert slots.is_free(mask, 1, 1) and not slots.is_free(mask, 1, 0)
    with pytest.raises(ValueError):
        slots.slot_bit(7, 0)


@pytest.mark.parametrize("bad", ["明天下午", "周八上午", "晚上", "周一中午", "周五至周一"])
def test_bad_text_says_which_part_and_how_to_write_it(bad):
    with pytest.raises(ValidationFailed) as info:
        slots.parse(f"周一上午、{bad}")
    assert info.value.code == "volunteer.availability.format"
    assert bad.split("至")[0][:2] in str(info.value.message)
    assert "周六全天" in str(info.value.message)  # an example of the expected form


def test_mask_range_is_checked():
    assert slots.check_mask(slots.FULL_WEEK) == slots.FULL_WEEK
    with pytest.raises(ValidationFailed):
        slots.check_mask(slots.FULL_WEEK + 1)
