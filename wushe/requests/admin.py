from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import DeadlinePolicy, Request, RequestEvent


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    """Configuration (办理时限), like the taxonomy: edited here by administrators. A change
    applies to requests submitted afterwards; filed requests keep their snapshot."""

    list_display = [
        "region",
        "category",
        "urgency",
        "accept_hours",
        "resolve_hours",
        "auto_close_days",
        "reopen_days",
    ]
    list_filter = ["urgency"]
    search_fields = ["region__code", "region__name"]
    raw_id_fields = ["region"]


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
    """Read-only: every change goes through the transition services (timeline, audit)."""

    list_display = ["number", "region", "category", "status", "escalation_level", "submitted_at"]
    list_filter = ["status", "escalation_level", "urgency", "channel"]
    search_fields = ["number"]
    exclude = ["idempotency_key", "idempotency_fingerprint"]


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdmin):
    list_display = ["request", "seq", "at", "kind", "actor_label"]
    list_filter = ["kind"]
