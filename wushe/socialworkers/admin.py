from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import SocialWorker


@admin.register(SocialWorker)
class SocialWorkerAdmin(ReadOnlyAdmin):
    """Read-only: writes go through the services (validation, sealing, derived dates, audit)."""

    list_display = [
        "name",
        "id_number_masked",
        "certificate_level",
        "certificate_number",
        "region",
        "registration_due_on",
        "status",
    ]
    list_filter = ["certificate_level", "status", "resident_at_station"]
    search_fields = ["name", "certificate_number"]
    exclude = ["id_number_token", "id_number_hash", "phone_token", "phone_hash"]
