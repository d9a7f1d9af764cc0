"""One service per transition of a request (models.TRANSITIONS). Each locks the row, checks
role and scope (rules.py), is a no-op when the transition already happened, raises 409
`request.invalid_transition` when the status forbids it, and writes the timeline event, the
audit event and the notifications in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wushe.core.errors import Conflict, ValidationFailed
from wushe.core.images import AcceptedImage

from .. import rules
from ..models import (
    FINAL_STATUSES,
    Action,
    Assignment,
    AssignmentStatus,
    EventKind,
    HandlerType,
    Level,
    PhotoStage,
    Request,
    Status,
)
from ._common import (
    ENTITY,
    Errors,
    audit,
    community_workers,
    event,
    forbidden,
    handler_users,
    invalid_transition,
    lock,
    move,
    now,
    open_assignments,
    require,
    resident_users,
    target_or_conflict,
    tell,
    text,
    user_or_none,
)
from .photos import delete_files, record_photos, store_files

# --- intake: accept, reject, merge, cancel ------------------------------------------------


def request_accept(*, request_id: int, actor: Any, note: str = "") -> Request:
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.may_handle(actor, request))
        if request.status == Status.ACCEPTED:
            return request
        to = target_or_conflict(request, Action.ACCEPT, _("受理"))
        at = now()
        request.accepted_at = at
        before = move(
            request,
            to=to,
            kind=EventKind.ACCEPTED,
            actor=actor,
            at=at,
            note=note[:500],
            fields=["accepted_at"],
        )
        audit(request, "accepted", actor, {"status": [before, to]})
        tell(
            request,
            resident_users(request),
            kind="accepted",
            title=_("您的诉求 %(n)s 已受理") % {"n": request.number},
            exclude=actor,
        )
    return request


def request_reject(*, request_id: int, actor: Any, reason: str) -> Request:
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.may_handle(actor, request))
        # The reason is looked at only once the caller may reject: whoever may not is
        # refused the same way whatever the body says.
        errors = Errors()
        reason = text(reason, "reason", _("不予受理的理由"), 500, errors, required=True)
        errors.raise_if_any()
        if request.status == Status.REJECTED:
            return request
        to = target_or_conflict(request, Action.REJECT, _("不予受理"))
        at = now()
        request.status_reason = reason
        request.closed_at = at
        before = move(
            request,
            to=to,
            kind=EventKind.REJECTED,
            actor=actor,
            at=at,
            note=reason,
            fields=["status_reason", "closed_at"],
        )
        audit(request, "rejected", actor, {"status": [before, to], "reason": reason})
        tell(
            request,
            resident_users(request),
            kind="rejected",
            title=_("您的诉求 %(n)s 未予受理") % {"n": request.number},
            body=reason,
            exclude=actor,
        )
    return request


def request_merge(*, request_id: int, actor: Any, target_id: int, note: str = "") -> Request:
    """Close a duplicate by pointing it at the request that carries the case."""
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.may_handle(actor, request))
        if request.status == Status.MERGED:
            if request.merged_into_id == target_id:
                return request
            raise Conflict(_("这条诉求已合并到另一条诉求。"), code="request.invalid_transition")
        to = target_or_conflict(request, Action.MERGE, _("合并"))
        target = (
            Request.objects.filter(county_code=request.county_code, pk=target_id)
            .exclude(pk=request.pk)
            .first()
        )
        if target is None or not rules.may_view(actor, target):
            raise ValidationFailed(
                _("要合并到的诉求不存在。"),
                code="request.merge.target_not_found",
                fields={"target": [_("要合并到的诉求不存在。")]},
            )
        if target.status in {Status.REJECTED, Status.MERGED, Status.CANCELLED}:
            raise ValidationFailed(
                _("不能合并到已撤销、不予受理或已合并的诉求。"),
                code="request.merge.target_closed",
                fields={"target": [_("目标诉求已失效。")]},
            )
        at = now()
        request.merged_into = target
        request.status_reason = note[:500]
        request.closed_at = at
        before = move(
            request,
            to=to,
            kind=EventKind.MERGED,
            actor=actor,
            at=at,
            note=note[:500],
            data={"target": target.pk, "target_number": target.number},
            fields=["merged_into", "status_reason", "closed_at"],
        )
        audit(request, "merged", actor, {"status": [before, to], "target": target.number})
        tell(
            request,
            resident_users(request),
            kind="merged",
            title=_("您的诉求 %(n)s 已与 %(t)s 合并办理")
            % {"n": request.number, "t": target.number},
            exclude=actor,
        )
    return request


def request_cancel(*, request_id: int, actor: Any, reason: str = "") -> Request:
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.is_own(actor, request))
        if request.status == Status.CANCELLED:
            return request
        to = target_or_conflict(request, Action.CANCEL, _("撤销"))
        at = now()
        request.status_reason = str(reason or "")[:500]
        request.closed_at = at
        before = move(
            request,
            to=to,
            kind=EventKind.CANCELLED,
            actor=actor,
            at=at,
            note=request.status_reason,
            fields=["status_reason", "closed_at"],
        )
        audit(request, "cancelled", actor, {"status": [before, to]})
        tell(
            request,
            community_workers(request),
            kind="cancelled",
            title=_("诉求 %(n)s 已被居民撤销") % {"n": request.number},
            exclude=actor,
        )
    return request


# --- dispatch and claim --------------------------------------------------------------------


@dataclass(frozen=True)
class HandlerSpec:
    """Who to send a request to: a type and the id of the record (organisation, volunteer,
    social worker, party member check-in), or a department's name."""

    type: str
    id: int | None = None
    name: str = ""

    @property
    def key(self) -> str:
        if self.type == HandlerType.DEPARTMENT:
            return f"{self.type}:{self.name}"
        return f"{self.type}:{self.id}"


def _handler_models() -> dict[str, Any]:
    from wushe.organizations.models import Organization
    from wushe.partymembers.models import PartyMemberCheckin
    from wushe.socialworkers.models import SocialWorker
    from wushe.volunteers.models import Volunteer

    return {
        HandlerType.ORGANIZATION: Organization,
        HandlerType.VOLUNTEER: Volunteer,
        HandlerType.SOCIAL_WORKER: SocialWorker,
        HandlerType.PARTY_MEMBER: PartyMemberCheckin,
    }


def _valid_handlers(request: Request, handlers: Sequence[HandlerSpec]) -> list[HandlerSpec]:
    """Normalised, deduplicated handlers, each an active record of the request's county
    (organisations: any that is not deregistered; they are reference data)."""
    from wushe.organizations.models import LegalStatus

    errors = Errors()
    if not handlers:
        errors.add("handlers", f"{ENTITY}.handlers.required", _("请选择至少一个承办方。"))
    models_by_type = _handler_models()
    wanted: dict[str, HandlerSpec] = {}
    for spec in handlers:
        if spec.type not in HandlerType.values:
            errors.add("handlers", f"{ENTITY}.handlers.invalid", _("承办方类型不正确。"))
            continue
        if spec.type == HandlerType.DEPARTMENT:
            name = " ".join(str(spec.name or "").split())
            if not name or len(name) > 100:
                errors.add(
                    "handlers", f"{ENTITY}.handlers.invalid", _("请填写部门名称（100 字以内）。")
                )
                continue
            spec = HandlerSpec(HandlerType.DEPARTMENT, None, name)
        elif spec.id is None:
            errors.add("handlers", f"{ENTITY}.handlers.invalid", _("请选择承办方。"))
            continue
        else:
            spec = HandlerSpec(spec.type, int(spec.id), "")
        wanted.setdefault(spec.key, spec)
    for handler_type, model in models_by_type.items():
        ids = {s.id for s in wanted.values() if s.type == handler_type and s.id is not None}
        if not ids:
            continue
        qs = model.objects.filter(pk__in=ids)
        if handler_type == HandlerType.ORGANIZATION:
            qs = qs.exclude(legal_status=LegalStatus.DEREGISTERED)
        else:
            qs = qs.filter(county_code=request.county_code, status="active")
        missing = ids - set(qs.values_list("pk", flat=True))
        if missing:
            errors.add(
                "handlers",
                f"{ENTITY}.handlers.not_found",
                _("承办方不存在或已不在册：%(ids)s")
                % {"ids": "、".join(str(i) for i in sorted(missing))},
            )
    errors.raise_if_any()
    return list(wanted.values())


def _assign(
    request: Request, specs: Sequence[HandlerSpec], actor: Any, at: datetime, note: str
) -> list[Assignment]:
    """Create assignments for new handlers and re-open finished ones (a reopened request
    sent to the same handler again); handlers with an open assignment are left alone."""
    existing = {
        a.handler_key: a
        for a in Assignment.objects.filter(county_code=request.county_code, request=request)
    }
    changed: list[Assignment] = []
    for spec in specs:
        current = existing.get(spec.key)
        if current is not None:
            if current.status != AssignmentStatus.DONE:
                continue
            current.status = AssignmentStatus.ASSIGNED
            current.assigned_at = at
            current.assigned_by = user_or_none(actor)
            current.started_at = current.done_at = None
            current.result = ""
            current.note = note
            current.save(
                update_fields=[
                    "status",
                    "assigned_at",
                    "assigned_by",
                    "started_at",
                    "done_at",
                    "result",
                    "note",
                ]
            )
            changed.append(current)
            continue
        assignment = Assignment(
            request=request,
            handler_type=spec.type,
            handler_key=spec.key,
            department_name=spec.name,
            note=note,
            assigned_at=at,
            assigned_by=user_or_none(actor),
        )
        if spec.type == HandlerType.ORGANIZATION:
            assignment.organization_id = spec.id
        elif spec.type == HandlerType.VOLUNTEER:
            assignment.volunteer_id = spec.id
        elif spec.type == HandlerType.SOCIAL_WORKER:
            assignment.social_worker_id = spec.id
        elif spec.type == HandlerType.PARTY_MEMBER:
            assignment.party_member_id = spec.id
        assignment.place(request.region_id)
        assignment.save(force_insert=True)
        changed.append(assignment)
    return changed


def _describe(assignments: Sequence[Assignment]) -> list[dict[str, str]]:
    loaded = Assignment.objects.filter(pk__in=[a.pk for a in assignments]).select_related(
        "organization", "volunteer", "social_worker", "party_member"
    )
    return [{"type": a.handler_type, "name": a.handler_name} for a in loaded]


def _dispatched(
    request: Request,
    *,
    to: str,
    kind: str,
    actor: Any,
    at: datetime,
    assignments: Sequence[Assignment],
    note: str,
    verb: str,
) -> None:
    described = _describe(assignments)
    fields = []
    if request.dispatched_at is None or request.status == Status.ACCEPTED:
        request.dispatched_at = at
        fields.append("dispatched_at")
    before = move(
        request,
        to=to,
        kind=kind,
        actor=actor,
        at=at,
        note=note,
        data={"handlers": described},
        fields=fields,
    )
    audit(
        request,
        verb,
        actor,
        {"status": [before, to], "handlers": [a.handler_key for a in assignments]},
    )
    loaded = Assignment.objects.filter(pk__in=[a.pk for a in assignments]).select_related(
        "volunteer", "social_worker", "party_member"
    )
    tell(
        request,
        handler_users(loaded),
        kind="assigned",
        title=_("您有一条新的诉求任务（%(n)s）") % {"n": request.number},
        exclude=actor,
    )
    if before == Status.ACCEPTED:
        tell(
            request,
            resident_users(request),
            kind="dispatched",
            title=_("您的诉求 %(n)s 已派单办理") % {"n": request.number},
            exclude=actor,
        )


def request_dispatch(
    *,
    request_id: int,
    actor: Any,
    handlers: Sequence[HandlerSpec],
    note: str = "",
    batch: bool = False,
) -> Request:
    """Send a request to one or more handlers. Handlers it already has are skipped, so
    sending the same list again changes nothing. `batch`: the dispatch confirms a reviewed
    batch proposal (供需对接), which township officers and civil affairs in scope may also do
    for requests still at the community level."""
    note = str(note or "")[:500]
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(
            rules.may_handle(actor, request) or (batch and rules.may_dispatch_batch(actor, request))
        )
        to = target_or_conflict(request, Action.DISPATCH, _("派单"))
        specs = _valid_handlers(request, handlers)
        at = now()
        assignments = _assign(request, specs, actor, at, note)
        if not assignments:
            return request
        _dispatched(
            request,
            to=to,
            kind=EventKind.DISPATCHED,
            actor=actor,
            at=at,
            assignments=assignments,
            note=note,
            verb="dispatched",
        )
    return request


def request_claim(*, request_id: int, actor: Any, note: str = "") -> Request:
    """A party member reporting to the community claims an open request of a category they
    offer (党员认领)."""
    from wushe.partymembers.models import CheckinCategory, CheckinStatus, PartyMemberCheckin

    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.may_claim(actor, request))
        checkin = (
            PartyMemberCheckin.objects.filter(
                county_code=request.county_code,
                region_id=request.region_id,
                user_id=actor.pk,
                status=CheckinStatus.ACTIVE,
                pk__in=CheckinCategory.objects.filter(term_id=request.category_id).values(
                    "checkin_id"
                ),
            )
            .order_by("pk")
            .first()
        )
        if checkin is None:  # the cached check-ins were stale
            raise forbidden()
        key = HandlerSpec(HandlerType.PARTY_MEMBER, checkin.pk).key
        mine = Assignment.objects.filter(
            county_code=request.county_code, request=request, handler_key=key
        ).first()
        if mine is not None and mine.status != AssignmentStatus.DONE:
            return request
        to = target_or_conflict(request, Action.CLAIM, _("认领"))
        at = now()
        assignments = _assign(
            request, [HandlerSpec(HandlerType.PARTY_MEMBER, checkin.pk)], actor, at, note[:500]
        )
        _dispatched(
            request,
            to=to,
            kind=EventKind.CLAIMED,
            actor=actor,
            at=at,
            assignments=assignments,
            note=note[:500],
            verb="claimed",
        )
        tell(
            request,
            community_workers(request),
            kind="claimed",
            title=_("报到党员认领了诉求 %(n)s") % {"n": request.number},
            exclude=actor,
        )
    return request


# --- handling: start and resolve -----------------------------------------------------------


def _my_assignments(request: Request, actor: Any, assignment_id: int | None) -> list[Assignment]:
    qs = Assignment.objects.filter(rules.handler_q(actor), county_code=request.county_code)
    qs = qs.filter(request=request)
    if assignment_id is not None:
        qs = qs.filter(pk=assignment_id)
    return list(qs.order_by("assigned_at", "handler_key"))


def request_start(*, request_id: int, actor: Any, assignment_id: int | None = None) -> Request:
    """A handler starts work on their assignment; the request is then in progress."""
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        mine = _my_assignments(request, actor, assignment_id)
        if not mine:
            raise forbidden(_("这条诉求没有派给您。"))
        waiting = [a for a in mine if a.status == AssignmentStatus.ASSIGNED]
        if not waiting:
            return request
        to = target_or_conflict(request, Action.START, _("开始办理"))
        at = now()
        for a in waiting:
            a.status = AssignmentStatus.STARTED
            a.started_at = at
            a.save(update_fields=["status", "started_at"])
        fields = []
        if request.started_at is None or request.status == Status.DISPATCHED:
            request.started_at = at
            fields.append("started_at")
        before = move(
            request,
            to=to,
            kind=EventKind.STARTED,
            actor=actor,
            at=at,
            data={"assignments": [a.handler_key for a in waiting]},
            fields=fields,
        )
        audit(request, "started", actor, {"status": [before, to]})
        if before != to:
            tell(
                request,
                resident_users(request),
                kind="started",
                title=_("您的诉求 %(n)s 正在办理") % {"n": request.number},
                exclude=actor,
            )
    return request


def _resolved(request: Request, actor: Any, at: datetime, result: str, to: str) -> str:
    request.result = result
    request.resolved_at = at
    request.resolved_on_time = bool(
        request.escalation_level == Level.COMMUNITY
        and request.resolve_due_at is not None
        and at <= request.resolve_due_at
    )
    request.auto_close_at = at + timedelta(days=request.auto_close_days)
    before = move(
        request,
        to=to,
        kind=EventKind.RESOLVED,
        actor=actor,
        at=at,
        note=result,
        data={"on_time": request.resolved_on_time},
        fields=["result", "resolved_at", "resolved_on_time", "auto_close_at"],
    )
    audit(
        request,
        "resolved",
        actor,
        {"status": [before, to], "on_time": request.resolved_on_time},
    )
    tell(
        request,
        resident_users(request),
        kind="resolved",
        title=_("您的诉求 %(n)s 已办结，请确认并评价") % {"n": request.number},
        exclude=actor,
    )
    return before


def request_resolve(
    *,
    request_id: int,
    actor: Any,
    result: str,
    photos: Sequence[AcceptedImage] = (),
    assignment_id: int | None = None,
) -> Request:
    """A handler finishes their assignment (the request is resolved when no assignment is
    left open), or the community resolves it on the handlers' behalf."""
    stored = store_files(photos)
    try:
        with transaction.atomic(durable=True):
            request = _resolve_locked(request_id, actor, result, stored, assignment_id)
    except BaseException:
        delete_files(stored)
        raise
    return request


def _resolve_locked(
    request_id: int, actor: Any, result: str, stored: Sequence[Any], assignment_id: int | None
) -> Request:
    request = lock(request_id, actor)
    mine = _my_assignments(request, actor, assignment_id)
    on_behalf = not mine
    if on_behalf and not rules.may_handle(actor, request):
        raise forbidden()
    # The result is looked at only once the caller may resolve (permission first).
    errors = Errors()
    result = text(result, "result", _("办理结果"), 2000, errors, required=True)
    errors.raise_if_any()
    if request.status == Status.RESOLVED:
        return request
    mine_open = [a for a in mine if a.status != AssignmentStatus.DONE]
    if not on_behalf and not mine_open:
        if request.status in FINAL_STATUSES:
            raise invalid_transition(request, _("办结"))
        return request  # their part is done; others still work on it
    to = target_or_conflict(request, Action.RESOLVE, _("办结"))
    at = now()
    finishing = open_assignments(request) if on_behalf else mine_open
    for a in finishing:
        a.status = AssignmentStatus.DONE
        a.started_at = a.started_at or at
        a.done_at = at
        a.result = result if not on_behalf else _("由社区代为办结：%(r)s") % {"r": result}
        a.save(update_fields=["status", "started_at", "done_at", "result"])
    if stored:
        record_photos(request, stored, PhotoStage.RESOLVED, actor, at)
    still_open = (
        Assignment.objects.filter(county_code=request.county_code, request=request)
        .exclude(status=AssignmentStatus.DONE)
        .exists()
    )
    if still_open:
        event(
            request,
            kind=EventKind.ASSIGNMENT_DONE,
            actor=actor,
            at=at,
            note=result,
            data={"assignments": [a.handler_key for a in finishing]},
        )
        request.save(update_fields=["event_seq", "updated_at"])
        audit(request, "assignment_done", actor, {"assignments": len(finishing)})
        return request
    _resolved(request, actor, at, result, to)
    return request
