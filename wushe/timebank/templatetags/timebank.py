from __future__ import annotations

from decimal import Decimal

from django import template

from wushe.timebank.models import Scheme

register = template.Library()


@register.filter
def units(amount: int, scheme: Scheme) -> str:
    """An amount in the scheme's small unit as the user reads it: coins with two decimals
    (60 units = 1 coin), points as whole numbers. Display only: never computed with."""
    scale = scheme.unit_scale
    if scale == 1:
        return str(amount)
    return str((Decimal(amount) / Decimal(scale)).quantize(Decimal("0.01")))
