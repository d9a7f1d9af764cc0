"""Read-only admin views: every change goes through the audited services (pages and API)."""

from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import AssistanceBudget, Call, Expenditure, Project, Review


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "funding_source", "year", "budget_fen", "status"]
    list_filter = ["kind", "funding_source", "status"]
    search_fields = ["title"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "organization", "region", "status", "approved_fen", "spent_fen"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["project", "reviewer", "stage", "score", "reviewed_at"]
    list_filter = ["stage"]


@admin.register(Expenditure)
class ExpenditureAdmin(ReadOnlyAdmin):
    list_display = ["project", "spent_on", "item", "amount_fen"]
    exclude = ["attachment", "attachment_thumbnail"]


@admin.register(AssistanceBudget)
class AssistanceBudgetAdmin(ReadOnlyAdmin):
    list_display = ["region", "year", "total_fen", "share_bp"]
