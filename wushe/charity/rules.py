"""Who may do what with charity resources (checked by pages, API and the services).

- Read: charity staff (their grant region, any level from city down) and the worker roles,
  each within their scope. Auditors read only.
- Write funds, donors and donations: charity staff, township officers, civil affairs, admin,
  in scope. Write stores and their goods: the same plus community workers (own community).
- Reveal a donor's full ID or mobile number: charity staff, civil affairs, admin, in scope.
- Residents and volunteers see, read-only, the stores serving their community (a store of
  their community or of its township) and the goods on sale there.

Object permissions take the object (or a region code, for "create here") as `obj`; without
one they answer "may this user do it anywhere", which decides menus and buttons."""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, Role
from wushe.accounts.scoping import grants_of, has_role, in_scope
from wushe.regions import codes

READ_ROLES = frozenset(WORKER_ROLES | {Role.CHARITY_STAFF})
FUND_WRITER_ROLES = frozenset(
    {Role.CHARITY_STAFF, Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN}
)
STORE_WRITER_ROLES = FUND_WRITER_ROLES | {Role.COMMUNITY_WORKER}
REVEAL_ROLES = frozenset({Role.CHARITY_STAFF, Role.CIVIL_AFFAIRS, Role.ADMIN})
SHOPPER_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER})


def region_code_of(obj: Any) -> str | None:
    """The region code an object permission is about: a code, a Region, or a region-bound row."""
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj
    code = getattr(obj, "region_id", None) or getattr(obj, "code", None)
    return str(code) if code else None


def shopper_store_regions(user: Any) -> set[str]:
    """Regions whose stores serve the user as a resident or volunteer: the granted region and,
    for a community, its township."""
    found: set[str] = set()
    for grant in grants_of(user):
        if grant.role in SHOPPER_ROLES and grant.region_code:
            found.add(grant.region_code)
            if codes.level_of(grant.region_code) == codes.Level.COMMUNITY:
                found.add(grant.region_code[:9] + "000")
    return found


def _scoped(roles: frozenset[str], name: str) -> Any:
    @rules.predicate(name=name)
    def predicate(user: Any, obj: Any = None) -> bool:
        code = region_code_of(obj)
        if code is None:
            return has_role(user, *roles)
        return in_scope(user, code, roles)

    return predicate


can_read = _scoped(READ_ROLES, "charity_reader_in_scope")
can_write_funds = _scoped(FUND_WRITER_ROLES, "charity_fund_writer_in_scope")
can_write_stores = _scoped(STORE_WRITER_ROLES, "charity_store_writer_in_scope")
can_reveal = _scoped(REVEAL_ROLES, "charity_revealer_in_scope")


@rules.predicate(name="charity_store_serves_user")
def store_serves_user(user: Any, obj: Any = None) -> bool:
    code = region_code_of(obj)
    if code is None:
        return has_role(user, *SHOPPER_ROLES)
    # Shoppers see only what is on sale: an open store, a listed item of an open store.
    if getattr(obj, "active", True) is False:
        return False
    store = getattr(obj, "store", None)
    if store is not None and not store.active:
        return False
    return code in shopper_store_regions(user)


rules.add_perm("charity.view_resources", can_read)
rules.add_perm("charity.browse_goods", store_serves_user)

rules.add_perm("charity.view_fund", can_read)
rules.add_perm("charity.add_fund", can_write_funds)
rules.add_perm("charity.change_fund", can_write_funds)

rules.add_perm("charity.view_donor", can_read)
rules.add_perm("charity.add_donor", can_write_funds)
rules.add_perm("charity.change_donor", can_write_funds)
rules.add_perm("charity.reveal_donor", can_reveal)

rules.add_perm("charity.view_donation", can_read)
rules.add_perm("charity.add_donation", can_write_funds)  # obj: the fund or store receiving it
rules.add_perm("charity.reverse_donation", can_write_funds)

rules.add_perm("charity.view_store", can_read | store_serves_user)
rules.add_perm("charity.add_store", can_write_stores)
rules.add_perm("charity.change_store", can_write_stores)

rules.add_perm("charity.view_storeitem", can_read | store_serves_user)
rules.add_perm("charity.add_storeitem", can_write_stores)  # obj: the store
rules.add_perm("charity.change_storeitem", can_write_stores)
rules.add_perm("charity.restock_storeitem", can_write_stores)
