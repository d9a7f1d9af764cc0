"""Scoped reads of activities and service records: a volunteer sees their own records, an
organiser those of their activities, workers those of their region; otherwise 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import NotFound

from .models import Activity, ServiceRecord


def records_visible(*, user: Any, status: str = "") -> QuerySet[ServiceRecord]:
    qs = ServiceRecord.objects.select_related("activity", "volunteer")
    if NATIONWIDE not in scope_prefixes(user, WORKER_ROLES):
        qs = qs.filter(
            Q(volunteer__user_id=user.pk)
            | Q(activity__organiser_id=user.pk)
            | scope_q(user, "region", WORKER_ROLES)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-signed_in_at", "-pk")


def record_get(*, user: Any, record_id: int) -> ServiceRecord:
    record = records_visible(user=user).filter(pk=record_id).first()
    if record is None:
        raise NotFound(code="activities.record.not_found")
    return record


def activity_get(*, activity_id: int) -> Activity:
    """Activities are public within the platform (a volunteer signs up to any); writes check
    their own permissions."""
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(code="activities.activity.not_found")
    return activity
