"""Read-only admin views: needs change only through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Need


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "region", "source", "people_count", "status")
    list_filter = ("source", "status")
    search_fields = ("title", "source_ref")
    list_select_related = ("category", "region")
    raw_id_fields = ("resident",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
