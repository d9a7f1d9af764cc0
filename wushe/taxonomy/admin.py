from django.contrib import admin

from .models import Term


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["vocabulary", "code", "name", "name_en", "order", "active"]
    list_filter = ["vocabulary", "active"]
    search_fields = ["code", "name", "name_en"]
