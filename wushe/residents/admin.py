from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import Household, Resident, ResidentTag


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    """Read only: registration, changes, tags and status go through the services (audited);
    ID numbers and phones show masked only."""

    list_display = ["name", "region", "id_number_masked", "phone_masked", "status"]
    list_filter = ["status", "hukou"]
    search_fields = ["name"]
    exclude = ["id_number_token", "phone_token", "id_number_hash", "phone_hash"]
    raw_id_fields = ["region", "household", "user"]
    show_full_result_count = False  # the register may hold millions of rows


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["number", "region", "head", "address"]
    search_fields = ["number"]
    raw_id_fields = ["region", "head"]
    show_full_result_count = False


@admin.register(ResidentTag)
class ResidentTagAdmin(ReadOnlyAdmin):
    list_display = ["resident", "tag", "start_date", "end_date", "source"]
    list_filter = ["tag", "source"]
    raw_id_fields = ["region", "resident"]
    show_full_result_count = False
