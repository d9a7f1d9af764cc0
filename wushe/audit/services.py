from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from wushe.core import context, fastsql
from wushe.core.masking import mask_mapping

from .models import AuditEvent


def audit_event(
    *,
    action: str,
    actor: Any = None,
    actor_label: str | None = None,
    target: models.Model | None = None,
    target_label: str | None = None,
    region_code: str = "",
    changes: Mapping[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
) -> AuditEvent:
    """The event `audit_record` appends, not yet written (for a hot path that writes it
    together with its other rows: `wushe.core.fastsql.insert_statement`)."""
    ctx = context.current()
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label if actor_label is not None else (user.get_username() if user else "system")
    target_type = target_id = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        if target_label is None:
            target_label = str(target)[:200]
    return AuditEvent(
        actor=user,
        actor_label=label[:150],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label or "")[:200],
        region_code=region_code or "",
        changes=mask_mapping(changes or {}),
        outcome=outcome,
        ip=ctx.ip,
        request_id=ctx.request_id,
    )


def audit_record(
    *,
    action: str,
    actor: Any = None,
    actor_label: str | None = None,
    target: models.Model | None = None,
    target_label: str | None = None,
    region_code: str = "",
    changes: Mapping[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
) -> AuditEvent:
    """Append one audit event. Call it inside the service's transaction, so the event commits
    or rolls back with the change it records. Values in `changes` are masked here."""
    # Written without the ORM's compiler (wushe.core.fastsql): every service writes one of
    # these, on the hot paths too. AuditEvent has no signal receivers.
    return fastsql.insert(
        audit_event(
            action=action,
            actor=actor,
            actor_label=actor_label,
            target=target,
            target_label=target_label,
            region_code=region_code,
            changes=changes,
            outcome=outcome,
        )
    )
