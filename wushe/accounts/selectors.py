from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ApiToken, RoleGrant


def grants_for_display(*, user: Any) -> QuerySet[RoleGrant]:
    return (
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
        .select_related("region", "organization")
        .order_by("role", "region_id")
    )


def tokens_of(*, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
