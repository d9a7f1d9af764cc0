"""Read-only admin views: records change only through the audited services."""

from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import Activity, Certificate, ServiceRecord


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["title", "region", "organiser", "starts_at", "ends_at"]
    search_fields = ["title"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "activity", "volunteer", "minutes", "status", "verified_at"]
    list_filter = ["status"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["number", "volunteer", "minutes", "issued_on", "revoked"]
    search_fields = ["number"]
