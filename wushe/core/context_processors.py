from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wushe.regions.models import Region

from . import nav


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = nav.items_for(user) if user is not None and user.is_authenticated else []
    working_region = None
    if items and hasattr(request, "session"):
        code = request.session.get("working_region")
        if code:
            working_region = Region.objects.filter(code=code).only("code", "short_name").first()
    return {"nav_items": items, "working_region": working_region}
