"""Read-only admin views: every change goes through the audited services (pages and API)."""

from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import CharityFund, CharityStore, Donation, Donor, StoreItem


@admin.register(CharityFund)
class CharityFundAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "region", "status", "public"]
    list_filter = ["kind", "status"]
    search_fields = ["name"]


@admin.register(Donor)
class DonorAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "region", "phone_masked", "id_number_masked", "anonymous"]
    list_filter = ["kind", "anonymous"]
    search_fields = ["name"]
    exclude = ["id_number_token", "id_number_hash", "phone_token", "phone_hash"]


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "donor", "kind", "amount_fen", "fund", "store", "receipt_no"]
    list_filter = ["kind"]
    search_fields = ["receipt_no"]


@admin.register(CharityStore)
class CharityStoreAdmin(ReadOnlyAdmin):
    list_display = ["name", "region", "active"]
    search_fields = ["name"]


@admin.register(StoreItem)
class StoreItemAdmin(ReadOnlyAdmin):
    list_display = ["name", "store", "points_price", "stock", "active"]
    search_fields = ["name"]
