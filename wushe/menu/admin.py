"""Read-only admin views: every change goes through the services (capacity, transitions,
audit), so the admin only looks."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ServiceOffering, ServiceOrder


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceOffering)
class ServiceOfferingAdmin(ReadOnly):
    list_display = ("title", "provider_kind", "region", "capacity", "period", "active")
    list_filter = ("provider_kind", "active", "period")
    search_fields = ("title",)
    list_select_related = ("region",)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ReadOnly):
    list_display = ("pk", "offering", "region", "service_date", "status", "rating")
    list_filter = ("status",)
    list_select_related = ("offering", "region")
    raw_id_fields = ("resident",)
