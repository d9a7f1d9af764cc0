from __future__ import annotations

from datetime import date
from typing import Any

from django import template

from ..models import Organization

register = template.Library()


@register.simple_tag
def grade_badge(org: Organization, today: date) -> dict[str, Any]:
    """State of an organisation's grade on `today`: none / valid / expiring / expired, and
    the days left (for "等级将于 N 天后到期")."""
    return {"state": org.grade_state(today), "days": org.grade_days_left(today)}
