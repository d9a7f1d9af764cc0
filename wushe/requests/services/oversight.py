"""Oversight of requests: escalation (社区吹哨: community → township → county), supervision
(督办), follow-up calls (回访), and the scheduled sweep that escalates overdue requests one
level at a time and closes resolved ones nobody confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.roles import Role
from wushe.accounts.scoping import in_scope
from wushe.core.errors import Conflict, ValidationFailed

from .. import rules
from ..models import (
    OPEN_STATUSES,
    EventKind,
    FollowUp,
    FollowUpOutcome,
    Level,
    Request,
    Status,
    Supervision,
)
from ._common import (
    ENTITY,
    Errors,
    audit,
    community_workers,
    event,
    forbidden,
    fresh_deadlines,
    handler_users,
    invalid_transition,
    level_officers,
    lock,
    now,
    open_assignments,
    schedule,
    tell,
    text,
)
from .closing import request_close_auto

REASON_OVERDUE = "overdue"
REASON_MANUAL = "manual"


def _escalate_locked(
    request: Request, *, to_level: int, actor: Any, at: datetime, reason: str, note: str
) -> None:
    before = request.escalation_level
    overdue = "accept" if request.status == Status.SUBMITTED else "resolve"
    request.escalation_level = to_level
    request.escalated_at = at
    fresh_deadlines(request, at)
    schedule(request)
    event(
        request,
        kind=EventKind.ESCALATED,
        actor=actor,
        at=at,
        note=note,
        data={"from_level": before, "to_level": to_level, "reason": reason, "overdue": overdue},
    )
    request.save(
        update_fields=[
            "escalation_level",
            "escalated_at",
            "accept_due_at",
            "resolve_due_at",
            "sweep_at",
            "event_seq",
            "updated_at",
        ]
    )
    audit(
        request,
        "escalated",
        actor,
        {"level": [before, to_level], "reason": reason, "overdue": overdue},
    )
    level = Level(to_level)
    title = (
        _("社区吹哨：诉求 %(n)s 逾期未办，已升级到%(level)s")
        if reason == REASON_OVERDUE
        else _("社区吹哨：诉求 %(n)s 已提请%(level)s协调")
    ) % {"n": request.number, "level": level.label}
    tell(
        request,
        level_officers(request, to_level) + community_workers(request),
        kind="escalated",
        title=title,
        body=note,
        exclude=actor,
    )


def request_escalate(
    *, request_id: int, actor: Any, to_level: int | None = None, note: str = ""
) -> Request:
    """Hand an open request up to the next level by hand (社区吹哨). `to_level` makes a
    repeat a no-op: asking for a level the request already reached changes nothing."""
    note = str(note or "")[:500]
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        _require_handler(actor, request)
        target = to_level if to_level is not None else request.escalation_level + 1
        if target not in Level.values:
            raise ValidationFailed(
                _("升级层级不正确。"),
                code="request.escalation.level_invalid",
                fields={"level": [_("升级层级不正确。")]},
            )
        if target <= request.escalation_level:
            return request
        if request.status not in OPEN_STATUSES:
            raise invalid_transition(request, _("升级"))
        if target != request.escalation_level + 1:
            raise Conflict(_("诉求只能逐级升级。"), code="request.escalation.skip_level")
        _escalate_locked(
            request, to_level=target, actor=actor, at=now(), reason=REASON_MANUAL, note=note
        )
    return request


def _require_handler(actor: Any, request: Request) -> None:
    if not rules.may_handle(actor, request):
        raise forbidden()


def _actor_level(actor: Any, request: Request) -> int:
    if in_scope(actor, request.region_id, {Role.CIVIL_AFFAIRS, Role.ADMIN}):
        return Level.COUNTY
    return Level.TOWNSHIP


def request_supervise(
    *, request_id: int, actor: Any, note: str = "", due_at: datetime | None = None
) -> Request:
    """Put an open request under supervision (督办) at the actor's level. Supervising again
    at the same level is a no-op; the county may add its own mark to a township's."""
    at = now()
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        if not rules.may_supervise(actor, request):
            raise forbidden()
        # The input is looked at only once the caller may supervise (permission first).
        errors = Errors()
        note = text(note, "note", _("督办意见"), 500, errors)
        if due_at is not None and due_at <= at:
            errors.add("due_at", f"{ENTITY}.supervision.due_past", _("督办期限应晚于现在。"))
        errors.raise_if_any()
        level = _actor_level(actor, request)
        if Supervision.objects.filter(
            county_code=request.county_code, request=request, level=level
        ).exists():
            return request
        if request.status not in OPEN_STATUSES:
            raise invalid_transition(request, _("督办"))
        supervision = Supervision(
            request=request, level=level, by=actor, note=note, due_at=due_at, created_at=at
        )
        supervision.place(request.region_id)
        supervision.save(force_insert=True)
        request.supervised = True
        event(
            request,
            kind=EventKind.SUPERVISED,
            actor=actor,
            at=at,
            note=note,
            data={"level": level, "due_at": due_at.isoformat() if due_at else None},
        )
        request.save(update_fields=["supervised", "event_seq", "updated_at"])
        audit(request, "supervised", actor, {"level": level, "note": note})
        tell(
            request,
            community_workers(request) + handler_users(open_assignments(request)),
            kind="supervised",
            title=_("诉求 %(n)s 被列入%(level)s督办")
            % {"n": request.number, "level": Level(level).label},
            body=note,
            exclude=actor,
        )
    return request


FOLLOW_UP_REPEAT_WINDOW = timedelta(minutes=10)


def request_follow_up(
    *,
    request_id: int,
    actor: Any,
    outcome: str,
    satisfied: bool | None = None,
    note: str = "",
    called_at: datetime | None = None,
) -> FollowUp:
    """Record a follow-up call (回访) on a resolved or closed request. The same record sent
    twice within a few minutes (a double click, a retry) is stored once."""
    at = now()
    called = called_at or at
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        _require_handler(actor, request)
        # The input is looked at only once the caller may follow up (permission first).
        errors = Errors()
        if outcome not in FollowUpOutcome.values:
            errors.add("outcome", f"{ENTITY}.follow_up.outcome_invalid", _("请选择回访结果。"))
        note = text(note, "note", _("回访记录"), 500, errors)
        if called > at + timedelta(minutes=5):
            errors.add("called_at", f"{ENTITY}.follow_up.future", _("回访时间不能晚于现在。"))
        if outcome != FollowUpOutcome.REACHED:
            satisfied = None
        errors.raise_if_any()
        if request.status not in {Status.RESOLVED, Status.CLOSED}:
            raise invalid_transition(request, _("回访"))
        twin = (
            FollowUp.objects.filter(
                county_code=request.county_code,
                request=request,
                called_by=actor,
                outcome=outcome,
                satisfied=satisfied,
                note=note,
                called_at__gte=called - FOLLOW_UP_REPEAT_WINDOW,
                called_at__lte=called + FOLLOW_UP_REPEAT_WINDOW,
            )
            .order_by("called_at")
            .first()
        )
        if twin is not None:
            return twin
        follow_up = FollowUp(
            request=request,
            called_by=actor,
            called_at=called,
            outcome=outcome,
            satisfied=satisfied,
            note=note,
        )
        follow_up.place(request.region_id)
        follow_up.save(force_insert=True)
        event(
            request,
            kind=EventKind.FOLLOWED_UP,
            actor=actor,
            at=at,
            note=note,
            data={"outcome": outcome, "satisfied": satisfied},
        )
        request.save(update_fields=["event_seq", "updated_at"])
        audit(request, "followed_up", actor, {"outcome": outcome, "satisfied": satisfied})
    return follow_up


# --- the scheduled sweep -------------------------------------------------------------------


def request_escalate_overdue(
    *, request_id: int, at: datetime | None = None, nested: bool = False
) -> bool:
    """Climb one level if the request is overdue right now (scheduled job, no actor).
    Returns whether it climbed. A fresh deadline comes with the new level, so running again
    at the same moment changes nothing. `nested`: see request_close_auto."""
    with transaction.atomic(durable=not nested):
        request = lock(request_id, None, system=True)
        moment = at or now()
        if not request.is_overdue(moment) or request.escalation_level >= Level.COUNTY:
            schedule(request)
            if request.sweep_at is not None and request.sweep_at <= moment:
                request.sweep_at = None  # nothing to wait for: keep the sweep from looping
            request.save(update_fields=["sweep_at"])
            return False
        _escalate_locked(
            request,
            to_level=request.escalation_level + 1,
            actor=None,
            at=moment,
            reason=REASON_OVERDUE,
            note="",
        )
        return True


@dataclass
class SweepReport:
    escalated: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


def requests_sweep(
    *, at: datetime | None = None, batch: int = 500, nested: bool = False
) -> SweepReport:
    """Escalate overdue requests one level and auto-close resolved ones whose days are up.
    Each request is handled in its own transaction (a failure stops only that one); the
    query finds only requests whose `sweep_at` has come, so a double run changes nothing.
    `nested=True` when the caller already holds a transaction (the demo loader)."""
    moment = at or timezone.now()
    report = SweepReport()
    seen: set[int] = set()
    while True:
        rows = list(
            Request.objects.filter(sweep_at__lte=moment)
            .exclude(pk__in=seen)
            .order_by("sweep_at", "id")
            .values_list("pk", "status", "number")[:batch]
        )
        if not rows:
            return report
        for pk, status, number in rows:
            seen.add(pk)
            if status == Status.RESOLVED:
                closed = request_close_auto(request_id=pk, at=moment, nested=nested)
                if closed.status == Status.CLOSED and closed.closed_at == moment:
                    report.closed.append(number)
            elif request_escalate_overdue(request_id=pk, at=moment, nested=nested):
                report.escalated.append(number)
