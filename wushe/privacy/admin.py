from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import Consent


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["subject_label", "purpose", "given_on", "region", "withdrawn_at"]
    list_filter = ["purpose", "method"]
