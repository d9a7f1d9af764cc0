from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "target_label", "region_code", "outcome", "ip"]
    list_filter = ["outcome"]
    search_fields = ["actor_label", "action", "region_code"]
