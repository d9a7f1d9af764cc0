"""Authentication for the HTTP API: bearer tokens, or the page session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from wushe.core.errors import NotAuthenticated

from .services import token_authenticate


class BearerTokenAuth(HttpBearer):
    openapi_description = "`Authorization: Bearer <token>`，令牌由 POST /api/v1/auth/token 获取。"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _sep, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise NotAuthenticated(
                    _("Authorization 请求头格式应为 “Bearer <令牌>”。"), code="auth.header_invalid"
                )
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user, api_token = token_authenticate(plaintext=token.strip())
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in page session, so HTMX pages can call the API. CSRF is enforced."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


API_AUTH = [BearerTokenAuth(), SessionAuth()]
