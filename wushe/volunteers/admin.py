from django.contrib import admin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import TeamMembership, Volunteer, VolunteerTeam


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    """Read only: registration, changes and status go through the services (audited)."""

    list_display = ["number", "name", "region", "status", "registered_on"]
    list_filter = ["status"]
    search_fields = ["number", "name"]
    exclude = ["id_number_token", "phone_token", "id_number_hash", "phone_hash"]


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "region", "organization", "leader"]
    search_fields = ["name"]


@admin.register(TeamMembership)
class TeamMembershipAdmin(ReadOnlyAdmin):
    list_display = ["team", "volunteer", "role", "joined_on"]
