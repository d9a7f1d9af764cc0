from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

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


def _admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin signs in through the platform's login page, which is throttled and audited
    (docs/security.md, "Sign-in throttling"); Django's own admin login form would be neither."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return redirect_to_login(next_url or reverse("admin:index"), login_url=settings.LOGIN_URL)


admin.site.login = _admin_login  # type: ignore[method-assign]
