"""Read-only admin views: the ledger is written only by the audited services."""

from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import Account, Balance, Entry, ExchangeRate, Scheme, Transfer


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "region", "daily_earn_cap", "storage_cap", "active"]
    list_filter = ["kind", "active"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin):
    list_display = ["source", "target", "numerator", "denominator"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "scheme", "kind", "region"]
    list_filter = ["kind", "scheme"]
    search_fields = ["name"]


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ["account", "amount", "updated_at"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "amount", "value_date", "subject", "created_by", "created_at"]
    list_filter = ["kind"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transfer", "account", "amount", "unit"]
