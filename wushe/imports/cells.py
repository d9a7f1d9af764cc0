"""Turning one spreadsheet cell into a clean value by the column's `Kind` (see adapters.py).

A converter is made once per column (`converter_for`) and then called for every row, so
nothing here looks anything up per cell: taxonomy terms arrive as a prepared dict and regions
through a `RegionResolver` that caches per distinct value. A bad cell raises `CellError(rule,
message)`; the engine turns it into the issue `<entity>.<field>.<rule>`. Empty cells never reach
a converter."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

from wushe.core.bounds import INT4_MAX, INT8_MAX
from wushe.core.errors import ValidationFailed
from wushe.core.identifiers import parse_credit_code, parse_id_number, parse_phone

from .adapters import Column, Kind
from .reader import FORMULA_NO_VALUE, ErrorValue

Converter = Callable[[Any], Any]


class CellError(Exception):
    def __init__(self, rule: str, message: Any) -> None:
        super().__init__(str(message))
        self.rule = rule
        self.message = message


class RegionResolver(Protocol):
    def resolve(self, value: str) -> str: ...


def is_empty(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


# --- text ----------------------------------------------------------------------------------


def number_text(value: int | float | Decimal) -> str:
    """A numeric cell as people read it: 12.0 → "12", 0.1 → "0.1" (no float noise)."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def cell_text(value: Any) -> str:
    """Any cell as clean text: NFKC (full-width → ASCII), whitespace runs folded, trimmed."""
    if isinstance(value, str):
        text = value if value.isascii() else unicodedata.normalize("NFKC", value)
        return " ".join(text.split())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return number_text(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


def display_value(value: Any, limit: int = 200) -> str:
    """The raw cell for an error report (before masking)."""
    if value is None:
        return ""
    if value is FORMULA_NO_VALUE:
        return "=…"
    return cell_text(value)[:limit]


def _check_special(value: Any) -> None:
    if value is FORMULA_NO_VALUE:
        raise CellError(
            "formula",
            _("该单元格是公式且没有计算结果，请复制后“粘贴为数值”再导入"),
        )
    if isinstance(value, ErrorValue):
        raise CellError(
            "formula",
            _("该单元格显示错误值 %(error)s（公式出错），请修正公式或改为直接填写数值。")
            % {"error": value.text},
        )


def _text(column: Column) -> Converter:
    max_length = column.max_length

    def convert(value: Any) -> str:
        text = cell_text(value)
        if max_length is not None and len(text) > max_length:
            raise CellError(
                "too_long",
                _("内容过长：最多 %(max)d 个字，当前 %(length)d 个字。")
                % {"max": max_length, "length": len(text)},
            )
        return text

    return convert


# --- identifiers ---------------------------------------------------------------------------


def _rule_of(exc: ValidationFailed) -> str:
    """`id_number.checksum` → `checksum` (the entity and field come from the column)."""
    return exc.code.split(".", 1)[1] if "." in exc.code else exc.code


def _id_number(today: date) -> Converter:
    def convert(value: Any) -> Any:
        try:
            return parse_id_number(value, today=today)
        except ValidationFailed as exc:
            raise CellError(_rule_of(exc), exc.message) from None

    return convert


def _credit_code(value: Any) -> Any:
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        value = number_text(value)
    try:
        return parse_credit_code(value)
    except ValidationFailed as exc:
        raise CellError(_rule_of(exc), exc.message) from None


def _phone(value: Any) -> str:
    try:
        return parse_phone(value)
    except ValidationFailed as exc:
        raise CellError(_rule_of(exc), exc.message) from None


# --- dates ---------------------------------------------------------------------------------

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T ]?\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.\d+)?$")
MAX_SERIAL = 109_574  # 2199-12-31


def _bad_date(value: Any) -> CellError:
    return CellError(
        "date",
        _("日期“%(value)s”无法识别，请填写为 2024-01-05、2024/1/5 或 2024年1月5日 这样的格式。")
        % {"value": display_value(value, 40)},
    )


def _from_parts(year: int, month: int, day: int, original: Any) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(
            "date",
            _("日期“%(value)s”不存在（例如 2 月 30 日），请核对年月日。")
            % {"value": display_value(original, 40)},
        ) from None


def _year_only(value: Any) -> CellError:
    return CellError(
        "date",
        _("“%(value)s”只有年份，请填写完整的年月日，例如 2024-01-05。")
        % {"value": display_value(value, 40)},
    )


def _date(epoch: datetime) -> Converter:
    def from_serial(serial: float, original: Any) -> date:
        if not 1 <= serial <= MAX_SERIAL:
            raise _bad_date(original)
        try:
            result = from_excel(serial, epoch)
        except (ValueError, OverflowError):
            raise _bad_date(original) from None
        return result.date() if isinstance(result, datetime) else result

    def from_number(number: float, original: Any) -> date:
        if number.is_integer():
            whole = int(number)
            if 19000101 <= whole <= 21991231:
                text = str(whole)
                return _from_parts(int(text[:4]), int(text[4:6]), int(text[6:]), original)
            if 1900 <= whole <= 2199:
                raise _year_only(original)
        return from_serial(number, original)

    def convert(value: Any) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, time | timedelta | bool):
            raise _bad_date(value)
        if isinstance(value, int | float | Decimal):
            number = float(value)
            if math.isnan(number) or math.isinf(number):
                raise _bad_date(value)
            return from_number(number, value)
        text = cell_text(value)
        match = _DATE.match(text)
        if match:
            return _from_parts(int(match[1]), int(match[2]), int(match[3]), value)
        match = _COMPACT.match(text)
        if match:
            return _from_parts(int(match[1]), int(match[2]), int(match[3]), value)
        if _SERIAL.match(text):
            return from_number(float(text), value)
        raise _bad_date(value)

    return convert


# --- numbers -------------------------------------------------------------------------------

_NUMBER_NOISE = re.compile(r"[\s,，_']")
_MONEY_NOISE = re.compile(r"[\s,，_'¥￥]|人民币|元整?$|RMB", re.IGNORECASE)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("int", _("应填写整数。"))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError("int", _("应填写整数，当前为 %(value)s。") % {"value": number_text(value)})
    text = _NUMBER_NOISE.sub("", cell_text(value))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(
            "int", _("“%(value)s”不是整数。") % {"value": display_value(value, 40)}
        ) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise CellError("int", _("“%(value)s”不是整数。") % {"value": display_value(value, 40)})
    return int(number)


def _at_most(inner: Converter, limit: int, too_large: Any) -> Converter:
    """`inner`, refusing a number above `limit`: a value the column cannot hold made saving
    the row fail in the database (PostgreSQL int4/int8) instead of naming the cell."""

    def convert(value: Any) -> Any:
        number = inner(value)
        if number > limit:
            raise CellError("too_large", too_large % {"max": limit})
        return number

    return convert


def _money_fen(value: Any) -> int:
    """Yuan → integer fen with Decimal: "1,234.5" → 123450. A float cell is read through its
    shortest repr (the number Excel showed), never multiplied as a float."""
    if isinstance(value, bool):
        raise CellError("money", _("应填写金额（元）。"))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise CellError("money", _("应填写金额（元）。"))
        amount = Decimal(repr(value))
    elif isinstance(value, int | Decimal):
        amount = Decimal(value)
    else:
        text = _MONEY_NOISE.sub("", cell_text(value))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError(
                "money",
                _("“%(value)s”不是有效的金额，请填写以元为单位的数字，例如 1234.50。")
                % {"value": display_value(value, 40)},
            ) from None
    if not amount.is_finite():
        raise CellError("money", _("应填写金额（元）。"))
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError("money", _("金额最多保留两位小数（精确到分）。"))
    if fen < 0:
        raise CellError("money", _("金额不能为负数。"))
    return int(fen)


# --- yes/no, choices, lists ----------------------------------------------------------------

_TRUE = frozenset({"是", "y", "yes", "1", "√", "✓", "✔", "true", "t", "有", "对", "已", "是的"})
_FALSE = frozenset({"否", "n", "no", "0", "×", "✗", "✘", "false", "f", "无", "没有", "不是", "未"})


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(
        "bool", _("“%(value)s”应填写“是”或“否”。") % {"value": display_value(value, 40)}
    )


def _choice(column: Column) -> Converter:
    lookup: dict[str, Any] = {}
    labels: list[str] = []
    for choice_value, label in column.choices:
        labels.append(str(label))
        lookup.setdefault(cell_text(str(label)).lower(), choice_value)
        lookup.setdefault(cell_text(str(choice_value)).lower(), choice_value)

    def convert(value: Any) -> Any:
        found = lookup.get(cell_text(value).lower(), _MISSING)
        if found is _MISSING:
            raise CellError(
                "choice",
                _("“%(value)s”不是可选的值，可选：%(choices)s。")
                % {"value": display_value(value, 40), "choices": "、".join(labels)},
            )
        return found

    return convert


_MISSING = object()
_SPLIT = re.compile(r"[、,，;；/／|｜\s]+")


def split_list(value: Any) -> list[str]:
    items: list[str] = []
    for part in _SPLIT.split(cell_text(value)):
        if part and part not in items:
            items.append(part)
    return items


def _terms(column: Column, terms: Mapping[str, Any]) -> Converter:
    def convert(value: Any) -> list[Any]:
        found: list[Any] = []
        unknown: list[str] = []
        for part in split_list(value):
            term = terms.get(part.lower())
            if term is None:
                unknown.append(part)
            elif term not in found:
                found.append(term)
        if unknown:
            raise CellError(
                "term",
                _("“%(values)s”不在可选目录中，请使用模板“填写说明”中列出的名称。")
                % {"values": "、".join(unknown)},
            )
        return found

    return convert


def _multi(value: Any) -> list[str]:
    return split_list(value)


def _region(resolver: RegionResolver) -> Converter:
    def convert(value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return resolver.resolve(cell_text(value))

    return convert


def _guarded(inner: Converter) -> Converter:
    def convert(value: Any) -> Any:
        if value is FORMULA_NO_VALUE or isinstance(value, ErrorValue):
            _check_special(value)
        return inner(value)

    return convert


def converter_for(
    column: Column,
    *,
    today: date,
    epoch: datetime,
    terms: Mapping[str, Any] | None = None,
    regions: RegionResolver | None = None,
) -> Converter:
    """The converter of one column (made once per import run)."""
    kind = column.kind
    inner: Converter
    if kind == Kind.TEXT:
        inner = _text(column)
    elif kind == Kind.ID_NUMBER:
        inner = _id_number(today)
    elif kind == Kind.CREDIT_CODE:
        inner = _credit_code
    elif kind == Kind.PHONE:
        inner = _phone
    elif kind == Kind.DATE:
        inner = _date(epoch)
    elif kind == Kind.INT:
        limit = INT4_MAX if column.max_value is None else column.max_value
        inner = _at_most(_int, limit, _("数值过大，不能超过 %(max)d。"))
    elif kind == Kind.MONEY_FEN:
        limit = INT8_MAX if column.max_value is None else column.max_value
        inner = _at_most(_money_fen, limit, _("金额过大，不能超过 %(max)d 分。"))
    elif kind == Kind.BOOL:
        inner = _bool
    elif kind == Kind.CHOICE:
        inner = _choice(column)
    elif kind == Kind.TERMS:
        inner = _terms(column, terms or {})
    elif kind == Kind.MULTI:
        inner = _multi
    elif kind == Kind.REGION:
        if regions is None:
            raise ValueError(f"column {column.field}: REGION needs a resolver")
        inner = _region(regions)
    else:
        raise ValueError(f"column {column.field}: unknown kind {kind!r}")
    return _guarded(inner)


def required_message(column: Column) -> str:
    return gettext("“%(header)s”是必填项，不能为空。") % {"header": column.header}


def kinds_help(column: Column) -> str:
    """What a cell of this kind accepts, for the template's notes sheet."""
    kind = column.kind
    if kind == Kind.ID_NUMBER:
        return gettext("18 位身份证号（旧 15 位也可），末位 X 大小写均可；请把该列设为“文本”格式。")
    if kind == Kind.CREDIT_CODE:
        return gettext("18 位统一社会信用代码。")
    if kind == Kind.PHONE:
        return gettext("11 位手机号码，可带 +86。")
    if kind == Kind.DATE:
        return gettext("日期，如 2024-01-05、2024/1/5 或 2024年1月5日。")
    if kind == Kind.INT:
        if column.max_value is not None:
            return gettext("整数，最大 %(max)d。") % {"max": column.max_value}
        return gettext("整数。")
    if kind == Kind.MONEY_FEN:
        return gettext("金额（元），最多两位小数。")
    if kind == Kind.BOOL:
        return gettext("填“是”或“否”。")
    if kind == Kind.CHOICE:
        return gettext("可选：%(choices)s。") % {
            "choices": "、".join(str(label) for _value, label in column.choices)
        }
    if kind in (Kind.TERMS, Kind.MULTI):
        return gettext("可填多个，用顿号“、”或逗号分隔。")
    if kind == Kind.REGION:
        return gettext("12 位区划代码或社区（村）名称，须在您的管辖范围内。")
    if column.max_length:
        return gettext("文字，最多 %(max)d 个字。") % {"max": column.max_length}
    return ""
