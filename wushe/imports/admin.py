from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "file_name", "status", "created_by", "created_at", "rows_total"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "created_by__username"]
    exclude = ["storage_name"]
