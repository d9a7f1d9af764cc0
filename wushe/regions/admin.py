from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import Region, RegionLoad


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "kind"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]


@admin.register(RegionLoad)
class RegionLoadAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "source_package",
        "source_version",
        "prefix",
        "created",
        "updated",
    ]
