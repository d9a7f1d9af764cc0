"""Mounts every app's router on the one API object under /api/v1/."""

from __future__ import annotations

from wushe.accounts.api import router as accounts_router
from wushe.accounts.auth import API_AUTH
from wushe.audit.api import router as audit_router
from wushe.core.api import WusheAPI
from wushe.regions.api import router as regions_router

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
api.add_router("", accounts_router)
api.add_router("", regions_router)
api.add_router("", audit_router)
