"""The access matrix: every API operation (from the OpenAPI document, built in-process) and
every page route (from Django's URL resolver), called as every role, with an object inside the
role's region and ones outside it (another township, another county, another province).
What each (operation, role) must give lives in one table, `access_matrix.py`; an operation
or page without an entry fails with a ready-to-paste row.

Each call runs inside a savepoint that is rolled back, so a write that got through changes
nothing for the next call. A call that was refused (401/403/404 or a redirect to the login
page) must not have written a successful audit event: refusals come before writes.

What a GET that let the role in answered is searched for the objects of the places outside
the role's reach (each carries its place's marker, access_world.MARKERS): no list, page or
download may show them, and the lists (API GETs answering an array or a page of items, found
from the OpenAPI document; the main list pages) must show the province officer and admin the
places they do reach ("what lists show" below).

Set WUSHE_MATRIX_OBSERVE=/path/file.py to write the observed table instead of only failing
(handy after adding many endpoints; read every line before pasting it into the table)."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from wushe.audit.models import AuditEvent

from .access_matrix import (
    ANY,
    API,
    DENIED,
    LOGIN,
    OK,
    PAGE_FORMS,
    PAGE_VALUES,
    PAGES,
    SKIPPED_PAGES,
    SKIPPED_PREFIXES,
)
from .access_world import MARKERS, OUT_OF_REACH, ROLES, World, build_world, png_bytes

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1"
ERROR = "error"  # a 5xx or an unexpected status: never expected

# Path and query parameters that name an object of the world, by name.
PARAM_KINDS: dict[str, str] = {
    "station_id": "station",
    "worker_id": "social_worker",
    "checkin_id": "checkin",
    "volunteer_id": "volunteer",
    "volunteer_pk": "volunteer",
    "team_id": "team",
    "resident_id": "resident",
    "tag_id": "tag",
    "household_id": "household",
    "fund_id": "fund",
    "donor_id": "donor",
    "donation_id": "donation",
    "store_id": "store",
    "item_id": "item",
    "job_id": "import_job",
    "notification_id": "notification",
    "request_id": "request",
    # A body or query field that names a request by id (needs/from-request, eligible
    # handlers): the world's request, not id 1 (which exists only while the sequence is fresh:
    # a transactional test earlier in the same worker moves it on).
    "request": "request",
    "photo_id": "photo",
    "activity_id": "activity",
    "record_id": "record",
    "account_id": "account",
    "offering_id": "offering",
    "order_id": "order",
    "need_id": "need",
    "call_id": "call",
    "project_id": "project",
    "expenditure_id": "expenditure",
    "milestone_id": "milestone",
    "organization_id": "organization",
    "enrolment_id": "enrolment",
    "visit_id": "visit",
    "override_id": "override",
    "proposal_id": "proposal",
    "token_id": "token",
    "county_code": "county_code",
    "year": "year",
    "subject_id": "resident",
    "line_id": "proposal_line",
    "region_code": "region",
    "target_id": "request",
}
# Parameters whose kind depends on where they sit: (path prefix, name) -> kind, longest first.
PREFIX_KINDS: list[tuple[str, str, str]] = [
    ("volunteers/teams/", "pk", "team"),
    ("volunteers/", "pk", "volunteer"),
    ("organizations/", "pk", "organization"),
    ("residents/households/", "pk", "household"),
    ("residents/", "pk", "resident"),
    ("charity/funds/", "pk", "fund"),
    ("charity/donations/", "pk", "donation"),
    ("charity/donors/", "pk", "donor"),
    ("charity/stores/", "pk", "store"),
    ("charity/items/", "pk", "item"),
    ("activities/records/", "pk", "record"),
    ("activities/", "pk", "activity"),
    ("timebank/schemes/", "pk", "scheme"),
    ("regions", "code", "region"),
    ("indicators", "code", "indicator"),
    ("imports", "kind", "import_kind"),
    ("exports", "kind", "import_kind"),
    ("matching/settings/", "region_code", "township"),
]


# Inputs that the schema alone cannot give: where an operation validates its input before it
# checks who calls (or the published schema names the wrong body), a valid input lets the
# matrix see the permission check. "@kind" is the world's object of that kind (inside).
# Keys: "body", "query", "headers".
API_INPUTS: dict[str, dict[str, dict[str, Any]]] = {
    # The OpenAPI document shows projects' ActivityIn here (schema name clash).
    "POST /api/v1/activities": {
        "body": {
            "region": "@region",
            "title": "助餐",
            "starts_at": "@tomorrow_9",
            "ends_at": "@tomorrow_11",
        }
    },
    # The OpenAPI document shows matching's ProposalIn here (schema name clash).
    "POST /api/v1/projects/calls/{call_id}/proposals": {
        "body": {
            "organization_id": "@organization",
            "region": "@region",
            "title": "助餐项目",
            "summary": "为独居老人助餐。",
            "requested_fen": 100_00,
        }
    },
    "POST /api/v1/requests": {"body": {"category": "daily_care"}},
    "POST /api/v1/requests/{request_id}/photos": {"body": {"stage": "submitted"}},
    "POST /api/v1/orders": {"body": {"offering": "@offering"}},
    "POST /api/v1/timebank/transfers": {
        "body": {"kind": "gift", "source": "@account", "target": "@account", "amount": 1},
        "headers": {"HTTP_IDEMPOTENCY_KEY": "matrix-transfer"},
    },
    "POST /api/v1/timebank/exchange": {
        "body": {"source": "@account", "target": "@account"},
        "headers": {"HTTP_IDEMPOTENCY_KEY": "matrix-exchange"},
    },
    # A list with a narrowing default, asked for everything so that the list checks see the
    # world's enrolments (a visit has just been made, none is due this week).
    "GET /api/v1/visits/due": {"query": {"bucket": "all"}},
    "GET /api/v1/indicators": {"query": {"region": "@region", "period": "2026"}},
    "GET /api/v1/indicators/{code}/breakdown": {"query": {"region": "@township", "period": "2026"}},
    "GET /api/v1/matching/suggestions": {"query": {"request": "@request"}},
    # A real subject, but a reason too short to pass: who may not reveal is refused (403/404)
    # before the reason is looked at, who may is told about the reason (422).
    "POST /api/v1/personal/reveal": {
        "body": {"subject_type": "residents.resident", "subject_id": "@resident", "reason": "看"}
    },
    "POST /api/v1/imports": {"body": {"kind": "residents"}},
}


@dataclass(frozen=True)
class Endpoint:
    key: str  # "GET /api/v1/x/{id}" or the page route "/x/<int:id>/"
    method: str
    path: str
    params: tuple[str, ...]
    operation: dict[str, Any] | None  # the OpenAPI operation (API only)


@dataclass
class Observed:
    outcome: str
    status: int
    detail: str
    text: str | None = None  # what a GET that answered 200 showed (see shown_text)


def kind_of(path: str, name: str) -> str:
    bare = path.removeprefix(API_PREFIX + "/").lstrip("/")
    for prefix, param, kind in PREFIX_KINDS:
        if name == param and bare.startswith(prefix):
            return kind
    if name in PARAM_KINDS:
        return PARAM_KINDS[name]
    raise LookupError(
        f"access matrix: no world object for parameter {name!r} of {path}: add it to "
        "PARAM_KINDS/PREFIX_KINDS in test_access_matrix.py (and the object to access_world.py)"
    )


# --- discovery ---------------------------------------------------------------------------


def api_endpoints() -> tuple[list[Endpoint], dict[str, Any]]:
    from wushe.api import api

    schema = api.get_openapi_schema(path_prefix=API_PREFIX)
    endpoints = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = tuple(re.findall(r"{(\w+)}", path))
            endpoints.append(
                Endpoint(f"{method.upper()} {path}", method.upper(), path, params, operation)
            )
    return endpoints, schema


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def page_endpoints() -> list[Endpoint]:
    endpoints = []
    for route in _walk(get_resolver()):
        if route.startswith(SKIPPED_PREFIXES):
            continue
        key = "/" + route
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
        endpoints.append(Endpoint(key, "GET", key, params, None))
    return endpoints


# --- filling parameters and bodies -----------------------------------------------------------


class Filler:
    def __init__(self, world: World, schema: dict[str, Any] | None = None) -> None:
        self.world = world
        self.schema = schema or {}
        self.serial = 0

    def object_id(self, path: str, name: str, place: str) -> Any:
        value = self.world.object_id(kind_of(path, name), place)
        if value is None and place == "in":
            raise LookupError(
                f"access matrix: the world has no {kind_of(path, name)!r} for {path}: "
                "make one in access_world.build_world"
            )
        return value

    def url(self, endpoint: Endpoint, place: str) -> str | None:
        """The path with every parameter filled for `place`, or None when the world has no
        object of that kind there (the call is then made only inside)."""
        path = endpoint.path
        fixed = PAGE_VALUES.get(endpoint.key, {})
        for name in endpoint.params:
            if name in fixed:
                value = fixed[name]
            else:
                value = self.object_id(endpoint.path, name, place)
                if value is None:
                    return None
            path = re.sub(r"[{<](?:\w+:)?" + name + r"[}>]", str(value), path)
        return path

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            node = self.schema["components"]["schemas"][name]
        if "anyOf" in node or "oneOf" in node:
            either = node.get("anyOf", node.get("oneOf", []))
            options = [o for o in either if o.get("type") != "null"]
            if options:
                merged = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
                return {**self.resolve(options[0]), **merged}
        if "allOf" in node:
            return self.resolve(node["allOf"][0])
        return node

    def value(self, name: str, node: dict[str, Any], path: str) -> Any:
        node = self.resolve(node)
        kind = node.get("type")
        if name in PARAM_KINDS or (name.endswith("_id") and kind == "integer"):
            try:
                value = self.object_id(path, name, "in")
            except LookupError:
                value = 1
            if kind == "string":
                return str(value)
            if kind == "array":
                return [value]
            return value
        if name == "reason":
            return "重复提交，已合并处理"
        if "enum" in node:
            return node["enum"][0]
        if "default" in node and node["default"] is not None:
            return node["default"]
        fmt = node.get("format", "")
        if kind == "string":
            if fmt == "date":
                return (timezone.localdate() + timedelta(days=1)).isoformat()
            if fmt == "date-time":
                return timezone.now().isoformat()
            if fmt == "binary":
                return SimpleUploadedFile("matrix.png", png_bytes(), content_type="image/png")
            if name in ("region", "region_code", "community"):
                return self.world.object_id("region", "in")
            return "测试"
        if kind == "integer":
            return max(1, node.get("minimum", 1))
        if kind == "number":
            return 1
        if kind == "boolean":
            return False
        if kind == "array":
            items = self.resolve(node.get("items", {}))
            if node.get("minItems") or items.get("format") == "binary":
                return [self.value(name, node.get("items", {}), path)]
            return []
        if kind == "object" or "properties" in node:
            return self.body(node, path)
        return "测试"

    def body(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        node = self.resolve(node)
        # Only what the schema requires: an operation must refuse a caller who may not call it
        # before it finds the body wanting (permission first, then validation).
        wanted = set(node.get("required", ()))
        return {
            name: self.value(name, prop, path)
            for name, prop in node.get("properties", {}).items()
            if name in wanted
        }

    def request(self, endpoint: Endpoint) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """(query, headers, body kind) plus the body in self.last_body."""
        assert endpoint.operation is not None
        query: dict[str, Any] = {}
        headers: dict[str, Any] = {}
        for param in endpoint.operation.get("parameters", ()):
            if not param.get("required") or param["in"] == "path":
                continue
            value = self.value(param["name"], param.get("schema", {}), endpoint.path)
            if param["in"] == "query":
                query[param["name"]] = value
            elif param["in"] == "header":
                self.serial += 1
                headers["HTTP_" + param["name"].upper().replace("-", "_")] = f"matrix-{self.serial}"
        self.last_body: dict[str, Any] = {}
        given = API_INPUTS.get(endpoint.key, {})
        query.update(self.given(given.get("query", {})))
        headers.update(given.get("headers", {}))
        content = endpoint.operation.get("requestBody", {}).get("content", {})
        kind = None
        if "application/json" in content:
            self.last_body = self.body(content["application/json"]["schema"], endpoint.path)
            kind = "json"
        elif "multipart/form-data" in content:
            self.last_body = self.body(content["multipart/form-data"]["schema"], endpoint.path)
            kind = "multipart"
        if "body" in given:
            self.last_body.update(self.given(given["body"]))
            kind = kind or "json"
        return query, headers, kind

    def given(self, values: dict[str, Any]) -> dict[str, Any]:
        result = {}
        for name, value in values.items():
            if isinstance(value, str) and value.startswith("@tomorrow_"):
                day = timezone.localdate() + timedelta(days=1)
                value = f"{day.isoformat()}T{int(value.rsplit('_', 1)[1]):02d}:00:00+08:00"
            elif isinstance(value, str) and value.startswith("@"):
                value = self.world.object_id(value[1:], "in")
            result[name] = value
        return result


# --- calling and classifying -----------------------------------------------------------------


def classify_api(status: int) -> str:
    if status == 401:
        return LOGIN
    if status in (403, 404):
        return DENIED
    if 200 <= status < 300 or status in (400, 409, 413, 422):
        return OK
    return ERROR


def _refused_by_message(response: Any) -> bool:
    """Page actions turn a domain error into a message and a redirect; a refusal (no
    permission, or an object outside the scope) is told apart from a validation message by
    its text (the pages speak Chinese by default)."""
    from django.contrib.messages import constants

    request = getattr(response, "wsgi_request", None)
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return any(
        m.level >= constants.ERROR and any(word in str(m.message) for word in REFUSAL_WORDS)
        for m in queued
    )


# Words of the Chinese refusal messages (core.errors PermissionDenied/NotFound and the apps'
# own permission errors).
REFUSAL_WORDS = (
    "权限",
    "管辖范围",
    "未找到",
    "您不能",
    "您的角色",
    "只能查看",
    "请先登录",
    "没有派给您",
)


def classify_page(response: Any) -> str:
    status = response.status_code
    if status in (301, 302, 303):
        location = response.get("Location", "")
        if location.startswith("/accounts/login/"):
            return LOGIN
        return DENIED if _refused_by_message(response) else OK
    if status in (403, 404):
        return DENIED
    if 200 <= status < 300 or status in (400, 409, 422):
        return OK
    return ERROR


def _fresh(value: Any) -> Any:
    """A new upload for each call (an upload is read once)."""
    if isinstance(value, SimpleUploadedFile):
        return SimpleUploadedFile(value.name or "matrix.png", png_bytes(), "image/png")
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


def _last_audit_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _wrote_since(pk: int) -> str:
    actions = list(
        AuditEvent.objects.filter(pk__gt=pk, outcome=AuditEvent.Outcome.SUCCESS)
        .exclude(action__startswith="accounts.")
        .values_list("action", flat=True)
    )
    return ", ".join(actions)


def call(
    client: Client,
    method: str,
    url: str,
    *,
    data: Any = None,
    kind: str | None = None,
    headers: dict[str, Any] | None = None,
    page: bool = False,
    audit_baseline: int = 0,
) -> Observed:
    sid = transaction.savepoint()
    try:
        extra = headers or {}
        if method == "GET":
            response = client.get(url, **extra)
        elif kind == "multipart":
            fresh = {name: _fresh(value) for name, value in (data or {}).items()}
            response = client.post(url, fresh, **extra)
        else:
            response = client.generic(
                method,
                url,
                data=json.dumps(data or {}),
                content_type="application/json",
                **extra,
            )
        outcome = classify_page(response) if page else classify_api(response.status_code)
        detail = ""
        if outcome == ERROR:
            detail = response.content[:200].decode(errors="replace")
        elif not page and response.get("Content-Type", "").startswith("application/json"):
            try:
                detail = str(response.json().get("code", "")) if response.status_code >= 400 else ""
            except (ValueError, AttributeError):
                detail = ""
        text = shown_text(response) if method == "GET" and response.status_code == 200 else None
        if outcome in (DENIED, LOGIN):
            # Every call is rolled back, so the world's last audit event stays the baseline.
            wrote = _wrote_since(audit_baseline)
            if wrote:
                outcome, detail = ERROR, f"refused ({response.status_code}) after writing: {wrote}"
        return Observed(outcome, response.status_code, detail, text)
    finally:
        transaction.savepoint_rollback(sid)


# --- what lists show --------------------------------------------------------------------------
#
# A list (an API GET answering an array or a page of items, a page listing objects) that lets
# a role in must not show an object of a place outside the role's reach: every object of the
# places outside IN carries its place's marker (access_world.MARKERS) in a name, title or
# note, and no answer to a GET of the role may contain it. The check runs on every GET the
# matrix makes inside (detail answers and pages showing one object of IN included: a detail
# that lists others must not leak either), except what is public by design (SHOWS_EVERYWHERE).
# To prove the search finds what it looks for, the lists must show the markers of the places
# a role does reach to the province officer and admin (SHOWN_TO), unless a list holds only
# the caller's own things or counts (LISTS_OF_ONE; a list under a path parameter holds one
# object's children only and is exempt as such).

# Answers meant to show everything, whoever asks (key prefixes).
SHOWS_EVERYWHERE: dict[str, str] = {
    "GET /api/v1/public/": "public disclosure (信息公开): every region's projects, funds, orgs",
    "GET /api/v1/regions": "the division tree is reference data",
    "GET /api/v1/activities": (
        "activities are open to every volunteer's sign-up (the detail and sign-up rows are ANY); "
        "the activities page lists those of the caller's region"
    ),
    "/disclosure/": "public disclosure pages",
    "/regions/": "the division tree and its picker are reference data",
}
# Names that may show outside their place on a page, with why: the page offers them as a
# choice and they are public anyway (organisations: /disclosure/organizations/). Only these
# names (marker + suffix) are taken out of the page before it is searched.
ORGANIZATION = "邻里互助社"  # access_world: every place's organisation is "<marker>邻里互助社"
SCHEME = "时间币"  # and the time-bank scheme of a far place "<marker>时间币"
PUBLIC_NAMES: dict[str, tuple[tuple[str, ...], str]] = {
    "/volunteers/teams/": ((ORGANIZATION,), "a new team's organisation: any of the county's"),
    "/projects/calls/<int:call_id>/apply/": (
        (ORGANIZATION,),
        "the applying organisation: any of the call's county",
    ),
    "/timebank/schemes/<int:pk>/": (
        (SCHEME,),
        "exchange rates may be set with every scheme (通存通兑, 互认互通互兑)",
    ),
}
# Roles whose lists must show the objects of the places they reach (proves the search works).
SHOWN_TO = ("province", "admin")
# Discovered lists (and MAIN_LIST_PAGES) that do not show objects of other places to anyone,
# and (list, role) pairs for a role that sees only its own there.
LISTS_OF_ONE: dict[str, str] = {
    "GET /api/v1/auth/tokens": "the caller's own API tokens",
    "GET /api/v1/notifications": "the caller's own notifications",
    "GET /api/v1/timebank/accounts/mine": "the caller's own accounts",
    "GET /api/v1/requests/eligible-handlers": "who may handle the one request asked about",
    "GET /api/v1/needs/groups": "counts of needs by category, no object",
    "GET /api/v1/visits/overview": "counts of enrolments by region, no object",
}
OWN_ONLY: dict[tuple[str, str], str] = {
    ("GET /api/v1/imports", "province"): "import jobs are their creator's (and admins')",
}
# Lists of a kind the world has in some places only.
NOT_IN_PLACES: dict[str, tuple[tuple[str, ...], str]] = {
    "GET /api/v1/projects/calls": (("out",), "calls are county-wide: 海宁's is IN's"),
    "/projects/calls/": (("out",), "calls are county-wide: 海宁's is IN's"),
    "/timebank/schemes/": (("out",), "schemes are county-wide: 海宁's is IN's"),
}
# Pages that list objects of a kind (pages are found by route, their content is not typed),
# asked with PAGE_QUERIES where their default narrows the list.
MAIN_LIST_PAGES: tuple[str, ...] = (
    "/activities/",
    "/activities/queue/",
    "/charity/",
    "/charity/donors/",
    "/menu/offerings/",
    "/menu/orders/",
    "/needs/list/",
    "/organizations/",
    "/partymembers/",
    "/projects/",
    "/projects/calls/",
    "/requests/inbox/",
    "/residents/",
    "/residents/households/",
    "/socialworkers/",
    "/stations/",
    "/timebank/schemes/",
    "/visits/",
    "/visits/plan/",
    "/volunteers/",
    "/volunteers/teams/",
)
PAGE_QUERIES: dict[str, dict[str, str]] = {"/visits/": {"bucket": "all"}}


def shown_text(response: Any) -> str:
    """What a GET showed, as text a marker can be found in: JSON with its escapes undone, a
    page, or the cells of a spreadsheet (xlsx) or CSV download."""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    if raw.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith(".xml")
            )
    text = raw.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def is_list(endpoint: Endpoint, schema: dict[str, Any] | None) -> bool:
    """An API GET whose answer is an array or a page of items; a page route without a path
    parameter that MAIN_LIST_PAGES names."""
    if endpoint.operation is None:
        return endpoint.key in MAIN_LIST_PAGES
    if endpoint.method != "GET" or schema is None:
        return False
    answer = endpoint.operation.get("responses", {}).get("200", {})
    node = answer.get("content", {}).get("application/json", {}).get("schema")
    if node is None:
        return False
    filler = Filler(World(users={}, tokens={}, places={}), schema)  # resolves $refs only
    node = filler.resolve(node)
    if node.get("type") == "array":
        return True
    items = node.get("properties", {}).get("items")
    return items is not None and filler.resolve(items).get("type") == "array"


def shows_everywhere(key: str) -> bool:
    return key.startswith(tuple(SHOWS_EVERYWHERE))


def out_of_reach(role: str) -> list[str]:
    """The places outside IN whose objects `role` must not be shown."""
    return [p for p in MARKERS if role == "anonymous" or role in OUT_OF_REACH[p]]


def markers_in(text: str, key: str) -> dict[str, str]:
    """The places whose marker `text` holds, each with the text around its first one."""
    for suffix in PUBLIC_NAMES.get(key, ((), ""))[0]:
        for marker in MARKERS.values():
            text = text.replace(marker + suffix, "")
    found = {}
    for place, marker in MARKERS.items():
        at = text.find(marker)
        if at >= 0:
            found[place] = re.sub(r"\s+", " ", text[max(0, at - 40) : at + 30])
    return found


def clients(world: World, *, pages: bool) -> dict[str, Client]:
    result = {}
    for key in ROLES:
        client = Client(raise_request_exception=False)
        if key != "anonymous":
            if pages:
                client.force_login(world.users[key])
            else:
                client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[key]}"
        result[key] = client
    return result


# The places outside IN the matrix calls with (world place -> name in the report) and, for
# each, the roles called there: those whose region does not hold the place (a call that got
# through inside must be refused there), and for the other county of 浙江 also the province
# officer, whose region holds it (the call must behave as inside).
OUTSIDE: dict[str, str] = {"out": "outside", "county": "county", "province": "province"}
CALLED_OUTSIDE: dict[str, frozenset[str]] = {
    "out": OUT_OF_REACH["out"],
    "county": OUT_OF_REACH["county"] | {"province"},
    "province": OUT_OF_REACH["province"],
}


def expected_outside(role: str, inside: str, place: str = "out") -> str:
    """What the call with an object of `place` must give, from the expected inside outcome."""
    if inside == ANY or role not in OUT_OF_REACH[place]:
        return OK if inside in (OK, ANY) else inside
    return DENIED if inside == OK else inside


def matches(expected: str, observed: str) -> bool:
    return observed == (OK if expected == ANY else expected)


def suggest(observed: dict[str, str]) -> str:
    """A table row for the observed inside outcomes, in the table's notation."""
    roles = [r for r in ROLES if r != "anonymous"]
    counts: dict[str, int] = {}
    for r in roles:
        counts[observed[r]] = counts.get(observed[r], 0) + 1
    default = max(counts, key=lambda k: (counts[k], k == DENIED))
    parts = [default.upper()]
    if observed["anonymous"] != LOGIN:
        parts.append(f"anonymous={observed['anonymous'].upper()}")
    parts += [f"{r}={observed[r].upper()}" for r in roles if observed[r] != default]
    return "row(" + ", ".join(parts) + ")"


def run_matrix(
    world: World,
    endpoints: list[Endpoint],
    table: dict[str, dict[str, str]],
    *,
    pages: bool,
    schema: dict[str, Any] | None = None,
) -> tuple[list[str], list[str]]:
    """Call everything; return (mismatch lines, observed rows for WUSHE_MATRIX_OBSERVE)."""
    filler = Filler(world, schema)
    role_clients = clients(world, pages=pages)
    baseline = _last_audit_pk()
    problems: list[str] = []
    observed_rows: list[str] = []
    for endpoint in endpoints:
        if pages and endpoint.key in SKIPPED_PAGES:
            continue
        expected_row = table.get(endpoint.key)
        if expected_row is None and not os.environ.get("WUSHE_MATRIX_OBSERVE"):
            continue  # test_the_table_names_every_endpoint reports it
        try:
            inside_url = filler.url(endpoint, "in")
            outside_urls = {
                place: filler.url(endpoint, place) if endpoint.params else None for place in OUTSIDE
            }
        except LookupError as missing:
            problems.append(str(missing))
            continue
        assert inside_url is not None
        query: dict[str, Any] = {}
        headers: dict[str, Any] = {}
        kind: str | None = None
        body: dict[str, Any] | None = None
        if pages:
            method = "GET"
            query = PAGE_QUERIES.get(endpoint.key, {})
            if endpoint.key in PAGE_FORMS:
                method, kind, body = "POST", "multipart", PAGE_FORMS[endpoint.key]
        else:
            query, headers, kind = filler.request(endpoint)
            method, body = endpoint.method, filler.last_body
        suffix = "?" + urlencode(query, doseq=True) if query else ""
        seen: dict[str, str] = {}
        rendered: dict[str, bool] = {}
        shown: dict[str, dict[str, str]] = {}
        notes: list[str] = []
        for role, client in role_clients.items():
            places = [("in", inside_url), *outside_urls.items()]
            for where, url in places:
                place = "inside" if where == "in" else OUTSIDE[where]
                # Outside calls matter for roles whose region does not hold the place (and
                # the 浙江 province officer in 海盐), and only where the inside call got
                # through (a refusal inside is a refusal outside).
                # A page action (a redirect, a form error) is checked inside only: with an
                # empty form it stops at validation, and the API rows check the same service
                # with a valid body; a page that shows the object (200) is checked outside.
                if url is None or (
                    where != "in"
                    and (
                        role not in CALLED_OUTSIDE[where]
                        or seen.get(role) != OK
                        or (pages and not rendered.get(role))
                    )
                ):
                    continue
                result = call(
                    client,
                    method,
                    url + suffix,
                    data=body,
                    kind=kind,
                    headers=headers,
                    page=pages,
                    audit_baseline=baseline,
                )
                if pages and result.status == 405:
                    result = call(
                        client, "POST", url, data={}, kind="multipart", page=True,
                        audit_baseline=baseline,
                    )  # fmt: skip
                if place == "inside":
                    seen[role] = result.outcome
                    rendered[role] = result.status == 200
                    if result.text is not None:
                        shown[role] = markers_in(result.text, endpoint.key)
                if result.outcome == OK and result.detail:
                    notes.append(f"{role}/{place}: {result.status} {result.detail}")
                elif place != "inside" and result.outcome == OK:
                    notes.append(f"{role}/{place}: OK")
                if expected_row is None:
                    continue
                want = expected_row[role]
                if place != "inside":
                    want = expected_outside(role, want, where)
                if result.outcome == ERROR or not matches(want, result.outcome):
                    detail = f" {result.detail}" if result.detail else ""
                    problems.append(
                        f"{endpoint.key:70} {role:14} {place:8} expected {want:7} got "
                        f"{result.outcome} ({result.status}{detail})"
                    )
        problems += list_problems(endpoint, shown, schema)
        if shown and any(shown.values()):
            notes.append("shows " + " ".join(f"{r}={'+'.join(p)}" for r, p in shown.items() if p))
        observed_rows.append(f"    {endpoint.key!r}: {suggest(seen)},")
        if notes:
            observed_rows.append("    # " + "; ".join(notes))
    return problems, observed_rows


def list_problems(
    endpoint: Endpoint, shown: dict[str, dict[str, str]], schema: dict[str, Any] | None
) -> list[str]:
    """What the answers of the roles (inside, 200) showed against what they may show."""
    if shows_everywhere(endpoint.key):
        return []
    problems = [
        f"{endpoint.key:70} {role:14} inside   shows an object of {place}, outside its "
        f"reach: …{around}…"
        for role, places in shown.items()
        for place, around in places.items()
        if place in out_of_reach(role)
    ]
    if is_list(endpoint, schema) and endpoint.key not in LISTS_OF_ONE and not endpoint.params:
        for role in SHOWN_TO:
            if role not in shown or (endpoint.key, role) in OWN_ONLY:
                continue  # refused, or no 200: nothing listed
            absent = NOT_IN_PLACES.get(endpoint.key, ((), ""))[0]
            missing = [
                p
                for p in MARKERS
                if p not in out_of_reach(role) and p not in shown[role] and p not in absent
            ]
            if missing:
                problems.append(
                    f"{endpoint.key:70} {role:14} inside   does not show objects of "
                    f"{'+'.join(missing)} within its reach (a list of one's own or of one "
                    "object's children goes into LISTS_OF_ONE)"
                )
    return problems


def _observe(title: str, observed: list[str]) -> None:
    if path := os.environ.get("WUSHE_MATRIX_OBSERVE"):
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"# {title}\n" + "\n".join(observed) + "\n")


def _fail(title: str, problems: list[str]) -> None:
    assert not problems, (
        f"{len(problems)} {title} access mismatches (expected per wushe/core/tests/"
        "access_matrix.py; ok = got past the permission check, denied = 403/404, login = 401 or "
        "a redirect to the login page):\n" + "\n".join(problems)
    )


def _group(key: str) -> str:
    bare = key.split(" ")[-1].removeprefix(API_PREFIX).strip("/")
    return bare.split("/")[0] or "home"


API_ENDPOINTS, API_SCHEMA = api_endpoints()
PAGE_ENDPOINTS = page_endpoints()
API_GROUPS = sorted({_group(e.key) for e in API_ENDPOINTS})
PAGE_GROUPS = sorted({_group(e.key) for e in PAGE_ENDPOINTS})


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    """One world for the whole module, rolled back at its end; every test of the module runs
    in its own transaction inside it, and every call in a savepoint inside that."""
    from django.test.utils import override_settings

    from wushe.testing import ensure_default_terms, ensure_haining_regions

    media = tmp_path_factory.mktemp("matrix_media")
    storages = {
        **settings_storages(),
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=storages):
        outer = transaction.atomic()
        # Services open durable transactions; like Django's TestCase, this outer block (which
        # only exists to be rolled back) must not count as an enclosing transaction.
        outer._from_testcase = True  # type: ignore[attr-defined]
        with outer:
            ensure_haining_regions()
            ensure_default_terms()
            yield build_world()
            transaction.set_rollback(True)


def settings_storages() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.STORAGES)


def test_the_table_names_every_endpoint() -> None:
    """A new endpoint or page needs a row in access_matrix.py; a removed one loses its row."""
    problems = []
    for title, endpoints, table, extra in (
        ("API", API_ENDPOINTS, API, set()),
        ("PAGES", PAGE_ENDPOINTS, PAGES, set(SKIPPED_PAGES)),
    ):
        keys = {e.key for e in endpoints}
        for endpoint in endpoints:
            if endpoint.key not in table and endpoint.key not in extra:
                problems.append(
                    f"{endpoint.key!r} has no entry in {title} of wushe/core/tests/"
                    "access_matrix.py: add `"
                    f"{endpoint.key!r}: row(DENIED, community=OK, …),` naming who may call it "
                    "(docs/security.md, 'Access matrix')"
                )
        problems += [
            f"{key!r} is in {title} of access_matrix.py but no such endpoint exists: remove it"
            for key in sorted(set(table) - keys)
        ]
    assert not problems, "\n".join(problems)


def test_the_list_checks_know_their_lists() -> None:
    """The list checks find the main lists from the OpenAPI document by themselves (were the
    document to change shape, no list would be asked to show anything), and their tables name
    only endpoints and pages that exist."""
    found = {e.key for e in API_ENDPOINTS if is_list(e, API_SCHEMA)}
    main = {
        f"GET {API_PREFIX}/{path}"
        for path in (
            "requests",
            "residents",
            "households",
            "volunteers",
            "organizations",
            "projects",
            "visits/due",
            "needs",
            "orders",
            "services",
            "charity/donations",
            "audit/events",
        )
    }
    assert main <= found, f"not found as lists: {sorted(main - found)}"
    assert not {e.key for e in API_ENDPOINTS if e.method != "GET"} & found
    keys = {e.key for e in API_ENDPOINTS} | {e.key for e in PAGE_ENDPOINTS}
    named = (
        set(LISTS_OF_ONE)
        | {key for key, _role in OWN_ONLY}
        | set(NOT_IN_PLACES)
        | set(PUBLIC_NAMES)
        | set(MAIN_LIST_PAGES)
        | set(PAGE_QUERIES)
    )
    assert named <= keys, f"no such endpoint or page: {sorted(named - keys)}"
    unused = [p for p in SHOWS_EVERYWHERE if not any(k.startswith(p) for k in keys)]
    assert not unused, f"SHOWS_EVERYWHERE names nothing that exists: {unused}"


@pytest.mark.parametrize("group", API_GROUPS)
def test_api_access(world: World, group: str) -> None:
    endpoints = [e for e in API_ENDPOINTS if _group(e.key) == group]
    problems, observed = run_matrix(world, endpoints, API, pages=False, schema=API_SCHEMA)
    _observe(f"API {group}", observed)
    _fail(f"API /{group}", problems)


@pytest.mark.parametrize("group", PAGE_GROUPS)
def test_page_access(world: World, group: str) -> None:
    endpoints = [e for e in PAGE_ENDPOINTS if _group(e.key) == group]
    problems, observed = run_matrix(world, endpoints, PAGES, pages=True)
    _observe(f"pages {group}", observed)
    _fail(f"pages /{group}", problems)
