"""Template helpers of the residents pages: presentation only, the rules live in rules.py."""

from __future__ import annotations

from typing import Any

from django import template

from wushe.residents.rules import TagView, tag_views

register = template.Library()


@register.simple_tag(takes_context=True)
def visible_tags(context: template.Context, resident: Any) -> list[TagView]:
    """The current tags of a listed resident (prefetched as `current_tags`) as the signed-in
    user may see them (sensitive tags hidden behind one placeholder where the rules say so)."""
    user = context["request"].user
    return tag_views(user, resident, getattr(resident, "current_tags", []))
