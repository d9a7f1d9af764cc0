"""Who may do what with the register of social organisations.

- Read: WORKER_ROLES and charity staff when the registering region or a coverage region lies in
  their scope; org staff their own organisation (grant.organization_id). Residents and
  volunteers have no access to the register (public disclosure comes later).
- Edit facts: township officers, civil affairs and admins for organisations registered in their
  scope; community workers for community social organisations of their community; org staff
  their own organisation, except the official facts (name, registering region, credit code …,
  `OFFICIAL_FIELDS` in services.py) that the registering authority keeps.
- Lifecycle (file, register, deregister): township officers, civil affairs, admins in scope.
- Grade: civil affairs and admins in scope (the evaluation is theirs).
- Auditors and social workers read only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, Role
from wushe.accounts.scoping import grants_of, has_role, in_scope
from wushe.regions import codes

from .models import Organization, OrganizationContact, OrgKind

READ_ROLES = frozenset(WORKER_ROLES | {Role.CHARITY_STAFF})
AUTHORITY_ROLES = frozenset({Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN})
EDITOR_ROLES = frozenset(AUTHORITY_ROLES | {Role.COMMUNITY_WORKER})
GRADE_ROLES = frozenset({Role.CIVIL_AFFAIRS, Role.ADMIN})
EXPORT_ROLES = frozenset(WORKER_ROLES)


def coverage_codes(organization: Organization) -> list[str]:
    """Codes of the coverage regions (uses a prefetch when the selector made one)."""
    if organization.pk is None:
        return []
    return [region.code for region in organization.coverage.all()]


def own_organization_ids(user: Any) -> set[int]:
    return {
        g.organization_id
        for g in grants_of(user)
        if g.role == Role.ORG_STAFF and g.organization_id is not None
    }


def _reaches(user: Any, organization: Organization, roles: Iterable[str]) -> bool:
    wanted = frozenset(roles)
    if in_scope(user, str(organization.region_id), wanted):
        return True
    return any(in_scope(user, code, wanted) for code in coverage_codes(organization))


def may_read(user: Any, organization: Organization) -> bool:
    return organization.pk in own_organization_ids(user) or _reaches(user, organization, READ_ROLES)


def may_place(user: Any, *, org_kind: str, region_code: str, coverage: Iterable[str]) -> bool:
    """Whether the user may keep an organisation with these facts: the registering region in
    an authority's scope, or, for a community worker, a community social organisation that
    serves their community and is registered there or above it (e.g. filed with the township)."""
    if in_scope(user, region_code, AUTHORITY_ROLES):
        return True
    if org_kind != OrgKind.COMMUNITY:
        return False
    prefix = codes.significant_prefix(region_code)
    return any(
        code.startswith(prefix) and in_scope(user, code, {Role.COMMUNITY_WORKER})
        for code in [region_code, *coverage]
    )


def may_change_official(user: Any, organization: Organization) -> bool:
    return may_place(
        user,
        org_kind=organization.org_kind,
        region_code=str(organization.region_id),
        coverage=coverage_codes(organization),
    )


def may_change(user: Any, organization: Organization) -> bool:
    return organization.pk in own_organization_ids(user) or may_change_official(user, organization)


@rules.predicate
def can_view(user: Any, organization: Organization | None = None) -> bool:
    if organization is None:  # may open the register at all (menu, list page)
        return has_role(user, *READ_ROLES) or bool(own_organization_ids(user))
    return may_read(user, organization)


@rules.predicate
def can_add(user: Any) -> bool:
    return has_role(user, *EDITOR_ROLES)


@rules.predicate
def can_change(user: Any, organization: Organization | None = None) -> bool:
    if organization is None:
        return has_role(user, *EDITOR_ROLES) or bool(own_organization_ids(user))
    return may_change(user, organization)


@rules.predicate
def can_change_official(user: Any, organization: Organization | None = None) -> bool:
    if organization is None:
        return has_role(user, *EDITOR_ROLES)
    return may_change_official(user, organization)


@rules.predicate
def can_manage_lifecycle(user: Any, organization: Organization | None = None) -> bool:
    if organization is None:
        return has_role(user, *AUTHORITY_ROLES)
    return in_scope(user, str(organization.region_id), AUTHORITY_ROLES)


@rules.predicate
def can_grade(user: Any, organization: Organization | None = None) -> bool:
    if organization is None:
        return has_role(user, *GRADE_ROLES)
    return in_scope(user, str(organization.region_id), GRADE_ROLES)


@rules.predicate
def can_view_contact(user: Any, contact: OrganizationContact | None = None) -> bool:
    return contact is not None and may_read(user, contact.organization)


@rules.predicate
def can_reveal_contact(user: Any, contact: OrganizationContact | None = None) -> bool:
    # Those who keep the record call its contact; auditors and readers see the mask only.
    return contact is not None and may_change(user, contact.organization)


@rules.predicate
def can_import(user: Any) -> bool:
    return has_role(user, *EDITOR_ROLES)


@rules.predicate
def can_export(user: Any) -> bool:
    return has_role(user, *EXPORT_ROLES)


rules.add_perm("organizations.view_organization", can_view)
rules.add_perm("organizations.add_organization", can_add)
rules.add_perm("organizations.change_organization", can_change)
rules.add_perm("organizations.change_official_organization", can_change_official)
rules.add_perm("organizations.manage_lifecycle_organization", can_manage_lifecycle)
rules.add_perm("organizations.grade_organization", can_grade)
rules.add_perm("organizations.view_organizationcontact", can_view_contact)
rules.add_perm("organizations.reveal_organizationcontact", can_reveal_contact)
rules.add_perm("organizations.import_organizations", can_import)
rules.add_perm("organizations.export_organizations", can_export)
