"""Every write about requests. One service per transition (models.TRANSITIONS), each in one
transaction with its timeline event, audit event and notifications."""

from .closing import request_close_auto, request_confirm, request_rate, request_reopen
from .oversight import (
    SweepReport,
    request_escalate,
    request_escalate_overdue,
    request_follow_up,
    request_supervise,
    requests_sweep,
)
from .photos import photo_add_check, request_photo_add
from .submit import policy_for, priority_of, request_submit
from .transitions import (
    HandlerSpec,
    request_accept,
    request_cancel,
    request_claim,
    request_dispatch,
    request_merge,
    request_reject,
    request_resolve,
    request_start,
)

__all__ = [
    "HandlerSpec",
    "SweepReport",
    "photo_add_check",
    "policy_for",
    "priority_of",
    "request_accept",
    "request_cancel",
    "request_claim",
    "request_close_auto",
    "request_confirm",
    "request_dispatch",
    "request_escalate",
    "request_escalate_overdue",
    "request_follow_up",
    "request_merge",
    "request_photo_add",
    "request_rate",
    "request_reject",
    "request_reopen",
    "request_resolve",
    "request_start",
    "request_submit",
    "request_supervise",
    "requests_sweep",
]
