"""Statistical division codes (统计用区划代码): pure functions, no database.

A 12-digit code is a materialised path: province (2) + city (2) + county (2) + township (3) +
community/village (3). Higher levels are stored padded with zeros (330481 -> 330481000000), so
everything under a region is one contiguous code range (`scope_range`)."""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum

from django.utils.translation import gettext_lazy as _

from wushe.core.errors import ValidationFailed

CODE_LENGTH = 12
# Digits that identify a region at each level; the rest of its 12-digit code is zeros.
SIGNIFICANT_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
_DIGITS = re.compile(r"^[0-9]+$")


class Level(IntEnum):
    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    COMMUNITY = 5


def level_of(code: str) -> Level:
    """Level of a normalised 12-digit code, read from which segments are zero."""
    if code[2:] == "0" * 10:
        return Level.PROVINCE
    if code[4:] == "0" * 8:
        return Level.CITY
    if code[6:] == "0" * 6:
        return Level.COUNTY
    if code[9:] == "000":
        return Level.TOWNSHIP
    return Level.COMMUNITY


def normalize(raw: object) -> str:
    """Turn a code as people write it (2, 4, 6, 9 or 12 digits, surrounding spaces) into the
    12-digit stored form. Raises ValidationFailed(code="region.code_invalid") otherwise."""
    # NFKC turns full-width digits (３３０４８１, common in pasted text) into ASCII ones.
    try:
        raw_text = str(raw) if raw is not None else ""
    except ValueError:  # an integer too long for str() (over 4,300 digits): not a code
        raw_text = "?"
    text = unicodedata.normalize("NFKC", raw_text).strip()
    if not _DIGITS.match(text) or len(text) not in SIGNIFICANT_DIGITS.values():
        raise ValidationFailed(
            _("区划代码应为 2、4、6、9 或 12 位数字。"),
            code="region.code_invalid",
            fields={"code": raw_text[:40]},
        )
    code = text.ljust(CODE_LENGTH, "0")
    if code[:2] == "00":
        raise ValidationFailed(
            _("区划代码的省级部分不能为 00。"), code="region.code_invalid", fields={"code": text}
        )
    # Every segment above the region's own level must be non-zero (330000001000 is not a code).
    level = level_of(code)
    segments = [code[:2], code[2:4], code[4:6], code[6:9], code[9:12]]
    if any(int(segment) == 0 for segment in segments[1 : level - 1]):
        raise ValidationFailed(
            _("区划代码的层级不一致。"), code="region.code_invalid", fields={"code": text}
        )
    return code


def significant_prefix(code: str) -> str:
    """The digits that identify the region: '33' for 330000000000, '330481001' for a township."""
    return code[: SIGNIFICANT_DIGITS[level_of(code)]]


def scope_range(prefix: str) -> tuple[str, str]:
    """Inclusive code range of everything under a region given by its significant prefix."""
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == Level.PROVINCE:
        return None
    return code[: SIGNIFICANT_DIGITS[Level(level - 1)]].ljust(CODE_LENGTH, "0")


def ancestor_codes(code: str) -> list[str]:
    """Codes of all ancestors, province first. Derived from the code: no recursive query."""
    chain: list[str] = []
    current = parent_code(code)
    while current is not None:
        chain.append(current)
        current = parent_code(current)
    return list(reversed(chain))


def township_kind(code: str) -> str:
    """街道 / 镇 / 乡 / other, from the township segment (domain.md §3)."""
    segment = int(code[6:9])
    if 1 <= segment <= 99:
        return "street"
    if 100 <= segment <= 199:
        return "town"
    if 200 <= segment <= 399:
        return "township"
    return "township_other"


def community_kind(code: str) -> str:
    """居委会 (urban) / 村委会 (rural) / other, from the village segment (domain.md §3)."""
    segment = int(code[9:12])
    if 1 <= segment <= 199:
        return "urban"
    if 200 <= segment <= 399:
        return "rural"
    return "community_other"


def kind_of(code: str) -> str:
    level = level_of(code)
    if level == Level.TOWNSHIP:
        return township_kind(code)
    if level == Level.COMMUNITY:
        return community_kind(code)
    return ""


_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居委会", "社区"),
    ("村民委员会", "村"),
    ("村村委会", "村"),
    ("村委会", "村"),
)


def short_name(name: str) -> str:
    """Everyday name: '南关厢社区居委会' -> '南关厢社区', '红旗村村委会' -> '红旗村'."""
    for suffix, replacement in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if stem.endswith(replacement):
                return stem
            return stem + replacement
    return name
