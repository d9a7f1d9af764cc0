"""Mounts every app's router on the one API object under /api/v1/. An installed `wushe.*` app
with an `api` module exposing `router` is mounted automatically, in INSTALLED_APPS order."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings

from wushe.accounts.auth import API_AUTH
from wushe.core.api import WusheAPI

api = WusheAPI(
    title="Wushe 五社联动 API",
    version="1.0.0",
    description=(
        '五社联动平台的 HTTP 接口。所有错误返回 `{"code", "message", "fields"}`；'
        "数据按调用者的区划授权范围过滤，范围外的对象一律返回 404。"
    ),
    urls_namespace="api",
    auth=API_AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
)

for app in settings.INSTALLED_APPS:
    if app.startswith("wushe.") and find_spec(f"{app}.api") is not None:
        module = import_module(f"{app}.api")
        if hasattr(module, "router"):
            api.add_router("", module.router)
