from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import ServiceStation


@admin.register(ServiceStation)
class ServiceStationAdmin(ReadOnlyAdmin):
    """Read-only: writes go through the services (kind/level checks, audit)."""

    list_display = ["name", "kind", "region", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "address"]
