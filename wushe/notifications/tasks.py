"""Delivery of the outbox. Tasks take ids only, are queued in `on_commit` and are idempotent:
`services.delivery_attempt` claims a row before sending, so a redelivered task (`acks_late`)
or a concurrent sweep never sends a delivery twice.

Beat: `notifications.sweep` every minute delivers whatever the queue lost (Redis down)."""

from __future__ import annotations

from typing import Any

from wushe.celery import app

from . import services


@app.task(bind=True, name="notifications.deliver", acks_late=True)
def deliver(self: Any, delivery_ids: list[int]) -> None:
    """Try each delivery once; a failure that may be retried is queued again after its
    backoff (the row's `next_attempt_at` says when; the sweep does it if this is lost)."""
    for delivery_id in delivery_ids:
        result = services.delivery_attempt(delivery_id=int(delivery_id))
        if result is None or result.retry_in is None:
            continue
        if self.request.is_eager:
            # In-process (no Redis): nothing would wait for the countdown; the sweep retries.
            continue
        deliver.apply_async(args=[[result.delivery_id]], countdown=result.retry_in)


@app.task(name="notifications.sweep", acks_late=True)
def sweep() -> dict[str, int]:
    result = services.delivery_sweep()
    return {
        "reclaimed": result.reclaimed,
        "attempted": result.attempted,
        "sent": result.sent,
        "retrying": result.retrying,
        "failed": result.failed,
        "skipped": result.skipped,
    }
