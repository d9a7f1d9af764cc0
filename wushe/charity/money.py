"""Money in integer fen (分): formatting for display and parsing of yuan typed into forms.
Never float (domain.md §8): a yuan string goes through Decimal, and anything finer than a fen
is refused rather than rounded."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from wushe.core.errors import ValidationFailed

MAX_FEN = 10**15  # ¥10 trillion: far above any donation; guards the BigInteger columns
# One donation (money, or goods' estimated value): ¥1,000,000,000 (10亿元) is far above any
# single gift to a county foundation or a community fund, and a few typed zeros too many are
# caught (wushe.core.bounds has only a meal's price in fen, far too small for a donation).
DONATION_FEN_MAX = 10**11


def format_fen(fen: int) -> str:
    """12345050 -> '¥123,450.50'; negative amounts (reversals) get a leading minus."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def require_fen(
    value: object, *, field: str, code: str, allow_zero: bool = False, maximum: int = MAX_FEN
) -> int:
    """`value` as an integer number of fen (> 0, or >= 0 with allow_zero). A float, a bool or a
    string is refused: callers convert yuan with `parse_yuan` first."""
    if isinstance(value, bool) or not isinstance(value, int):
        message = _("金额必须是以分为单位的整数。")
        raise ValidationFailed(message, code=f"{code}_integer", fields={field: [message]})
    if value < 0 or (value == 0 and not allow_zero):
        message = _("金额必须大于零。") if not allow_zero else _("金额不能为负数。")
        raise ValidationFailed(message, code=f"{code}_positive", fields={field: [message]})
    if value > maximum:
        message = _("金额过大，请核对。")
        raise ValidationFailed(message, code=f"{code}_too_large", fields={field: [message]})
    return value


def parse_yuan(raw: object, *, field: str = "amount") -> int:
    """'1,234.5' / '¥1234.50' / '１２３４' -> fen. More than two decimals is an error."""
    text = str(raw or "").strip().replace(",", "").replace("，", "").replace("¥", "")
    text = text.replace("￥", "").replace("元", "").strip()
    text = text.translate({code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)})
    text = text.replace("．", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        message = _("请填写金额（元），如 1234.50。")
        raise ValidationFailed(message, code="money.format", fields={field: [message]}) from None
    if not amount.is_finite():
        message = _("请填写金额（元），如 1234.50。")
        raise ValidationFailed(message, code="money.format", fields={field: [message]})
    fen = amount * 100
    if fen != fen.to_integral_value():
        message = _("金额最多精确到分（两位小数）。")
        raise ValidationFailed(message, code="money.precision", fields={field: [message]})
    return int(fen)
