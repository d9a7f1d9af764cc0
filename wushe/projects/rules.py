"""Who may do what with calls and projects. Checked by the services; pages use the same
functions to show buttons; selectors apply the same visibility.

- **See** a project: WORKER_ROLES in scope of its region (auditors read only); staff of the
  applying organisation; reviewers on the call's panel. Everyone else: 404.
- **Manage** a call (create, panel, stop intake, close) and **decide** on its projects
  (approve, reject, evaluate, close): civil affairs, township officers and admins in scope of
  the call's region.
- **Apply**: staff of an organisation (ORG_STAFF grant naming it), while the call is open;
  workers (WRITER_ROLES) in scope of the service region on an organisation's behalf (a group
  of residents' needs turned into a proposal).
- **Deliver** (expenditures, activities, milestones, withdraw): staff of the project's
  organisation; managers in scope too (on behalf).
- **Review**: a panel member of the call who does not work for the applying organisation.
- **Rate**: a resident whose community lies in the project's region.
"""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES, Role
from wushe.accounts.scoping import grants_of, has_role, in_scope
from wushe.regions import codes

MANAGER_ROLES = frozenset({Role.CIVIL_AFFAIRS, Role.TOWNSHIP_OFFICER, Role.ADMIN})


def _uid(user: Any) -> Any:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def own_organization_ids(user: Any) -> set[int]:
    return {
        g.organization_id
        for g in grants_of(user)
        if g.role == Role.ORG_STAFF and g.organization_id is not None
    }


def is_panel_member(user: Any, call: Any) -> bool:
    from .models import PanelMember

    uid = _uid(user)
    if uid is None:
        return False
    return PanelMember.objects.filter(call_id=call.pk, user_id=uid).exists()


def works_for(user: Any, organization_id: int) -> bool:
    return organization_id in own_organization_ids(user)


def may_manage_call(user: Any, call: Any) -> bool:
    return in_scope(user, call.region_id, MANAGER_ROLES)


def may_decide(user: Any, project: Any) -> bool:
    return may_manage_call(user, project.call)


def may_view(user: Any, project: Any) -> bool:
    if in_scope(user, project.region_id, WORKER_ROLES) or in_scope(
        user, project.call.region_id, MANAGER_ROLES
    ):
        return True
    if works_for(user, project.organization_id):
        return True
    return is_panel_member(user, project.call)


def may_submit_for(user: Any, region_code: str) -> bool:
    """Workers who turn residents' needs into a proposal on behalf of an organisation."""
    return in_scope(user, region_code, WRITER_ROLES)


def may_deliver(user: Any, project: Any) -> bool:
    return works_for(user, project.organization_id) or may_decide(user, project)


def may_review(user: Any, project: Any) -> bool:
    return is_panel_member(user, project.call) and not works_for(user, project.organization_id)


def may_rate(user: Any, project: Any) -> bool:
    prefix = codes.significant_prefix(project.region_id)
    return any(
        g.role == Role.RESIDENT and (g.region_code or "").startswith(prefix)
        for g in grants_of(user)
    )


@rules.predicate
def is_manager(user: Any) -> bool:
    return has_role(user, *MANAGER_ROLES)


@rules.predicate
def is_org_staff(user: Any) -> bool:
    return bool(own_organization_ids(user))


@rules.predicate
def sees_projects(user: Any) -> bool:
    return has_role(user, *WORKER_ROLES, Role.ORG_STAFF) or _has_panel_seat(user)


def _has_panel_seat(user: Any) -> bool:
    from .models import PanelMember

    uid = _uid(user)
    return uid is not None and PanelMember.objects.filter(user_id=uid).exists()


rules.add_perm("projects.view_projects", sees_projects)
rules.add_perm("projects.manage_calls", is_manager)
rules.add_perm("projects.apply", is_org_staff)


@rules.predicate
def is_writer(user: Any) -> bool:
    return has_role(user, *WRITER_ROLES)


rules.add_perm("projects.propose_from_needs", is_writer)
