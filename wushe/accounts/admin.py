from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from wushe.core.admin_base import ReadOnlyAdmin

from .models import ApiToken, RoleGrant, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "is_active", "last_login"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Wushe", {"fields": ("display_name",)}))


@admin.register(RoleGrant)
class RoleGrantAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "region", "organization", "granted_at", "revoked_at"]
    list_filter = ["role"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["key_prefix", "user", "created_at", "expires_at", "revoked_at"]
