"""The HTTP API object and its one error handler: every error leaves as
`{"code": "stable.code", "message": "中文说明", "fields": {…}}`."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from .errors import DomainError, ValidationFailed

logger = logging.getLogger("wushe.api")


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _range_message(error: Any) -> str | None:
    """A Chinese message for pydantic's bound errors (`Field(ge=…, le=…)`), which say what is
    allowed; None for the other errors, whose English message is kept."""
    limits = error.get("ctx") or {}
    kind = error.get("type")
    if kind == "less_than_equal" and "le" in limits:
        return _("不能大于 %(limit)s。") % {"limit": limits["le"]}
    if kind == "greater_than_equal" and "ge" in limits:
        return _("不能小于 %(limit)s。") % {"limit": limits["ge"]}
    if kind == "less_than" and "lt" in limits:
        return _("须小于 %(limit)s。") % {"limit": limits["lt"]}
    if kind == "greater_than" and "gt" in limits:
        return _("须大于 %(limit)s。") % {"limit": limits["gt"]}
    return None


def _validation_fields(exc: ValidationError) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        key = ".".join(loc) or "body"
        fields.setdefault(key, []).append(_range_message(error) or error.get("msg", ""))
    return fields


# Every operation can answer with these errors (the one handler below writes them), so the
# OpenAPI document declares them on every operation that does not declare its own: clients and
# the API fuzz test (wushe/core/tests/test_fuzz_api.py) then know every status and body shape.
ERROR_SCHEMA_NAME = "ErrorOut"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "properties": {
        "code": {"title": "Code", "type": "string"},
        "message": {"title": "Message", "type": "string"},
        "fields": {"title": "Fields", "type": "object", "additionalProperties": True},
    },
    "required": ["code", "message", "fields"],
}
ERROR_RESPONSES: dict[int, str] = {
    400: "请求无效（request.invalid、request.body_invalid 或业务规则）",
    401: "未登录或令牌无效（auth.required）",
    403: "无权执行此操作（permission_denied）",
    404: "不存在或不在调用者的管辖范围内（not_found）",
    409: "当前状态不允许此操作（conflict）",
    413: "请求内容过大（request.too_large）",
    422: "提交的数据有误（validation_failed，fields 按字段列出原因；input.out_of_range）",
    429: "请求过于频繁（throttled）",
    503: "暂时不可用（server.unavailable）或并发冲突（server.conflict_retry），按 Retry-After 重试",
}


def declare_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error responses to every operation of an OpenAPI document (in place). Status
    keys become strings: an operation's `openapi_extra` declares "200" next to Ninja's 200,
    which in JSON would be the same key twice; the two are merged, the explicit one winning."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_SCHEMA_NAME, ERROR_SCHEMA)
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses: dict[str, Any] = {}
            for status, response in operation.get("responses", {}).items():
                responses[str(status)] = {**responses.get(str(status), {}), **response}
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(str(status), {"description": description, "content": body})
            operation["responses"] = responses
    return document


class UniqueNamesOpenAPISchema(OpenAPISchema):
    """Ninja's OpenAPI document, except that two different schemas with the same class name
    (`CountsOut` of imports and of requests, `ActivityIn` of activities and of projects …) no
    longer overwrite each other in `components.schemas`, which made the document describe the
    wrong body for one of them. The second gets a numbered name (`CountsOut2`) and the
    references of the model being described are rewritten to it."""

    def __init__(self, api: NinjaAPI, path_prefix: str) -> None:
        self._renames: dict[str, str] = {}
        super().__init__(api, path_prefix)

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        # Renames depend on each other (a definition that refers to a renamed one differs only
        # through that reference), so recompute them until they settle.
        renames: dict[str, str] = {}
        for _attempt in range(len(definitions) + 1):
            settled: dict[str, str] = {}
            for name, definition in definitions.items():
                candidate = _rewrite_refs(definition, renames)
                if self.schemas.get(name) in (None, candidate):
                    continue
                number = 2
                while self.schemas.get(f"{name}{number}") not in (None, candidate):
                    number += 1
                settled[name] = f"{name}{number}"
            if settled == renames:
                break
            renames = settled
        for name, definition in definitions.items():
            self.schemas[renames.get(name, name)] = _rewrite_refs(definition, renames)
        self._renames = renames

    def _create_schema_from_model(self, *args: Any, **kwargs: Any) -> Any:
        self._renames = {}
        schema, required = super()._create_schema_from_model(*args, **kwargs)
        return _rewrite_refs(schema, self._renames), required

    def _extract_parameters(self, *args: Any, **kwargs: Any) -> Any:
        self._renames = {}
        parameters = super()._extract_parameters(*args, **kwargs)
        return _rewrite_refs(parameters, self._renames)


def _rewrite_refs(value: Any, renames: dict[str, str]) -> Any:
    """A copy of a JSON schema fragment with `$ref`s to renamed components pointing at the new
    names."""
    if not renames:
        return value
    refs = {
        REF_TEMPLATE.format(model=old): REF_TEMPLATE.format(model=new)
        for old, new in renames.items()
    }

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: refs.get(item, item) if key == "$ref" else rewrite(item)
                for key, item in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return rewrite(value)


# Seconds a client should wait before retrying when the database cannot be reached.
UNAVAILABLE_RETRY_AFTER = 5
# Seconds a client should wait before retrying after a deadlock or serialization failure: the
# other transaction has finished by then.
CONFLICT_RETRY_AFTER = 1

# SQLSTATEs of a transaction PostgreSQL rolled back because of another one (class 40):
# serialization_failure and deadlock_detected. Repeating the request is the remedy.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
_RETRYABLE_NAMES = frozenset({"SerializationFailure", "DeadlockDetected", "TransactionRollback"})
# numeric_value_out_of_range: "integer out of range", "bigint out of range", "numeric field
# overflow" (22003).
_OUT_OF_RANGE_SQLSTATE = "22003"


def _sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a database error, of psycopg 3 (`sqlstate`) or 2 (`pgcode`), looking
    through Django's wrapper to the driver's error it was raised from."""
    for error in (exc, getattr(exc, "__cause__", None)):
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if code:
            return str(code)
    return None


def retryable_conflict(exc: BaseException | None) -> bool:
    """PostgreSQL rolled the transaction back because of a concurrent one (a deadlock, or a
    serialization failure under REPEATABLE READ/SERIALIZABLE): nothing was written, and the
    same request will very likely succeed a moment later, so 503 `server.conflict_retry` with
    Retry-After rather than a 500. Logged as a warning: frequent deadlocks still deserve a look
    at the lock order."""
    if not isinstance(exc, DatabaseError):
        return False
    if _sqlstate(exc) in _RETRYABLE_SQLSTATES:
        return True
    return any(type(error).__name__ in _RETRYABLE_NAMES for error in (exc, exc.__cause__) if error)


def value_out_of_range(exc: BaseException | None) -> bool:
    """A number too large for its column reached the database: PostgreSQL refuses it with a
    DataError (SQLSTATE 22003), SQLite's driver with an OverflowError beyond 64 bits. The entry
    points bound their integers (wushe.core.bounds); this is the net for one that does not,
    answered as the user's mistake (422 `input.out_of_range`) rather than a 500. Nothing was
    written: the statement failed and its transaction was rolled back."""
    if isinstance(exc, OverflowError):
        return True
    if not isinstance(exc, DataError):
        return False
    return _sqlstate(exc) == _OUT_OF_RANGE_SQLSTATE or "out of range" in str(exc)


def out_of_range_body() -> dict[str, Any]:
    return error_body("input.out_of_range", _("输入的数值超出允许范围，请检查后重试。"))


def conflict_retry_body() -> dict[str, Any]:
    return error_body("server.conflict_retry", _("数据正被同时修改，请稍后重试。"))


def database_unavailable(exc: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (server restarting, failing
    over, too many connections): a retry later will do, so 503 with Retry-After, not a 500.
    Errors of the statement itself (IntegrityError, DataError, ProgrammingError) stay 500s;
    a deadlock or serialization failure is `retryable_conflict`, not this."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    return not retryable_conflict(exc)


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Dotted paths of the strings (keys too) in parsed input that contain a NUL character."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                found.append(path or "body")
            found.extend(_nul_fields(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_nul_fields(item, f"{path}.{index}" if path else str(index)))
    return found


class NulRefusingParser(Parser):
    """Ninja's parser, refusing text with a NUL character in a JSON body or in query and form
    parameters, as Django's form fields do (ProhibitNullCharactersValidator): PostgreSQL can
    neither store nor compare such text and answered 500 (found by the API fuzz test)."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        _refuse_nul(data)
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        _refuse_nul(result)
        return result


def _refuse_nul(data: Any) -> None:
    fields = _nul_fields(data)
    if fields:
        message = _("提交的内容含有不允许的空字符（NUL），请删除后重试。")
        raise ValidationFailed(
            message, code="request.nul_character", fields={name: [message] for name in fields[:20]}
        )


class UnicodeJSONRenderer(JSONRenderer):
    """JSON with Chinese text as UTF-8 rather than \\u escapes: readable in logs and curl."""

    json_dumps_params = {"ensure_ascii": False}


class WusheAPI(NinjaAPI):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("renderer", UnicodeJSONRenderer())
        kwargs.setdefault("parser", NulRefusingParser())
        super().__init__(*args, **kwargs)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return declare_error_responses(UniqueNamesOpenAPISchema(self, path_prefix))

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
        if isinstance(exc, TooManyFilesSent) or isinstance(exc.__cause__, TooManyFilesSent):
            # More file parts than DATA_UPLOAD_MAX_NUMBER_FILES (wushe.core.uploads).
            return self.create_response(
                request,
                error_body("upload.too_many_files", _("一次上传的文件过多，请分几次上传。")),
                status=413,
            )
        if isinstance(exc, TooManyFieldsSent) or isinstance(exc.__cause__, TooManyFieldsSent):
            return self.create_response(
                request, error_body("request.too_many_fields", _("请求的字段过多。")), status=400
            )
        if isinstance(exc, Http404):
            return self.create_response(request, error_body("not_found", _("未找到。")), status=404)
        if isinstance(exc, DjangoPermissionDenied):
            return self.create_response(
                request, error_body("permission_denied", _("您没有权限执行此操作。")), status=403
            )
        if isinstance(exc, HttpError) and str(exc).startswith("Cannot parse request body"):
            if isinstance(exc.__cause__, DomainError):  # the parser refused it (NUL characters)
                return self.on_exception(request, exc.__cause__)
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
        if retryable_conflict(exc):
            logger.warning("transaction conflict, client asked to retry: %s", exc)
            response = self.create_response(request, conflict_retry_body(), status=503)
            response["Retry-After"] = str(CONFLICT_RETRY_AFTER)
            return response
        if value_out_of_range(exc):
            logger.warning("value out of range reached the database", exc_info=exc)
            return self.create_response(request, out_of_range_body(), status=422)
        if database_unavailable(exc):
            logger.warning("database unavailable: %s: %s", type(exc).__name__, exc)
            response = self.create_response(
                request,
                error_body("server.unavailable", _("服务暂时不可用，请稍后重试。")),
                status=503,
            )
            response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
            return response
        logger.exception("unhandled API error", exc_info=exc)
        return self.create_response(
            request, error_body("server.error", _("服务器内部错误，请稍后重试。")), status=500
        )
