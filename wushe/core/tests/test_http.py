import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from wushe.testing import PASSWORD, bearer_client, make_user

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database(regions):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_down(regions):
    with mock.patch(
        "wushe.core.views.connection.ensure_connection",
        side_effect=OperationalError("connection refused"),
    ):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_non_json_body_is_400_with_the_error_shape(regions):
    response = Client().post(
        "/api/v1/auth/token", data="username=a&password=b", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "request.body_invalid"


def test_missing_fields_are_422_naming_the_field(regions):
    response = Client().post(
        "/api/v1/auth/token", data=json.dumps({"username": "a"}), content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert "password" in body["fields"]


def test_oversized_body_is_413_with_the_error_shape(regions, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"username": "a", "password": "x" * 4096})
    response = Client().post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"


def test_unknown_api_path_is_json_404(regions):
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_gets_the_error_shape(regions):
    response = Client().get("/api/v1/auth/token")
    assert response.status_code == 405
    assert set(response.json()) == {"code", "message", "fields"}


def test_unexpected_error_is_500_without_a_stack_trace(role_users):
    client = bearer_client(role_users["county"])
    with mock.patch("wushe.accounts.api.selectors.grants_for_display", side_effect=KeyError("x")):
        response = client.get("/api/v1/me")
    assert response.status_code == 500
    assert response.json() == {
        "code": "server.error",
        "message": "服务器内部错误，请稍后重试。",
        "fields": {},
    }
    assert b"Traceback" not in response.content


def test_openapi_document_and_docs_are_served(regions):
    spec = Client().get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/audit/events",
    ]:
        assert path in paths
    assert Client().get("/api/v1/docs").status_code == 200


def test_security_headers_are_set(regions):
    response = Client().get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_api_writes_with_a_session_need_the_csrf_token(regions):
    user = make_user("sess", "community_worker", "330481001007")
    bearer = bearer_client(user)  # issues a token we then try to revoke via the session
    token_id = bearer.get("/api/v1/auth/tokens").json()[0]["id"]
    client = Client(enforce_csrf_checks=True)
    client.login(username="sess", password=PASSWORD)
    response = client.delete(f"/api/v1/auth/tokens/{token_id}")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf.failed"
    assert bearer.get("/api/v1/me").status_code == 200  # not revoked


def test_wushe_module_acts_as_manage_py():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "wushe", "help", "regions"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "regions load" in result.stdout


def test_psycopg_keeps_the_hot_paths_long_statements_parsed():
    """wushe.core.apps.tune_psycopg raises two psycopg module constants; if an upgrade
    renames them the tuning silently stops, so check they exist and were raised."""
    psycopg_queries = pytest.importorskip("psycopg._queries")
    from wushe.core.apps import PSYCOPG_CACHED_STATEMENT_LENGTH, PSYCOPG_CACHED_STATEMENT_PARAMS

    assert psycopg_queries.MAX_CACHED_STATEMENT_LENGTH >= PSYCOPG_CACHED_STATEMENT_LENGTH
    assert psycopg_queries.MAX_CACHED_STATEMENT_PARAMS >= PSYCOPG_CACHED_STATEMENT_PARAMS
