from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import Enrolment, FrequencyPolicy, Visit, VisitRule, WeatherOverride


@admin.register(VisitRule)
class VisitRuleAdmin(ReadOnlyAdmin):
    """Read-only: rules are set on the plan page (services check scope and audit)."""

    list_display = ["region", "tag", "risk_level", "severe_only", "active", "updated_at"]
    list_filter = ["tag", "risk_level", "active"]


@admin.register(FrequencyPolicy)
class FrequencyPolicyAdmin(ReadOnlyAdmin):
    list_display = ["region", "risk_level", "frequency", "updated_at"]


@admin.register(WeatherOverride)
class WeatherOverrideAdmin(ReadOnlyAdmin):
    list_display = ["region", "frequency", "starts_on", "ends_on", "reason"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    """Read-only: enrolment, assignment and ending go through the services."""

    list_display = [
        "resident",
        "region",
        "group",
        "risk_level",
        "frequency",
        "enrolled_on",
        "ended_on",
    ]
    list_filter = ["group", "risk_level", "frequency", "source"]
    raw_id_fields = ["resident", "visitor"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "region", "visited_at", "visited_on", "method", "situation"]
    list_filter = ["method", "situation"]
    exclude = ["idempotency_key", "idempotency_fingerprint"]
