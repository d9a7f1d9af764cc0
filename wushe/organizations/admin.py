from django.contrib import admin

from .models import Organization, OrganizationContact


class ContactInline(admin.TabularInline):
    model = OrganizationContact
    extra = 0
    fields = ["name", "title", "phone_masked", "is_primary"]
    readonly_fields = ["phone_masked"]  # sealed: set through the register's pages or API


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "legal_status", "org_kind", "grade", "is_hub"]
    list_filter = ["legal_status", "org_kind", "grade", "is_hub", "is_social_work_agency"]
    search_fields = ["name", "credit_code", "filing_number"]
    raw_id_fields = ["region", "coverage"]
    filter_horizontal = ["service_categories"]
    # Status and grade change only through their services (lifecycle and grading rules).
    readonly_fields = [
        "legal_status",
        "credit_code_warnings",
        "grade",
        "grade_awarded_on",
        "grade_expires_on",
        "created_at",
        "updated_at",
    ]
    inlines = [ContactInline]
