"""Permissions of the time bank (django-rules). Services check scope and ownership
themselves; these decide who sees the pages."""

from __future__ import annotations

from typing import Any

import rules

from .models import Account, SchemeKind


@rules.predicate
def has_account(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and Account.objects.filter(user=user).exists()
    )


rules.add_perm("timebank.view_own", has_account)


@rules.predicate
def is_worker(user: Any) -> bool:
    from wushe.accounts.roles import WORKER_ROLES
    from wushe.accounts.scoping import has_role

    return has_role(user, *WORKER_ROLES)


@rules.predicate
def has_points_account(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and Account.objects.filter(user=user, scheme__kind=SchemeKind.POINTS).exists()
    )


rules.add_perm("timebank.view_pools", is_worker)
rules.add_perm("timebank.view_schemes", is_worker)
rules.add_perm("timebank.redeem_store", has_points_account)
