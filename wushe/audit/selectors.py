from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from wushe.accounts.roles import Role
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.regions import codes

from .models import AuditEvent

AUDIT_ROLES = (Role.AUDITOR, Role.ADMIN)


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    actor: str = ""
    action: str = ""
    region: str = ""  # significant prefix, e.g. 330481001
    outcome: str = ""


def audit_events_visible(*, user: Any) -> QuerySet[AuditEvent]:
    """Events the user may read: those in the region scope of their auditor/admin grants.
    Events without a region (failed sign-ins, platform jobs) are shown only to nationwide
    and province-level auditors, who answer for the whole platform instance."""
    prefixes = scope_prefixes(user, AUDIT_ROLES)
    if NATIONWIDE in prefixes:
        return AuditEvent.objects.all()
    in_regions = scope_q(user, "region_code", AUDIT_ROLES)
    if any(len(prefix) <= 2 for prefix in prefixes):
        return AuditEvent.objects.filter(in_regions | Q(region_code=""))
    return AuditEvent.objects.filter(in_regions)


def audit_event_search(*, user: Any, filters: AuditFilter) -> QuerySet[AuditEvent]:
    qs = audit_events_visible(user=user)
    if filters.since:
        qs = qs.filter(at__gte=filters.since)
    if filters.until:
        qs = qs.filter(at__lt=filters.until)
    if filters.actor:
        qs = qs.filter(actor_label=filters.actor.strip())
    if filters.action:
        # A prefix matches a family: "accounts.login" finds succeeded, failed and throttled.
        qs = qs.filter(action__startswith=filters.action.strip())
    if filters.region:
        low, high = codes.scope_range(filters.region)
        qs = qs.filter(region_code__gte=low, region_code__lte=high)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    return qs.order_by("-at", "-id")
