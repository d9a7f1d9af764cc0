"""Who may do what with indicators.

- **View** dashboards, breakdowns and annual reports: every worker role (community workers,
  township officers, civil affairs, auditors, admins …) for their own region and below; a
  region outside the scope is 404. Residents and volunteers see no indicators.
- **Set targets**: civil affairs and admins, for regions in their scope (a target set on a
  region applies to everything under it unless a deeper one is set).
- **Write the annual report's narrative**: community workers, township officers, civil affairs
  and admins, for a region in their scope. Auditors read only.
"""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, Role
from wushe.accounts.scoping import in_scope, scope_prefixes

TARGET_ROLES = frozenset({Role.CIVIL_AFFAIRS, Role.ADMIN})
REPORT_ROLES = frozenset(
    {Role.COMMUNITY_WORKER, Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN}
)


def _code(region: Any) -> str | None:
    if region is None:
        return None
    return str(getattr(region, "code", region))


@rules.predicate
def can_view(user: Any, region: Any = None) -> bool:
    code = _code(region)
    if code is None:
        return bool(scope_prefixes(user, WORKER_ROLES))
    return in_scope(user, code, WORKER_ROLES)


@rules.predicate
def can_set_targets(user: Any, region: Any = None) -> bool:
    code = _code(region)
    if code is None:
        return bool(scope_prefixes(user, TARGET_ROLES))
    return in_scope(user, code, TARGET_ROLES)


@rules.predicate
def can_edit_report(user: Any, region: Any = None) -> bool:
    code = _code(region)
    if code is None:
        return bool(scope_prefixes(user, REPORT_ROLES))
    return in_scope(user, code, REPORT_ROLES)


rules.add_perm("indicators.view", can_view)
rules.add_perm("indicators.set_targets", can_set_targets)
rules.add_perm("indicators.edit_report", can_edit_report)
