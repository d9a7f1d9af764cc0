"""Closing the loop: the resident confirms and rates (or rates later), the scheduled job
closes what nobody confirmed, the resident reopens within the window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wushe.core.errors import Conflict

from .. import rules
from ..models import Action, CloseReason, EventKind, Level, Request, Status
from ._common import (
    ENTITY,
    Errors,
    audit,
    community_workers,
    event,
    invalid_transition,
    level_officers,
    lock,
    move,
    now,
    require,
    resident_users,
    target_or_conflict,
    tell,
    text,
)

# --- the resident closes the loop: confirm, rate, reopen; and the auto-close ----------------


def _rating(rating: object, comment: object) -> tuple[int, str]:
    errors = Errors()
    try:
        value = int(str(rating))
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors.add("rating", f"{ENTITY}.rating.invalid", _("请给出 1–5 星的评价。"))
    note = text(comment, "comment", _("评价"), 500, errors)
    errors.raise_if_any()
    return value, note


def _closed(request: Request, at: datetime, reason: str) -> None:
    request.closed_at = at
    request.close_reason = reason
    request.reopen_until = at + timedelta(days=request.reopen_days)


def request_confirm(*, request_id: int, actor: Any, rating: object, comment: str = "") -> Request:
    """The resident confirms the result and rates it: the request is closed."""
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.is_own(actor, request))
        value, note = _rating(rating, comment)  # only once the caller may rate
        if request.status == Status.CLOSED and request.rating is not None:
            return request
        if request.status == Status.CLOSED:  # auto-closed, not yet rated: rating it is enough
            _rate(request, actor, value, note)
            return request
        to = target_or_conflict(request, Action.CONFIRM, _("确认办结"))
        at = now()
        _closed(request, at, CloseReason.CONFIRMED)
        request.rating, request.rating_comment, request.rated_at = value, note, at
        before = move(
            request,
            to=to,
            kind=EventKind.CONFIRMED,
            actor=actor,
            at=at,
            note=note,
            data={"rating": value},
            fields=[
                "closed_at",
                "close_reason",
                "reopen_until",
                "rating",
                "rating_comment",
                "rated_at",
            ],
        )
        audit(request, "confirmed", actor, {"status": [before, to], "rating": value})
        tell(
            request,
            community_workers(request),
            kind="confirmed",
            title=_("诉求 %(n)s 已由居民确认办结（%(r)d 星）") % {"n": request.number, "r": value},
            exclude=actor,
        )
    return request


def _rate(request: Request, actor: Any, value: int, note: str) -> None:
    at = now()
    request.rating, request.rating_comment, request.rated_at = value, note, at
    event(request, kind=EventKind.RATED, actor=actor, at=at, note=note, data={"rating": value})
    request.save(update_fields=["rating", "rating_comment", "rated_at", "event_seq", "updated_at"])
    audit(request, "rated", actor, {"rating": value})


def request_rate(*, request_id: int, actor: Any, rating: object, comment: str = "") -> Request:
    """Rate a closed request (e.g. one closed automatically). Once rated, the same rating
    again is a no-op and a different one a conflict."""
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.is_own(actor, request))
        value, note = _rating(rating, comment)  # only once the caller may rate
        if request.status != Status.CLOSED:
            raise invalid_transition(request, _("评价"))
        if request.rating is not None:
            if request.rating == value:
                return request
            raise Conflict(_("这条诉求已经评价过了。"), code="request.already_rated")
        _rate(request, actor, value, note)
    return request


def request_close_auto(
    *, request_id: int, at: datetime | None = None, nested: bool = False
) -> Request:
    """Close a resolved request nobody confirmed within its auto-close days (scheduled job;
    no actor). Before that moment, or when already closed, nothing happens. `nested`: the
    caller holds a transaction (the demo loader); this one is then a savepoint."""
    with transaction.atomic(durable=not nested):
        request = lock(request_id, None, system=True)
        moment = at or now()
        if request.status != Status.RESOLVED or (
            request.auto_close_at is not None and request.auto_close_at > moment
        ):
            return request
        to = target_or_conflict(request, Action.CLOSE_AUTO, _("自动办结"))
        _closed(request, moment, CloseReason.AUTO)
        before = move(
            request,
            to=to,
            kind=EventKind.CLOSED_AUTO,
            actor=None,
            at=moment,
            fields=["closed_at", "close_reason", "reopen_until"],
        )
        audit(request, "closed_auto", None, {"status": [before, to]})
        tell(
            request,
            resident_users(request),
            kind="closed",
            title=_("您的诉求 %(n)s 已自动办结") % {"n": request.number},
        )
    return request


def request_reopen(*, request_id: int, actor: Any, reason: str = "") -> Request:
    """The resident is not satisfied: back to the community's queue, with fresh deadlines.
    Possible while resolved, and after closing within its reopen window."""
    reason = str(reason or "")[:500]
    with transaction.atomic(durable=True):
        request = lock(request_id, actor)
        require(rules.is_own(actor, request))
        if request.status == Status.ACCEPTED and request.reopen_count > 0:
            return request
        to = target_or_conflict(request, Action.REOPEN, _("重新办理"))
        at = now()
        if request.status == Status.CLOSED and (
            request.reopen_until is None or at > request.reopen_until
        ):
            raise Conflict(
                _("已超过可重新办理的期限，请提交新的诉求。"), code="request.reopen_window_passed"
            )
        request.resolve_due_at = at + timedelta(hours=request.resolve_hours)
        request.reopen_count += 1
        request.resolved_at = request.closed_at = request.auto_close_at = None
        request.reopen_until = None
        request.close_reason = ""
        request.rating, request.rating_comment, request.rated_at = None, "", None
        request.resolved_on_time = None
        before = move(
            request,
            to=to,
            kind=EventKind.REOPENED,
            actor=actor,
            at=at,
            note=reason,
            fields=[
                "resolve_due_at",
                "reopen_count",
                "resolved_at",
                "closed_at",
                "auto_close_at",
                "reopen_until",
                "close_reason",
                "rating",
                "rating_comment",
                "rated_at",
                "resolved_on_time",
            ],
        )
        audit(request, "reopened", actor, {"status": [before, to], "reason": reason})
        tell(
            request,
            level_officers(request, Level.COMMUNITY)
            + (
                level_officers(request, request.escalation_level)
                if request.escalation_level > Level.COMMUNITY
                else []
            ),
            kind="reopened",
            title=_("居民对诉求 %(n)s 的办理结果不满意，已重新提交") % {"n": request.number},
            body=reason,
            exclude=actor,
        )
    return request
