"""Who may do what with requests (民呼我为). Checked by the services (every entry point goes
through them) and by pages for showing buttons; the selectors apply the same visibility.

- **See** a request: WORKER_ROLES in scope (auditors read only); the resident who submitted
  it or whom it concerns (`Resident.user`); its handlers (staff of an assigned organisation,
  the assigned volunteer, social worker or party member); a party member reporting to its
  community who offers its category, while it is open (so they can claim it). Everyone else:
  404, not 403.
- **Submit**: a resident in their community (channel 居民自助); community workers, township
  officers, civil affairs and admins in scope for the other channels.
- **Resident actions** (cancel, confirm, reopen, rate): the resident who submitted it or whom
  it concerns.
- **Handle** (accept, reject, merge, dispatch, resolve on behalf, follow up, escalate): the
  community's workers; township officers too once it has climbed to the township; civil
  affairs once at the county; admins in scope always.
- **Supervise** (督办): township officers, civil affairs and admins in scope.
- **Start / resolve an assignment**: its handler.
- **Claim**: a party member with an active check-in at the community offering the category.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from wushe.accounts.roles import WORKER_ROLES, Role
from wushe.accounts.scoping import grants_of, has_role, in_scope
from wushe.residents.models import Tag
from wushe.residents.rules import SENSITIVE_TAG_ROLES, SENSITIVE_TAGS

from .models import TRANSITIONS, Action, Level

# Requests a party member may see and claim: accepted, dispatched or in progress.
CLAIMABLE_STATUSES = frozenset(TRANSITIONS[Action.CLAIM])

HANDLER_ROLES_BY_LEVEL: dict[int, frozenset[str]] = {
    Level.COMMUNITY: frozenset({Role.COMMUNITY_WORKER, Role.ADMIN}),
    Level.TOWNSHIP: frozenset({Role.COMMUNITY_WORKER, Role.TOWNSHIP_OFFICER, Role.ADMIN}),
    Level.COUNTY: frozenset(
        {Role.COMMUNITY_WORKER, Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN}
    ),
}
INTAKE_ROLES = frozenset(
    {Role.COMMUNITY_WORKER, Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN}
)
SUPERVISOR_ROLES = frozenset({Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN})
SUPERVISION_VIEW_ROLES = frozenset(SUPERVISOR_ROLES | {Role.AUDITOR})
TASK_ROLES = frozenset({Role.ORG_STAFF, Role.VOLUNTEER, Role.SOCIAL_WORKER})
_PARTY_CACHE = "_wushe_party_checkins"


def _uid(user: Any) -> Any:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def own_organization_ids(user: Any) -> set[int]:
    return {
        g.organization_id
        for g in grants_of(user)
        if g.role == Role.ORG_STAFF and g.organization_id is not None
    }


def party_checkins(user: Any) -> list[tuple[str, frozenset[int]]]:
    """(community code, category term ids) of the user's active party-member check-ins,
    read once per request and cached on the user object."""
    if _uid(user) is None:
        return []
    cached = getattr(user, _PARTY_CACHE, None)
    if cached is not None:
        return cached
    from wushe.partymembers.models import CheckinCategory, CheckinStatus, PartyMemberCheckin

    found: dict[int, tuple[str, set[int]]] = {}
    for pk, region_id in PartyMemberCheckin.objects.filter(
        user_id=user.pk, status=CheckinStatus.ACTIVE
    ).values_list("pk", "region_id"):
        found[pk] = (region_id, set())
    if found:
        for checkin_id, term_id in CheckinCategory.objects.filter(
            checkin_id__in=list(found)
        ).values_list("checkin_id", "term_id"):
            found[checkin_id][1].add(term_id)
    result = [(region, frozenset(terms)) for region, terms in found.values()]
    setattr(user, _PARTY_CACHE, result)
    return result


def handler_q(user: Any, prefix: str = "") -> Q:
    """Assignments (or, with prefix "assignments__", requests) handled by the user."""
    uid = _uid(user)
    if uid is None:
        return Q(pk__in=[])
    q = (
        Q(**{f"{prefix}volunteer__user_id": uid})
        | Q(**{f"{prefix}social_worker__user_id": uid})
        | Q(**{f"{prefix}party_member__user_id": uid})
    )
    orgs = own_organization_ids(user)
    if orgs:
        q |= Q(**{f"{prefix}organization_id__in": sorted(orgs)})
    return q


def is_submitter(user: Any, request: Any) -> bool:
    uid = _uid(user)
    return uid is not None and request.submitted_by_id == uid


def is_concerned_resident(user: Any, request: Any) -> bool:
    """Whether the user is the resident the request concerns (one query unless the resident
    was loaded with the request)."""
    uid = _uid(user)
    if uid is None or request.resident_id is None:
        return False
    if "resident" in request._state.fields_cache:
        return bool(request.resident.user_id == uid)
    from wushe.residents.models import Resident

    return Resident.objects.filter(pk=request.resident_id, user_id=uid).exists()


def is_own(user: Any, request: Any) -> bool:
    return is_submitter(user, request) or is_concerned_resident(user, request)


def is_handler_of(user: Any, request: Any) -> bool:
    from .models import Assignment

    if _uid(user) is None:
        return False
    return Assignment.objects.filter(handler_q(user), request_id=request.pk).exists()


def may_claim(user: Any, request: Any) -> bool:
    return any(
        region == request.region_id and request.category_id in terms
        for region, terms in party_checkins(user)
    )


def may_handle(user: Any, request: Any) -> bool:
    """Community workflow: accept, reject, merge, dispatch, resolve on behalf, follow up."""
    roles = HANDLER_ROLES_BY_LEVEL[request.escalation_level]
    return in_scope(user, request.region_id, roles)


def may_dispatch_batch(user: Any, request: Any) -> bool:
    """Confirming a batch proposal of supply-demand matching is the township's (or county's)
    coordinating decision, so it may dispatch requests of its communities at any level."""
    return in_scope(user, request.region_id, SUPERVISOR_ROLES)


def may_supervise(user: Any, request: Any) -> bool:
    return in_scope(user, request.region_id, SUPERVISOR_ROLES)


def may_submit_in(user: Any, region_code: str, *, self_service: bool) -> bool:
    if self_service:
        return in_scope(user, region_code, {Role.RESIDENT}) or in_scope(
            user, region_code, INTAKE_ROLES
        )
    return in_scope(user, region_code, INTAKE_ROLES)


def may_view(user: Any, request: Any) -> bool:
    if in_scope(user, request.region_id, WORKER_ROLES):
        return True
    if is_own(user, request) or is_handler_of(user, request):
        return True
    return request.status in CLAIMABLE_STATUSES and may_claim(user, request)


def sees_sensitive(user: Any, request: Any) -> bool:
    return in_scope(user, request.region_id, SENSITIVE_TAG_ROLES) or is_own(user, request)


def priority_reason_labels(user: Any, request: Any) -> list[str]:
    """The stored priority reason as this user may read it: sensitive tags (低保, 残疾 …) only
    for those who may see them on the resident's record, else one placeholder."""
    from .models import Urgency

    labels: list[str] = []
    hidden = False
    show_sensitive: bool | None = None
    for code in request.priority_reason or []:
        kind, _sep, value = str(code).partition(":")
        if kind == "urgency":
            labels.append(str(Urgency(value).label) if value in Urgency.values else value)
        elif kind == "tag":
            if value in SENSITIVE_TAGS:
                if show_sensitive is None:
                    show_sensitive = sees_sensitive(user, request)
                if not show_sensitive:
                    hidden = True
                    continue
            labels.append(str(Tag(value).label) if value in Tag.values else value)
    if hidden:
        from wushe.residents.rules import HIDDEN_TAG_LABEL

        labels.append(str(HIDDEN_TAG_LABEL))
    return labels


def my_assignment_statuses(user: Any, request: Any) -> list[str]:
    """Statuses of the user's own assignments on the request (one query)."""
    from .models import Assignment

    if _uid(user) is None:
        return []
    return list(
        Assignment.objects.filter(
            handler_q(user), county_code=request.county_code, request_id=request.pk
        ).values_list("status", flat=True)
    )


def available_actions(user: Any, request: Any, *, now: Any = None) -> list[str]:
    """What the user may do with the request right now (buttons on pages, `actions` in the
    API). The services check the same rules again under the row lock."""
    from django.utils import timezone

    from .models import (
        OPEN_STATUSES,
        TRANSITIONS,
        Action,
        AssignmentStatus,
        Status,
    )

    now = now or timezone.now()
    status = request.status
    actions: list[str] = []
    handle = may_handle(user, request)
    own = is_own(user, request)
    if handle:
        if status == Status.SUBMITTED:
            actions += ["accept", "reject"]
        if status in TRANSITIONS[Action.MERGE]:
            actions.append("merge")
        if status in TRANSITIONS[Action.DISPATCH]:
            actions.append("dispatch")
        if status in TRANSITIONS[Action.RESOLVE]:
            actions.append("resolve")
        if status in OPEN_STATUSES and request.escalation_level < Level.COUNTY:
            actions.append("escalate")
        if status in {Status.RESOLVED, Status.CLOSED}:
            actions.append("follow-up")
    # Assignments exist only once dispatched (or after a reopen, back in "accepted").
    mine = my_assignment_statuses(user, request) if status in CLAIMABLE_STATUSES else []
    if any(s == AssignmentStatus.ASSIGNED for s in mine) and status in TRANSITIONS[Action.START]:
        actions.append("start")
    if (
        any(s != AssignmentStatus.DONE for s in mine)
        and status in TRANSITIONS[Action.RESOLVE]
        and "resolve" not in actions
    ):
        actions.append("resolve")
    if own:
        if status == Status.SUBMITTED:
            actions.append("cancel")
        if status == Status.RESOLVED:
            actions += ["confirm", "reopen"]
        if status == Status.CLOSED:
            if request.reopen_until is not None and now <= request.reopen_until:
                actions.append("reopen")
            if request.rating is None:
                actions.append("rate")
    if status in OPEN_STATUSES and may_supervise(user, request):
        actions.append("supervise")
    if not mine and status in CLAIMABLE_STATUSES and may_claim(user, request):
        actions.append("claim")
    return actions


# --- rules permissions (pages and nav) -----------------------------------------------------


@rules.predicate
def can_view(user: Any, request: Any = None) -> bool:
    return request is not None and may_view(user, request)


@rules.predicate
def can_handle(user: Any, request: Any = None) -> bool:
    return request is not None and may_handle(user, request)


@rules.predicate
def can_supervise(user: Any, request: Any = None) -> bool:
    return request is not None and may_supervise(user, request)


@rules.predicate
def is_own_request(user: Any, request: Any = None) -> bool:
    return request is not None and is_own(user, request)


@rules.predicate
def can_claim(user: Any, request: Any = None) -> bool:
    return request is not None and request.status in CLAIMABLE_STATUSES and may_claim(user, request)


@rules.predicate
def is_worker(user: Any) -> bool:
    return has_role(user, *WORKER_ROLES)


@rules.predicate
def may_submit(user: Any) -> bool:
    return has_role(user, Role.RESIDENT, *INTAKE_ROLES)


@rules.predicate
def is_resident(user: Any) -> bool:
    return has_role(user, Role.RESIDENT)


@rules.predicate
def has_tasks(user: Any) -> bool:
    return has_role(user, *TASK_ROLES) or bool(party_checkins(user))


@rules.predicate
def sees_supervision(user: Any) -> bool:
    return has_role(user, *SUPERVISION_VIEW_ROLES)


rules.add_perm("requests.view_request", can_view)
rules.add_perm("requests.view_inbox", is_worker)
rules.add_perm("requests.add_request", may_submit)
rules.add_perm("requests.view_own_requests", is_resident)
rules.add_perm("requests.submit_own", is_resident)
rules.add_perm("requests.view_tasks", has_tasks)
rules.add_perm("requests.view_supervision", sees_supervision)
rules.add_perm("requests.handle_request", can_handle)
rules.add_perm("requests.supervise_request", can_supervise)
rules.add_perm("requests.own_request", is_own_request)
rules.add_perm("requests.claim_request", can_claim)
