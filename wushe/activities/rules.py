"""Who sees which activity pages (django-rules). The services check scope themselves.

- Create activities: the writer roles (workers in their region: community, social worker,
  organisation staff, township, civil affairs, admin).
- Manage one activity (QR codes, sign-in sheet, its records): its organiser or a writer in
  the activity's region.
- Verification queue and export: the writer roles, and anyone who organised an activity.
- Volunteer pages (sign up, my activities): a login linked to a volunteer record."""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WRITER_ROLES, Role
from wushe.accounts.scoping import has_role, in_scope

from .models import Activity


@rules.predicate
def is_writer(user: Any) -> bool:
    return has_role(user, *WRITER_ROLES, Role.ORG_STAFF)


@rules.predicate
def manages(user: Any, activity: Activity | None = None) -> bool:
    if activity is None:
        return False
    return activity.organiser_id == getattr(user, "pk", None) or in_scope(
        user, activity.region_id, WRITER_ROLES
    )


@rules.predicate
def organised_any(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and Activity.objects.filter(organiser_id=user.pk).exists()
    )


@rules.predicate
def is_volunteer(user: Any) -> bool:
    from wushe.volunteers.models import Volunteer

    return bool(
        getattr(user, "is_authenticated", False)
        and Volunteer.objects.filter(user_id=user.pk).exists()
    )


rules.add_perm("activities.add_activity", is_writer)
rules.add_perm("activities.manage_activity", manages)
rules.add_perm("activities.verify_records", is_writer | organised_any)
rules.add_perm("activities.volunteer", is_volunteer)
rules.add_perm("activities.view_list", is_volunteer | is_writer)
