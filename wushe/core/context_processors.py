from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import nav


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = nav.items_for(user) if user is not None and user.is_authenticated else []
    return {"nav_items": items, "platform_name": "五社联动"}
