"""Who may do what with volunteers and teams (django-rules; checked by pages, API, import).

- Workers (WORKER_ROLES) see volunteers whose home community lies in their scope; writers
  (WRITER_ROLES: community worker for their community, social worker, township, civil
  affairs, admin) change them; the auditor only reads and reveals nothing.
- Org staff see the volunteers in teams of their organisation (read only, masked).
- A volunteer sees their own record and changes only phone, skills and availability.
- Residents have no access.
Outside these rules an object does not exist for the user (selectors scope, pages 404)."""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES, Role
from wushe.accounts.scoping import grants_of, has_role, in_scope

from .models import TeamMembership, Volunteer, VolunteerTeam
from .services import SELF_EDITABLE_FIELDS, UPDATABLE_FIELDS


def staff_organization_ids(user: Any) -> set[int]:
    return {
        g.organization_id
        for g in grants_of(user)
        if g.role == Role.ORG_STAFF and g.organization_id is not None
    }


def _region_of(obj: Any) -> str | None:
    if isinstance(obj, Volunteer | VolunteerTeam):
        return str(obj.region_id)
    if isinstance(obj, str):
        return obj
    return None


@rules.predicate
def is_worker_for(user: Any, obj: Any = None) -> bool:
    """Without an object: holds a worker role somewhere. With a volunteer, team or region
    code: it lies in the user's worker scope."""
    if obj is None:
        return has_role(user, *WORKER_ROLES)
    code = _region_of(obj)
    return code is not None and in_scope(user, code, WORKER_ROLES)


@rules.predicate
def is_writer_for(user: Any, obj: Any = None) -> bool:
    if obj is None:
        return has_role(user, *WRITER_ROLES)
    code = _region_of(obj)
    return code is not None and in_scope(user, code, WRITER_ROLES)


@rules.predicate
def is_own_record(user: Any, volunteer: Any = None) -> bool:
    return (
        isinstance(volunteer, Volunteer)
        and volunteer.user_id is not None
        and volunteer.user_id == getattr(user, "pk", None)
    )


@rules.predicate
def is_org_staff_for_volunteer(user: Any, volunteer: Any = None) -> bool:
    orgs = staff_organization_ids(user)
    if not orgs:
        return False
    if volunteer is None:
        return True
    return (
        isinstance(volunteer, Volunteer)
        and TeamMembership.objects.filter(
            volunteer=volunteer, team__organization_id__in=orgs
        ).exists()
    )


@rules.predicate
def is_org_staff_for_team(user: Any, team: Any = None) -> bool:
    orgs = staff_organization_ids(user)
    if team is None:
        return bool(orgs)
    return isinstance(team, VolunteerTeam) and team.organization_id in orgs


@rules.predicate
def is_team_member(user: Any, team: Any = None) -> bool:
    return (
        isinstance(team, VolunteerTeam)
        and getattr(user, "is_authenticated", False)
        and TeamMembership.objects.filter(team=team, volunteer__user=user).exists()
    )


@rules.predicate
def has_volunteer_role(user: Any) -> bool:
    return has_role(user, Role.VOLUNTEER)


@rules.predicate
def has_own_record(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and Volunteer.objects.filter(user=user).exists()


# Lists (no object): workers and org staff.
rules.add_perm("volunteers.list_volunteer", is_worker_for | is_org_staff_for_volunteer)
rules.add_perm(
    "volunteers.view_volunteer", is_worker_for | is_own_record | is_org_staff_for_volunteer
)
# Full ID/phone: writers in scope and the volunteer themself; never auditor or org staff.
rules.add_perm("volunteers.reveal_volunteer", is_writer_for | is_own_record)
rules.add_perm("volunteers.add_volunteer", is_writer_for)
rules.add_perm("volunteers.change_volunteer", is_writer_for | is_own_record)
rules.add_perm("volunteers.change_status_volunteer", is_writer_for)
rules.add_perm("volunteers.import_volunteer", is_writer_for)
rules.add_perm("volunteers.export_volunteer", is_worker_for)
rules.add_perm("volunteers.view_own_volunteer", has_volunteer_role | has_own_record)
rules.add_perm("volunteers.view_team", is_worker_for | is_org_staff_for_team | is_team_member)
rules.add_perm("volunteers.add_team", is_writer_for)
rules.add_perm("volunteers.change_team", is_writer_for)


def can_write_region(user: Any, region_code: str) -> bool:
    """Whether the user may register volunteers or create teams in the region."""
    return bool(is_writer_for(user, region_code))


def editable_fields(user: Any, volunteer: Volunteer) -> frozenset[str]:
    """What `user` may change in `volunteer` (empty: nothing)."""
    if is_writer_for(user, volunteer):
        return UPDATABLE_FIELDS
    if is_own_record(user, volunteer):
        return SELF_EDITABLE_FIELDS
    return frozenset()
