from __future__ import annotations

import logging
import sys

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wushe.accounts import selectors as account_selectors
from wushe.accounts.roles import ROLE_DESCRIPTIONS

from . import nav
from .api import (
    CONFLICT_RETRY_AFTER,
    UNAVAILABLE_RETRY_AFTER,
    conflict_retry_body,
    database_unavailable,
    error_body,
    out_of_range_body,
    retryable_conflict,
    value_out_of_range,
)

logger = logging.getLogger("wushe.health")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    grants = list(account_selectors.grants_for_display(user=request.user))
    roles = []
    seen: set[str] = set()
    for grant in grants:
        if grant.role not in seen:
            seen.add(grant.role)
            roles.append(
                {
                    "role": grant.role,
                    "label": grant.get_role_display(),
                    "description": ROLE_DESCRIPTIONS.get(grant.role, ""),
                }
            )
    actions = [item for item in nav.items_for(request.user) if item.key != "home"]
    return render(request, "core/home.html", {"grants": grants, "roles": roles, "actions": actions})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("not_found", _("接口不存在。")), status=404)
    return render(request, "errors/404.html", status=404)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            error_body("permission_denied", _("您没有权限执行此操作。")), status=403
        )
    return render(request, "errors/403.html", status=403)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("request.invalid", _("请求无效。")), status=400)
    return render(request, "errors/400.html", status=400)


def error_500(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: a database that cannot be reached
    # (restart, failover) is a 503 with Retry-After, which clients and proxies retry; so is a
    # deadlock or serialization failure (the transaction was rolled back, a retry will do).
    # A number too large for its column is the user's input: 422, nothing was written.
    exc = sys.exc_info()[1]
    if retryable_conflict(exc):
        logger.warning("transaction conflict, page asked to retry: %s", exc)
        if _wants_json(request):
            response: HttpResponse = JsonResponse(conflict_retry_body(), status=503)
        else:
            response = HttpResponse(render_to_string("errors/retry.html"), status=503)
        response["Retry-After"] = str(CONFLICT_RETRY_AFTER)
        return response
    if value_out_of_range(exc):
        logger.warning("value out of range reached the database", exc_info=exc)
        if _wants_json(request):
            return JsonResponse(out_of_range_body(), status=422)
        return HttpResponse(render_to_string("errors/422.html"), status=422)
    if database_unavailable(exc):
        if _wants_json(request):
            response = JsonResponse(
                error_body("server.unavailable", _("服务暂时不可用，请稍后重试。")), status=503
            )
        else:
            # Without the request: its context processors (navigation, permissions) would
            # query the database that just failed.
            response = HttpResponse(render_to_string("errors/500.html"), status=503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return response
    if _wants_json(request):
        return JsonResponse(
            error_body("server.error", _("服务器内部错误，请稍后重试。")), status=500
        )
    return render(request, "errors/500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            error_body("csrf.failed", _("安全校验失败，请刷新页面后重试。")), status=403
        )
    return render(request, "errors/403.html", {"csrf": True}, status=403)
