from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import context


def client_ip(request: HttpRequest) -> str | None:
    """The client address. Behind a trusted proxy (WUSHE_BEHIND_PROXY) the first
    X-Forwarded-For hop; otherwise the socket peer, so a client cannot spoof it."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45] or None
    return (request.META.get("REMOTE_ADDR") or None) and request.META["REMOTE_ADDR"][:45]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.META.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex
        token = context.set_current(
            context.RequestContext(
                ip=client_ip(request),
                request_id=request_id,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ApiMethodNotAllowedMiddleware:
    """Django Ninja answers an unregistered method with a bare 405; give it the API's error
    shape like every other error under /api/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from django.http import JsonResponse
            from django.utils.translation import gettext as _

            shaped = JsonResponse(
                {
                    "code": "request.method_not_allowed",
                    "message": _("接口不支持此请求方法。"),
                    "fields": {},
                },
                status=405,
                json_dumps_params={"ensure_ascii": False},
            )
            if allow := response.get("Allow"):
                shaped["Allow"] = allow
            return shaped
        return response
