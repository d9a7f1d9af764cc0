"""Who may do what with needs (需求库).

- **See** needs and their grouped counts: WORKER_ROLES in scope (auditors read only). Needs
  name residents and vulnerable groups, so residents, volunteers and organisation staff do
  not see the needs database; everyone else gets 404.
- **Record** a need (from a survey, from a request, by hand) and move it (propose, address,
  dismiss, reopen): WRITER_ROLES in scope. Services of other apps that already checked their
  own permission (a visit that raises a need) call `need_create(..., checked_by_caller=True)`.
- **Raise a need from a request**: a writer who may see the request (in scope).
"""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.scoping import has_role, in_scope


def may_view(user: Any, need: Any) -> bool:
    return in_scope(user, need.region_id, WORKER_ROLES)


def may_record_in(user: Any, region_code: str) -> bool:
    return in_scope(user, region_code, WRITER_ROLES)


def may_manage(user: Any, need: Any) -> bool:
    return in_scope(user, need.region_id, WRITER_ROLES)


@rules.predicate
def is_worker(user: Any) -> bool:
    return has_role(user, *WORKER_ROLES)


@rules.predicate
def is_writer(user: Any) -> bool:
    return has_role(user, *WRITER_ROLES)


@rules.predicate
def can_manage(user: Any, need: Any = None) -> bool:
    return need is not None and may_manage(user, need)


rules.add_perm("needs.view_needs", is_worker)
rules.add_perm("needs.add_need", is_writer)
rules.add_perm("needs.manage_need", can_manage)
