"""Domain errors with stable codes. One handler (wushe.core.api) turns them into the API's
error shape `{"code", "message", "fields"}`; pages show `message` to the user."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every error a service raises on purpose. `code` is stable and documented."""

    status = 400
    code = "invalid"
    default_message: Any = _("请求无效。")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = fields or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "fields": self.fields}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"
    default_message = _("提交的数据有误，请检查后重试。")


class NotAuthenticated(DomainError):
    status = 401
    code = "auth.required"
    default_message = _("请先登录。")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_message = _("您没有权限执行此操作。")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("未找到该对象，或不在您的管辖范围内。")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("当前状态不允许此操作。")


class Throttled(DomainError):
    status = 429
    code = "throttled"
    default_message = _("尝试次数过多，请稍后再试。")

    def __init__(self, message: Any = None, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
