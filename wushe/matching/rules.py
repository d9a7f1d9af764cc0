"""Who may do what with matching (供需对接).

- **Suggestions** for a request: whoever may handle it (wushe.requests.rules.may_handle).
- **Batch proposals** of a township or county: township officers, civil affairs and admins
  whose scope covers the region create, review, confirm and discard them; auditors in scope
  read them. Confirming still dispatches through the request services, which check again
  that the actor may handle each request.
- **Settings** (weights, radius) of a region: civil affairs and admins in scope.
"""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import Role
from wushe.accounts.scoping import has_role, in_scope

PLANNER_ROLES = frozenset({Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN})
READER_ROLES = frozenset(PLANNER_ROLES | {Role.AUDITOR})
SETTINGS_ROLES = frozenset({Role.CIVIL_AFFAIRS, Role.ADMIN})


def may_plan_in(user: Any, region_code: str) -> bool:
    return in_scope(user, region_code, PLANNER_ROLES)


def may_view_proposal(user: Any, proposal: Any) -> bool:
    return in_scope(user, proposal.region_id, READER_ROLES)


def may_configure(user: Any, region_code: str) -> bool:
    return in_scope(user, region_code, SETTINGS_ROLES)


@rules.predicate
def is_planner(user: Any) -> bool:
    return has_role(user, *PLANNER_ROLES)


@rules.predicate
def is_reader(user: Any) -> bool:
    return has_role(user, *READER_ROLES)


@rules.predicate
def is_configurer(user: Any) -> bool:
    return has_role(user, *SETTINGS_ROLES)


rules.add_perm("matching.view_proposals", is_reader)
rules.add_perm("matching.plan", is_planner)
rules.add_perm("matching.configure", is_configurer)
