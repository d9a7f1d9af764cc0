"""`{% load notifications %}{% unread_count as n %}`: the signed-in user's unread messages
(0 for anonymous visitors). One COUNT on an indexed column per page that uses it."""

from __future__ import annotations

from typing import Any

from django import template

from wushe.notifications.selectors import unread_count as _unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context: Any) -> int:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return _unread_count(user=user)
