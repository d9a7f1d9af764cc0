"""Background steps of big imports. Tasks take ids only, are queued with
`transaction.on_commit`, and are idempotent (the services check the job's status under a row
lock), so a redelivered task (`acks_late`) does no harm."""

from __future__ import annotations

from typing import Any

from wushe.celery import app
from wushe.core import context

from . import services


def _with_task_context(task: Any, run: Any, job_id: int) -> None:
    # Eager mode runs inside the request: keep its context (address, request id) for audit.
    if context.current().request_id:
        run(job_id=job_id)
        return
    token = context.set_current(context.RequestContext(request_id=f"task-{task.request.id}"[:64]))
    try:
        run(job_id=job_id)
    finally:
        context.reset(token)


@app.task(bind=True, name="imports.validate_job", acks_late=True)
def validate_job(self: Any, job_id: int) -> None:
    _with_task_context(self, services.import_validate, job_id)


@app.task(bind=True, name="imports.commit_job", acks_late=True)
def commit_job(self: Any, job_id: int) -> None:
    _with_task_context(self, services.import_run_commit, job_id)
