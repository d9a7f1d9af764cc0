"""Who may see and change service stations. Workers (WORKER_ROLES) see the stations in their
region scope, org staff the stations their organisation operates; writers (WRITER_ROLES)
change those in their scope. Outside it a station does not exist (selectors, 404)."""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES, Role
from wushe.accounts.scoping import grants_of, has_role, in_scope


def staff_organization_ids(user: Any) -> set[int]:
    """Organisations the user works for (org staff grants)."""
    return {
        g.organization_id
        for g in grants_of(user)
        if g.role == Role.ORG_STAFF and g.organization_id is not None
    }


@rules.predicate
def can_view_station(user: Any, station: Any = None) -> bool:
    if station is None:
        return has_role(user, *WORKER_ROLES, Role.ORG_STAFF)
    if in_scope(user, station.region_id, WORKER_ROLES):
        return True
    return station.operator_id is not None and station.operator_id in staff_organization_ids(user)


@rules.predicate
def can_write_station(user: Any, station: Any = None) -> bool:
    if station is None:
        return has_role(user, *WRITER_ROLES)
    return in_scope(user, station.region_id, WRITER_ROLES)


rules.add_perm("stations.view_servicestation", can_view_station)
rules.add_perm("stations.add_servicestation", can_write_station)
rules.add_perm("stations.change_servicestation", can_write_station)
