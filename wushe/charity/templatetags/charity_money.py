"""`{{ fen|yuan }}` → ¥1,234.50 (integer fen in, never float)."""

from __future__ import annotations

from django import template

from wushe.charity.money import format_fen

register = template.Library()


@register.filter
def yuan(fen: object) -> str:
    if fen is None or fen == "":
        return ""
    return format_fen(int(fen))  # type: ignore[call-overload]
