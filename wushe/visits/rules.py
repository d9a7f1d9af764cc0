"""Who may do what with visits (探访关爱). Checked by the services (every entry point goes
through them) and by pages for buttons; the selectors apply the same visibility.

- **See** enrolments, visits and due lists: WORKER_ROLES in scope (auditors read only); the
  visitor an enrolment is assigned to (a volunteer sees only the people assigned to them).
  Everyone else: 404.
- **Record a visit**: the assigned visitor; community workers and social workers in scope;
  admins in scope. Township officers and civil affairs supervise, they do not record.
- **Enrol, assign, end** (the visit list of a community): community workers, township
  officers and admins in scope.
- **Plan settings** (enrolment rules, frequencies, extreme-weather overrides) of a region:
  township officers (their township), civil affairs and admins in scope.
- **Overdue overview** across communities: township officers, civil affairs, auditors, admins.
- Which tags put a person on the list is shown as the residents app decides
  (`residents.view_sensitive_tags`): a volunteer sees the group, not 残疾人 or 孤儿.
"""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, Role
from wushe.accounts.scoping import has_role, in_scope

RECORD_ROLES = frozenset({Role.COMMUNITY_WORKER, Role.SOCIAL_WORKER, Role.ADMIN})
MANAGE_ROLES = frozenset({Role.COMMUNITY_WORKER, Role.TOWNSHIP_OFFICER, Role.ADMIN})
PLAN_ROLES = frozenset({Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN})
OVERVIEW_ROLES = frozenset({Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.AUDITOR, Role.ADMIN})
# Who may be made responsible for visiting (the grant they hold in or above the community).
VISITOR_ROLES = frozenset(
    {Role.COMMUNITY_WORKER, Role.SOCIAL_WORKER, Role.VOLUNTEER, Role.TOWNSHIP_OFFICER}
)


def _region(obj: Any) -> str:
    return str(getattr(obj, "region_id", "") or "")


def _uid(user: Any) -> Any:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


@rules.predicate
def is_visitor_of(user: Any, enrolment: Any) -> bool:
    uid = _uid(user)
    return uid is not None and getattr(enrolment, "visitor_id", None) == uid


@rules.predicate
def in_view_scope(user: Any, obj: Any) -> bool:
    return obj is not None and in_scope(user, _region(obj), WORKER_ROLES)


@rules.predicate
def in_record_scope(user: Any, obj: Any) -> bool:
    return obj is not None and in_scope(user, _region(obj), RECORD_ROLES)


@rules.predicate
def in_manage_scope(user: Any, obj: Any) -> bool:
    return obj is not None and in_scope(user, _region(obj), MANAGE_ROLES)


@rules.predicate
def in_plan_scope(user: Any, region_code: Any) -> bool:
    code = region_code if isinstance(region_code, str) else _region(region_code)
    return bool(code) and in_scope(user, code, PLAN_ROLES)


@rules.predicate
def sees_visit_lists(user: Any) -> bool:
    return has_role(user, *WORKER_ROLES, Role.VOLUNTEER)


@rules.predicate
def may_manage_some(user: Any) -> bool:
    return has_role(user, *MANAGE_ROLES)


@rules.predicate
def may_plan_some(user: Any) -> bool:
    return has_role(user, *PLAN_ROLES)


@rules.predicate
def sees_overview(user: Any) -> bool:
    return has_role(user, *OVERVIEW_ROLES)


rules.add_perm("visits.view_due", sees_visit_lists)
rules.add_perm("visits.view_enrolment", in_view_scope | is_visitor_of)
rules.add_perm("visits.record_visit", in_record_scope | is_visitor_of)
rules.add_perm("visits.manage_enrolments", may_manage_some)
rules.add_perm("visits.manage_enrolment", in_manage_scope)
rules.add_perm("visits.view_overview", sees_overview)
rules.add_perm("visits.view_plan", may_plan_some)
rules.add_perm("visits.change_plan", in_plan_scope)
