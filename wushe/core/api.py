"""The HTTP API object and its one error handler: every error leaves as
`{"code": "stable.code", "message": "中文说明", "fields": {…}}`."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled
from ninja.renderers import JSONRenderer

from .errors import DomainError

logger = logging.getLogger("wushe.api")


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _validation_fields(exc: ValidationError) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        key = ".".join(loc) or "body"
        fields.setdefault(key, []).append(error.get("msg", ""))
    return fields


class UnicodeJSONRenderer(JSONRenderer):
    """JSON with Chinese text as UTF-8 rather than \\u escapes: readable in logs and curl."""

    json_dumps_params = {"ensure_ascii": False}


class WusheAPI(NinjaAPI):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("renderer", UnicodeJSONRenderer())
        super().__init__(*args, **kwargs)

    def on_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:  # type: ignore[override]
        if isinstance(exc, DomainError):
            response = self.create_response(request, exc.as_dict(), status=exc.status)
            if retry_after := getattr(exc, "retry_after", None):
                response["Retry-After"] = str(retry_after)
            return response
        if isinstance(exc, ValidationError):
            fields = _validation_fields(exc)
            return self.create_response(
                request,
                error_body("validation_failed", _("提交的数据有误，请检查后重试。"), fields),
                status=422,
            )
        if isinstance(exc, AuthenticationError):
            return self.create_response(
                request,
                error_body("auth.required", _("请先登录或提供有效的访问令牌。")),
                status=401,
            )
        if isinstance(exc, NinjaThrottled):
            return self.create_response(
                request, error_body("throttled", _("请求过于频繁，请稍后再试。")), status=429
            )
        if isinstance(exc, RequestDataTooBig):
            return self.create_response(
                request, error_body("request.too_large", _("请求内容过大。")), status=413
            )
        if isinstance(exc, Http404):
            return self.create_response(request, error_body("not_found", _("未找到。")), status=404)
        if isinstance(exc, DjangoPermissionDenied):
            return self.create_response(
                request, error_body("permission_denied", _("您没有权限执行此操作。")), status=403
            )
        if isinstance(exc, HttpError) and str(exc).startswith("Cannot parse request body"):
            if isinstance(exc.__cause__, RequestDataTooBig):
                return self.create_response(
                    request, error_body("request.too_large", _("请求内容过大。")), status=413
                )
            return self.create_response(
                request,
                error_body("request.body_invalid", _("请求内容不是有效的 JSON。")),
                status=400,
            )
        if isinstance(exc, HttpError) and str(exc) == "CSRF check Failed":
            return self.create_response(
                request,
                error_body("csrf.failed", _("安全校验失败，请刷新页面后重试。")),
                status=403,
            )
        if isinstance(exc, HttpError):
            code = {400: "request.invalid", 405: "request.method_not_allowed"}.get(
                exc.status_code, "request.error"
            )
            return self.create_response(
                request, error_body(code, _("请求无效。")), status=exc.status_code
            )
        logger.exception("unhandled API error", exc_info=exc)
        return self.create_response(
            request, error_body("server.error", _("服务器内部错误，请稍后重试。")), status=500
        )
