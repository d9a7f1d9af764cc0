"""Who may do what with the service menu and its orders.

- **See an offering**: anyone whose grants overlap its region (its region lies in their
  scope, or their region lies under it: a county-wide offering is on every community's menu),
  and its provider's staff.
- **Manage an offering** (create, edit, pause, resume): its provider's staff — the staff of
  the organisation (also of the organisation running the volunteer team or operating the
  station), the team's leader, the social workers of the station — and WRITER_ROLES in
  scope.
- **Order**: a resident for themself (their resident record's login) from their community's
  menu; WRITER_ROLES in scope on a resident's behalf. Offerings for given vulnerable groups
  only for residents who currently carry one of the tags.
- **See an order**: the resident it is for and whoever placed it; the provider's staff;
  WORKER_ROLES in scope of the resident's community. Anyone else: 404.
- **Provider actions** (confirm, decline, schedule, deliver): the provider's staff and
  WRITER_ROLES in scope.
- **Rate**: the resident, or the worker who ordered on the resident's behalf (recording the
  resident's rating, e.g. over the phone).
- **Cancel**: the resident, the one who placed it, the provider's staff and WRITER_ROLES in
  scope (everyone but the resident gives a reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import rules
from django.db.models import Q

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES, Role
from wushe.accounts.scoping import grants_of, has_role, in_scope
from wushe.regions import codes

from .models import TRANSITIONS, OrderAction, ProviderKind

_PROVIDER_CACHE = "_wushe_menu_provider"


def _uid(user: Any) -> Any:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


@dataclass(frozen=True)
class ProviderIds:
    """What a user provides services for: organisations (org staff), teams they lead,
    stations they work at."""

    organizations: frozenset[int]
    teams: frozenset[int]
    stations: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.organizations or self.teams or self.stations)


def provider_ids(user: Any) -> ProviderIds:
    """Read once per request and cached on the user object."""
    if _uid(user) is None:
        return ProviderIds(frozenset(), frozenset(), frozenset())
    cached = getattr(user, _PROVIDER_CACHE, None)
    if cached is not None:
        return cached
    from wushe.socialworkers.models import SocialWorker
    from wushe.volunteers.models import VolunteerTeam

    orgs = frozenset(
        g.organization_id
        for g in grants_of(user)
        if g.role == Role.ORG_STAFF and g.organization_id is not None
    )
    teams = frozenset(
        VolunteerTeam.objects.filter(leader__user_id=user.pk).values_list("pk", flat=True)
    )
    stations = frozenset(
        SocialWorker.objects.filter(user_id=user.pk, station__isnull=False).values_list(
            "station_id", flat=True
        )
    )
    result = ProviderIds(orgs, teams, stations)
    setattr(user, _PROVIDER_CACHE, result)
    return result


def provider_q(user: Any, prefix: str = "") -> Q:
    """Offerings (or, with prefix "offering__", orders) the user provides."""
    ids = provider_ids(user)
    if not ids:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    if ids.organizations:
        orgs = sorted(ids.organizations)
        q |= Q(**{f"{prefix}organization_id__in": orgs})
        q |= Q(**{f"{prefix}team__organization_id__in": orgs})
        q |= Q(**{f"{prefix}station__operator_id__in": orgs})
    if ids.teams:
        q |= Q(**{f"{prefix}team_id__in": sorted(ids.teams)})
    if ids.stations:
        q |= Q(**{f"{prefix}station_id__in": sorted(ids.stations)})
    return q


def provides(user: Any, offering: Any) -> bool:
    ids = provider_ids(user)
    if not ids:
        return False
    kind = offering.provider_kind
    if kind == ProviderKind.ORGANIZATION:
        return offering.organization_id in ids.organizations
    if kind == ProviderKind.TEAM:
        if offering.team_id in ids.teams:
            return True
        org = offering.team.organization_id if offering.team_id else None
        return org is not None and org in ids.organizations
    if offering.station_id in ids.stations:
        return True
    operator = offering.station.operator_id if offering.station_id else None
    return operator is not None and operator in ids.organizations


def menu_q(user: Any, field: str = "region_id") -> Q:
    """Offerings on the menus the user's grants reach: inside a granted region, or at one of
    its ancestors (a county-wide offering is on every community's menu)."""
    grants = grants_of(user)
    if any(g.prefix == "" for g in grants):
        return Q()
    q = Q(pk__in=[])
    ancestors: set[str] = set()
    for g in grants:
        if g.region_code is None:
            continue
        low, high = codes.scope_range(g.prefix)
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
        ancestors.update(codes.ancestor_codes(g.region_code))
    if ancestors:
        q |= Q(**{f"{field}__in": sorted(ancestors)})
    return q


def on_menu_of(offering_region: str, community: str) -> bool:
    """Whether an offering of `offering_region` is on the menu of `community`."""
    return community.startswith(codes.significant_prefix(offering_region))


def may_view_offering(user: Any, offering: Any) -> bool:
    prefix = codes.significant_prefix(offering.region_id)
    for g in grants_of(user):
        if g.prefix.startswith(prefix) or prefix.startswith(g.prefix):
            return True
    return provides(user, offering)


def may_manage_offering(user: Any, offering: Any) -> bool:
    return in_scope(user, offering.region_id, WRITER_ROLES) or provides(user, offering)


def is_order_resident(user: Any, order: Any) -> bool:
    uid = _uid(user)
    if uid is None:
        return False
    if "resident" in order._state.fields_cache:
        return bool(order.resident.user_id == uid)
    from wushe.residents.models import Resident

    return Resident.objects.filter(pk=order.resident_id, user_id=uid).exists()


def is_orderer(user: Any, order: Any) -> bool:
    uid = _uid(user)
    return uid is not None and order.ordered_by_id == uid


def may_view_order(user: Any, order: Any) -> bool:
    if in_scope(user, order.region_id, WORKER_ROLES):
        return True
    if is_orderer(user, order) or is_order_resident(user, order):
        return True
    return provides(user, order.offering)


def may_provide(user: Any, order: Any) -> bool:
    return in_scope(user, order.region_id, WRITER_ROLES) or provides(user, order.offering)


def may_rate(user: Any, order: Any) -> bool:
    if is_order_resident(user, order):
        return True
    return order.on_behalf and is_orderer(user, order)


def may_cancel(user: Any, order: Any) -> bool:
    return is_order_resident(user, order) or is_orderer(user, order) or may_provide(user, order)


def may_order_for_others(user: Any, region_code: str) -> bool:
    return in_scope(user, region_code, WRITER_ROLES)


def may_order_somewhere(user: Any) -> bool:
    """Residents order for themselves, workers on a resident's behalf; nobody else orders."""
    return has_role(user, Role.RESIDENT, *WRITER_ROLES)


ACTION_RULES: dict[str, Callable[[Any, Any], bool]] = {
    OrderAction.CONFIRM: may_provide,
    OrderAction.DECLINE: may_provide,
    OrderAction.SCHEDULE: may_provide,
    OrderAction.DELIVER: may_provide,
    OrderAction.RATE: may_rate,
    OrderAction.CANCEL: may_cancel,
}


def available_actions(user: Any, order: Any) -> list[str]:
    """What the user may do with the order now (buttons, `actions` in the API). The services
    check the same rules again under the row lock."""
    return [
        str(action)
        for action, allowed in ACTION_RULES.items()
        if order.status in TRANSITIONS[action] and allowed(user, order)
    ]


# --- rules permissions (pages and nav) -----------------------------------------------------


@rules.predicate
def is_resident(user: Any) -> bool:
    return has_role(user, Role.RESIDENT)


@rules.predicate
def manages_menu(user: Any) -> bool:
    return has_role(user, *WRITER_ROLES) or bool(provider_ids(user))


@rules.predicate
def sees_orders(user: Any) -> bool:
    return has_role(user, *WORKER_ROLES) or bool(provider_ids(user))


@rules.predicate
def can_manage_offering(user: Any, offering: Any = None) -> bool:
    return offering is not None and may_manage_offering(user, offering)


@rules.predicate
def can_view_order(user: Any, order: Any = None) -> bool:
    return order is not None and may_view_order(user, order)


rules.add_perm("menu.browse_menu", is_resident)
rules.add_perm("menu.manage_menu", manages_menu)
rules.add_perm("menu.view_orders", sees_orders)
rules.add_perm("menu.manage_offering", can_manage_offering)
rules.add_perm("menu.view_order", can_view_order)
