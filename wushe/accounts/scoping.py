"""The one scoping mechanism. Every read and write of region-bound data goes through it:
pages, API, admin and commands. A user's scope is the union of the code ranges of their active
grants; an object outside it is "not found" (404), never shown.

Grants are read once per request and cached on the user object."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from wushe.core.errors import NotFound
from wushe.regions import codes

from .roles import WORKER_ROLES, Role

NATIONWIDE = ""  # the prefix of an admin grant without a region
_CACHE_ATTR = "_wushe_grants"
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Grant:
    role: str
    region_code: str | None
    prefix: str
    organization_id: int | None


def grants_of(user: Any) -> tuple[Grant, ...]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from .models import RoleGrant

    rows = RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list(
        "role", "region_id", "organization_id"
    )
    return remember_grants(user, rows)


def remember_grants(
    user: Any, rows: Iterable[tuple[str, str | None, int | None]]
) -> tuple[Grant, ...]:
    """Cache on `user` its live grants from (role, region_id, organization_id) rows that the
    caller already read (token authentication reads them with the token: one query less per
    API request); `grants_of` then answers from the cache."""
    grants: list[Grant] = []
    for role, region_code, organization_id in rows:
        prefix = codes.significant_prefix(region_code) if region_code else NATIONWIDE
        grants.append(Grant(role, region_code, prefix, organization_id))
    if user.is_superuser and not any(g.role == Role.ADMIN for g in grants):
        grants.append(Grant(Role.ADMIN, None, NATIONWIDE, None))
    result = tuple(grants)
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_grants(user: Any) -> None:
    """Drop the per-request cache after grants changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: Any) -> set[str]:
    return {g.role for g in grants_of(user)}


def has_role(user: Any, *roles: str) -> bool:
    wanted = set(roles)
    return any(g.role in wanted for g in grants_of(user))


def scope_prefixes(user: Any, roles: Iterable[str] = WORKER_ROLES) -> list[str]:
    """Minimal list of code prefixes the user covers through grants of `roles`.
    [""] means nationwide; [] means nothing."""
    wanted = set(roles)
    prefixes = sorted({g.prefix for g in grants_of(user) if g.role in wanted}, key=len)
    minimal: list[str] = []
    for prefix in prefixes:
        if not any(prefix.startswith(kept) for kept in minimal):
            minimal.append(prefix)
    return minimal


def scope_q(user: Any, field: str, roles: Iterable[str] = WORKER_ROLES) -> Q:
    """A filter on `field` (a 12-digit region code or a FK to Region) limiting rows to the
    user's scope. One index range scan per grant. Nationwide scope is the empty Q(): combine
    the result with `&` only (`Q() | x` is `x`, which would narrow a nationwide scope)."""
    prefixes = scope_prefixes(user, roles)
    if NATIONWIDE in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        low, high = codes.scope_range(prefix)
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q


def scope_filter(
    queryset: models.QuerySet[M], user: Any, field: str, roles: Iterable[str] = WORKER_ROLES
) -> models.QuerySet[M]:
    return queryset.filter(scope_q(user, field, roles))


def in_scope(user: Any, region_code: str, roles: Iterable[str] | None = None) -> bool:
    """Whether the user's grants (of `roles`, default any role) cover the region."""
    wanted = set(roles) if roles is not None else None
    return any(
        region_code.startswith(g.prefix)
        for g in grants_of(user)
        if wanted is None or g.role in wanted
    )


def get_in_scope(
    queryset: models.QuerySet[M],
    user: Any,
    field: str,
    roles: Iterable[str] = WORKER_ROLES,
    **lookup: Any,
) -> M:
    """Fetch one object inside the user's scope, or raise NotFound (also when it exists but
    lies outside the scope: its existence is not revealed)."""
    obj = scope_filter(queryset, user, field, roles).filter(**lookup).first()
    if obj is None:
        raise NotFound()
    return obj
