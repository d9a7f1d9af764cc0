"""Permissions of the time bank (django-rules). Services check scope and ownership
themselves; these decide who sees the pages."""

from __future__ import annotations

from typing import Any

import rules

from .models import Account


@rules.predicate
def has_account(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and Account.objects.filter(user=user).exists()
    )


rules.add_perm("timebank.view_own", has_account)
