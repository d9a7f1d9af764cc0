"""Background work of indicators. Beat entry (settings.CELERY_BEAT_SCHEDULE):

    "indicators-sweep": {"task": "indicators.sweep", "schedule": 120.0}

Each sweep recomputes the counties whose records changed since the last one (refresh.sweep);
running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from wushe.celery import app

from . import refresh


@app.task(bind=True, name="indicators.sweep", acks_late=True)
def sweep(self: Any) -> dict[str, int]:
    runs = refresh.sweep()
    return {"subtrees": len(runs), "rows": sum(r.rows for r in runs)}
