"""Identifiers people type or paste (domain.md §3): resident ID numbers (GB 11643), unified social
credit codes (GB 32100) and mainland mobile numbers. Pure functions, no database.

Input is often messy: full-width digits from Chinese input methods, spaces and hyphens, a
lower-case `x`, and spreadsheet cells that Excel stored as numbers (an 18-digit ID number keeps
only 15 significant digits there, so `330481199001011234` becomes `3.30481E+17` or
`330481199001011000`). Every such case ends in `ValidationFailed` with a stable code and a
message that says what is wrong and what to do; nothing here raises anything else.

Error codes (`fields` holds the message under the field name, as the API's validation errors do):

- `id_number.format`, `id_number.excel_number`, `id_number.checksum`, `id_number.birth_date`
- `credit_code.format`, `credit_code.checksum`
- warning, not an error: `credit_code.org_code_checksum` (in `CreditCode.warnings`)
- `phone.format`
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.errors import ValidationFailed

Sex = Literal["male", "female"]
IdKind = Literal["resident", "permanent_residence"]

# Characters removed inside identifiers: whitespace (NFKC has already turned the ideographic
# space into " "), hyphen and dash variants, zero-width characters and the BOM.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−﹣－\u200b\u200c\u200d\u2060\ufeff]+")

# --- Resident ID numbers (GB 11643-1999) -------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# Nobody alive was born earlier; the legacy upgrade never yields an earlier century either.
EARLIEST_BIRTH_DATE = date(1800, 1, 1)

_ID_18 = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_15 = re.compile(r"^[0-9]{15}$")
_ID_CHARS = re.compile(r"^[0-9]*X?$")
# A number as a spreadsheet writes it: 3.30481E+17, 330481199001011000.0, 3.30481199001011E17.
_EXCEL_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]*)?(?:E\+?[0-9]+)?$")

_ID_REQUIRED = _("请填写身份证号。")
_ID_BAD_CHARS = _("身份证号只能由数字组成，最后一位可以是字母 X，请检查是否混入了其他字母或符号。")
_ID_BAD_LENGTH = _(
    "身份证号应为 18 位（旧版为 15 位），当前为 %(length)d 位，请核对是否漏填或多填了数字。"
)
_ID_EXCEL_NUMBER = _(
    "身份证号被表格当成数字保存了（例如显示成 3.30481E+17、末尾变成 000 或带小数点），"
    "后几位数字已经丢失，无法还原。请把该列的单元格格式设为“文本”，重新填写完整的身份证号后再导入。"
)
_ID_CHECKSUM = _("身份证号校验不通过，号码中可能有数字填错，请对照证件逐位核对。")
_ID_CHECKSUM_TRAILING_ZEROS = _(
    "身份证号校验不通过。号码末尾是 000，很可能是表格把它当成数字保存、后几位已经丢失："
    "请把该列的单元格格式设为“文本”，重新填写完整的身份证号；否则请对照证件逐位核对。"
)
_ID_BAD_DATE = _(
    "身份证号中的出生日期不是有效的日期（例如 2 月 30 日），请核对号码中表示出生年月日的数字。"
)
_ID_FUTURE_DATE = _("身份证号中的出生日期晚于今天，请核对号码中表示出生年月日的数字。")
_ID_ANCIENT_DATE = _("身份证号中的出生年份早于 1800 年，请核对号码中表示出生年月日的数字。")


@dataclass(frozen=True)
class IdNumber:
    number: str  # 18 characters, a trailing check letter always upper-case `X`
    birth_date: date
    sex: Sex
    kind: IdKind  # `permanent_residence`: foreigners' permanent-residence card (starts with 9)
    upgraded_from_15: bool
    address_code: str  # 6 digits, the county code at issue time (may no longer exist)


def normalize_text(raw: object) -> str:
    """Identifier text as typed or pasted -> canonical form: NFKC (full-width digits and
    letters become ASCII), no surrounding or inner whitespace, hyphens or zero-width
    characters, a leading apostrophe (Excel's "store as text" marker) dropped, upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", _text_of(raw)).strip()
    text = _SEPARATORS.sub("", text)
    if text.startswith("'"):
        text = text[1:]
    return text.upper()


def _text_of(raw: object) -> str:
    """str(raw), except that an integer too long for Python to print (over 4,300 digits, which
    str() refuses with ValueError) becomes "?": it is no identifier, and says so as bad text."""
    try:
        return str(raw)
    except ValueError:
        return "?"


def id_number_check_char(body: str) -> str:
    """Check character for the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def upgrade_id_number(number15: str) -> str:
    """Legacy 15-digit number -> 18 characters: century inserted before the two-digit year
    ("18" for sequence 996–999, which were given to people born in the 1800s), check added."""
    century = "18" if 996 <= int(number15[12:15]) <= 999 else "19"
    body = number15[:6] + century + number15[6:]
    return body + id_number_check_char(body)


def age_on(birth_date: date, day: date) -> int:
    """Completed years (周岁) on `day`. Someone born on 29 February turns a year older on
    1 March in common years."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def _local_today() -> date:
    return timezone.localdate() if settings.USE_TZ else date.today()


def _id_error(message: Any, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"id_number": [str(message)]})


def _looks_float_rounded(value: int) -> bool:
    """An integer beyond 2**53 that a float holds exactly probably went through a float."""
    return value > 2**53 and int(float(value)) == value


def parse_id_number(raw: object, *, today: date | None = None) -> IdNumber:
    """Validate and normalise a resident ID number or a permanent-residence card number.
    Accepts the 18-character form (lower-case `x` too) and the legacy 15-digit form. Address
    codes are not checked against the current division list: old codes stay valid."""
    if isinstance(raw, float):
        if math.isnan(raw):
            raise _id_error(_ID_REQUIRED, "id_number.format")
        # Excel keeps 15 significant digits, so a 15-digit legacy number survives as a float.
        if raw.is_integer() and 10**14 <= raw < 10**15:
            return _parse_text(str(int(raw)), today)
        raise _id_error(_ID_EXCEL_NUMBER, "id_number.excel_number")
    if isinstance(raw, int) and not isinstance(raw, bool):
        try:
            return _parse_text(_text_of(raw), today)
        except ValidationFailed as exc:
            digits = _text_of(raw)
            failed_check = exc.code in {"id_number.checksum", "id_number.birth_date"}
            # Only an 18-digit int can have lost digits (and only such fits in a float).
            lost_digits = len(digits) == 18 and (digits.endswith("00") or _looks_float_rounded(raw))
            if failed_check and lost_digits:
                raise _id_error(_ID_EXCEL_NUMBER, "id_number.excel_number") from None
            raise
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        return parse_id_number(int(raw), today=today)
    return _parse_text(normalize_text(raw), today)


def _parse_text(text: str, today: date | None) -> IdNumber:
    if not text:
        raise _id_error(_ID_REQUIRED, "id_number.format")
    if ("." in text or "E" in text) and _EXCEL_NUMBER.match(text):
        raise _id_error(_ID_EXCEL_NUMBER, "id_number.excel_number")
    if not _ID_CHARS.match(text):
        raise _id_error(_ID_BAD_CHARS, "id_number.format")
    if _ID_15.match(text):
        number = upgrade_id_number(text)
        upgraded = True
    elif _ID_18.match(text):
        number = text
        upgraded = False
    else:
        raise _id_error(_ID_BAD_LENGTH % {"length": len(text)}, "id_number.format")

    birth_date = _birth_date(number[6:14], today)
    if not upgraded and number[17] != id_number_check_char(number[:17]):
        message = _ID_CHECKSUM_TRAILING_ZEROS if number.endswith("000") else _ID_CHECKSUM
        raise _id_error(message, "id_number.checksum")
    return IdNumber(
        number=number,
        birth_date=birth_date,
        sex="male" if int(number[16]) % 2 == 1 else "female",
        kind="permanent_residence" if number.startswith("9") else "resident",
        upgraded_from_15=upgraded,
        address_code=number[:6],
    )


def _birth_date(digits: str, today: date | None) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise _id_error(_ID_BAD_DATE, "id_number.birth_date") from None
    if born > (today or _local_today()):
        raise _id_error(_ID_FUTURE_DATE, "id_number.birth_date")
    if born < EARLIEST_BIRTH_DATE:
        raise _id_error(_ID_ANCIENT_DATE, "id_number.birth_date")
    return born


# --- Unified social credit codes (GB 32100-2015) -----------------------------------------------

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
CREDIT_FORBIDDEN_LETTERS = "IOZSV"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_CREDIT_CHARS = re.compile(rf"^[{CREDIT_ALPHABET}]*$")

_CREDIT_REQUIRED = _("请填写统一社会信用代码。")
_CREDIT_FORBIDDEN = _(
    "统一社会信用代码中不会出现字母 I、O、Z、S、V，请检查是否把数字 1、0、2、5 等误写成了字母。"
)
_CREDIT_BAD_CHARS = _(
    "统一社会信用代码只能由数字和大写字母组成（不含 I、O、Z、S、V），请检查是否混入了其他字符。"
)
_CREDIT_BAD_LENGTH = _(
    "统一社会信用代码应为 18 位，当前为 %(length)d 位，请对照证照核对是否漏填或多填。"
)
_CREDIT_CHECKSUM = _(
    "统一社会信用代码校验不通过，可能有字符填错，请对照营业执照或登记证书逐位核对。"
)

# Messages for `CreditCode.warnings`: shown to the user, who may go on after checking.
CREDIT_CODE_WARNINGS: dict[str, Any] = {
    "credit_code.org_code_checksum": _(
        "统一社会信用代码中的组织机构代码部分（第 9–17 位）校验不通过，"
        "请对照证照核对；如确认与证照一致，可以继续。"
    ),
}


@dataclass(frozen=True)
class CreditCode:
    code: str
    department: str  # registering department: 1 机构编制, 5 民政, 9 工商, N 农业, Y other…
    org_type: str  # under 5: 1 社会团体, 2 民办非企业单位/社会服务机构, 3 基金会, 9 other
    region_code: str  # GB/T 2260 code of the registering authority (positions 3–8)
    org_code: str  # organisation code, GB 11714 (positions 9–17)
    warnings: tuple[str, ...] = ()  # codes, see CREDIT_CODE_WARNINGS


def credit_code_check_char(body: str) -> str:
    """Check character for the first 17 characters of a credit code (all in the alphabet)."""
    total = sum(
        CREDIT_ALPHABET.index(char) * weight
        for char, weight in zip(body, CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body: str) -> str | None:
    """Check character for the first 8 characters of an organisation code (GB 11714), or None
    when they contain something other than digits and letters."""
    total = 0
    for char, weight in zip(body, ORG_CODE_WEIGHTS, strict=True):
        if "0" <= char <= "9":
            value = ord(char) - ord("0")
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        else:
            return None
        total += value * weight
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _credit_error(message: Any, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"credit_code": [str(message)]})


def parse_credit_code(raw: object) -> CreditCode:
    """Validate and normalise a unified social credit code. Codes starting with a letter (N…,
    Y…) are valid. A mismatching embedded organisation-code check is only a warning."""
    text = normalize_text(raw)
    if not text:
        raise _credit_error(_CREDIT_REQUIRED, "credit_code.format")
    if any(char in CREDIT_FORBIDDEN_LETTERS for char in text):
        raise _credit_error(_CREDIT_FORBIDDEN, "credit_code.format")
    if not _CREDIT_CHARS.match(text):
        raise _credit_error(_CREDIT_BAD_CHARS, "credit_code.format")
    if len(text) != 18:
        raise _credit_error(_CREDIT_BAD_LENGTH % {"length": len(text)}, "credit_code.format")
    if text[17] != credit_code_check_char(text[:17]):
        raise _credit_error(_CREDIT_CHECKSUM, "credit_code.checksum")
    org_code = text[8:17]
    warnings: tuple[str, ...] = ()
    if org_code[8] != org_code_check_char(org_code[:8]):
        warnings = ("credit_code.org_code_checksum",)
    return CreditCode(
        code=text,
        department=text[0],
        org_type=text[1],
        region_code=text[2:8],
        org_code=org_code,
        warnings=warnings,
    )


# --- Mobile phone numbers ----------------------------------------------------------------------

_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9][0-9]{9})$")
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=[0-9])")
_PHONE_PUNCTUATION = re.compile(r"[().]")
_DECIMAL_ZERO = re.compile(r"\.0+$")  # "13812345678.0" from a CSV of number cells

_PHONE_REQUIRED = _("请填写手机号码。")
_PHONE_LANDLINE = _("只支持中国大陆手机号码（11 位，以 1 开头），不支持固定电话，请填写手机号码。")
_PHONE_FORMAT = _(
    "手机号码格式不正确：应为 11 位中国大陆手机号码（以 13–19 开头），可以带 +86 前缀。"
)


def _phone_error(message: Any) -> ValidationFailed:
    return ValidationFailed(message, code="phone.format", fields={"phone": [str(message)]})


def parse_phone(raw: object) -> str:
    """Mainland mobile number in any common spelling -> E.164 (`+8613812345678`).
    Landlines and other numbers are rejected with `phone.format`."""
    if isinstance(raw, float):
        # A spreadsheet cell stored as a number: 11 digits survive exactly.
        if not raw.is_integer():
            raise _phone_error(_PHONE_FORMAT)
        raw = int(raw)
    text = _PHONE_PUNCTUATION.sub("", _DECIMAL_ZERO.sub("", normalize_text(raw)))
    if not text:
        raise _phone_error(_PHONE_REQUIRED)
    match = _MOBILE.match(text)
    if match:
        return "+86" + match.group(1)
    if _is_landline(text):
        raise _phone_error(_PHONE_LANDLINE)
    raise _phone_error(_PHONE_FORMAT)


def _is_landline(text: str) -> bool:
    """Area code with trunk 0 (0571…), international form without it (+86 571…), or a bare
    7–8 digit local number."""
    national = _COUNTRY_PREFIX.sub("", text)
    if not national.isdigit() or not national.isascii():
        return False
    if national.startswith("0"):
        return 10 <= len(national) <= 12
    if national != text:  # had a country prefix; Beijing's area code is 10
        area_code = national[0] in "23456789" or national.startswith("10")
        return area_code and 9 <= len(national) <= 11
    return national[0] in "2345678" and 7 <= len(national) <= 8
