"""Scheduled work of requests. Beat entry (settings.CELERY_BEAT_SCHEDULE):

    "requests.sweep": {"task": "requests.sweep", "schedule": 300.0}

Every five minutes is plenty: deadlines are counted in hours. The task is idempotent (a
request is looked at only once its `sweep_at` has come, and handling it moves `sweep_at`),
so a redelivered task (`acks_late`) or a second beat changes nothing."""

from __future__ import annotations

from typing import Any

from wushe.celery import app
from wushe.core import context

from . import services


@app.task(bind=True, name="requests.sweep", acks_late=True)
def sweep(self: Any) -> dict[str, int]:
    token = context.set_current(context.RequestContext(request_id=str(self.request.id or "")))
    try:
        report = services.requests_sweep()
    finally:
        context.reset(token)
    return {"escalated": len(report.escalated), "closed": len(report.closed)}
