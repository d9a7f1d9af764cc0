"""Scheduled work of visits. Beat entry (settings.CELERY_BEAT_SCHEDULE):

    "visits-sweep": {"task": "visits.sweep", "schedule": 3600.0}

Hourly is plenty (periods are days, weeks and months); the first run after midnight sends
the day's alerts. The task is idempotent: each missed period alerts
once (`Enrolment.alerted_period`), so a redelivered task or a second beat changes nothing."""

from __future__ import annotations

from typing import Any

from wushe.celery import app
from wushe.core import context

from . import services


@app.task(bind=True, name="visits.sweep", acks_late=True)
def sweep(self: Any) -> dict[str, int]:
    token = context.set_current(context.RequestContext(request_id=str(self.request.id or "")))
    try:
        report = services.visits_sweep()
    finally:
        context.reset(token)
    return {
        "enrolled": report.sync.enrolled,
        "ended": report.sync.ended,
        "overdue": report.overdue,
        "alerted": report.alerted,
    }
