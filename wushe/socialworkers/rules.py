"""Who may see, reveal and change social workers.

- Workers (WORKER_ROLES) see the register in their region scope; a social worker linked to a
  record (`user`) sees it too, and org staff see the social workers their organisation employs.
- Writers (WRITER_ROLES) in scope add and change records and record renewals and continuing
  education; a social worker may record their own continuing education.
- Revealing a full ID number or phone: writers in scope, and the person themself.
- Import: writers; export (masked): workers."""

from __future__ import annotations

from typing import Any

import rules

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES, Role
from wushe.accounts.scoping import has_role, in_scope
from wushe.stations.rules import staff_organization_ids


def _own(user: Any, worker: Any) -> bool:
    return worker.user_id is not None and worker.user_id == getattr(user, "pk", None)


@rules.predicate
def can_view_social_worker(user: Any, worker: Any = None) -> bool:
    if worker is None:
        return has_role(user, *WORKER_ROLES, Role.ORG_STAFF)
    if in_scope(user, worker.region_id, WORKER_ROLES) or _own(user, worker):
        return True
    return worker.employer_id is not None and worker.employer_id in staff_organization_ids(user)


@rules.predicate
def can_write_social_worker(user: Any, worker: Any = None) -> bool:
    if worker is None:
        return has_role(user, *WRITER_ROLES)
    return in_scope(user, worker.region_id, WRITER_ROLES)


@rules.predicate
def is_own_record(user: Any, worker: Any = None) -> bool:
    return worker is not None and _own(user, worker)


@rules.predicate
def is_worker(user: Any) -> bool:
    return has_role(user, *WORKER_ROLES)


rules.add_perm("socialworkers.view_socialworker", can_view_social_worker)
rules.add_perm("socialworkers.add_socialworker", can_write_social_worker)
rules.add_perm("socialworkers.change_socialworker", can_write_social_worker)
rules.add_perm("socialworkers.reveal_socialworker", can_write_social_worker | is_own_record)
rules.add_perm("socialworkers.record_education", can_write_social_worker | is_own_record)
rules.add_perm("socialworkers.import_socialworker", can_write_social_worker)
rules.add_perm("socialworkers.export_socialworker", is_worker)
