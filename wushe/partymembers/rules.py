"""Who may see, reveal and change party members' check-ins: workers (WORKER_ROLES) in scope
see them, the member linked to a check-in (`user`) sees their own; writers (WRITER_ROLES) in
scope add, change and end check-ins and may reveal full ID numbers and phones (as may the
member themself)."""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.scoping import has_role, in_scope


def _own(user: Any, checkin: Any) -> bool:
    return checkin.user_id is not None and checkin.user_id == getattr(user, "pk", None)


@rules.predicate
def can_view_checkin(user: Any, checkin: Any = None) -> bool:
    if checkin is None:
        return has_role(user, *WORKER_ROLES)
    return in_scope(user, checkin.region_id, WORKER_ROLES) or _own(user, checkin)


@rules.predicate
def can_write_checkin(user: Any, checkin: Any = None) -> bool:
    if checkin is None:
        return has_role(user, *WRITER_ROLES)
    return in_scope(user, checkin.region_id, WRITER_ROLES)


@rules.predicate
def is_own_checkin(user: Any, checkin: Any = None) -> bool:
    return checkin is not None and _own(user, checkin)


rules.add_perm("partymembers.view_partymembercheckin", can_view_checkin)
rules.add_perm("partymembers.add_partymembercheckin", can_write_checkin)
rules.add_perm("partymembers.change_partymembercheckin", can_write_checkin)
rules.add_perm("partymembers.reveal_partymembercheckin", can_write_checkin | is_own_checkin)
