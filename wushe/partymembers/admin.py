from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import PartyMemberCheckin


@admin.register(PartyMemberCheckin)
class PartyMemberCheckinAdmin(ReadOnlyAdmin):
    """Read-only: writes go through the services (validation, sealing, audit)."""

    list_display = ["name", "id_number_masked", "work_unit", "region", "reported_on", "status"]
    list_filter = ["status"]
    search_fields = ["name", "work_unit"]
    exclude = ["id_number_token", "id_number_hash", "phone_token", "phone_hash"]
