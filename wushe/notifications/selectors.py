"""Reads of a user's own inbox. Nobody reads another user's notifications: there is no scope
wider than oneself (a notification is about the recipient's work, not a register)."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from wushe.core.errors import NotFound

from .models import Notification


def inbox(*, user: Any, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's notifications, unread first, then newest first."""
    queryset = Notification.objects.filter(recipient_id=user.pk)
    if unread is True:
        queryset = queryset.filter(read_at__isnull=True)
    elif unread is False:
        queryset = queryset.filter(read_at__isnull=False)
    return queryset.annotate(
        is_unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    ).order_by("-is_unread", "-created_at", "-id")


def unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_get(*, user: Any, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotFound(code="notification.not_found")
    return notification
