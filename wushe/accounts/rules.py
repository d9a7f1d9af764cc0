"""Who may do what, as django-rules predicates: checked by pages, API, admin and commands."""

from __future__ import annotations

from typing import Any

import rules

from .roles import Role
from .scoping import has_role


def role_predicate(*roles: str) -> Any:
    names = "_or_".join(roles)

    @rules.predicate(name=f"has_role_{names}")
    def _has(user: Any) -> bool:
        return has_role(user, *roles)

    return _has


is_admin = role_predicate(Role.ADMIN)
is_auditor = role_predicate(Role.AUDITOR)

rules.add_perm("accounts.view_own_profile", rules.is_authenticated)
rules.add_perm("accounts.manage_grants", is_admin)
