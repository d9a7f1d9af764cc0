"""A database that cannot be reached (a restart, a failover) answers 503 with Retry-After, on
the API and on pages, so clients and proxies retry; any other error stays a 500."""

from unittest import mock

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import Client

from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db

API_GRANTS = "wushe.accounts.api.selectors.grants_for_display"
PAGE_GRANTS = "wushe.core.views.account_selectors.grants_for_display"
NAV = "wushe.core.context_processors.nav.items_for"


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
)
def test_api_answers_503_with_retry_after_when_the_database_is_unreachable(role_users, error):
    client = bearer_client(role_users["county"])
    with mock.patch(API_GRANTS, side_effect=error):
        response = client.get("/api/v1/me")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "code": "server.unavailable",
        "message": "服务暂时不可用，请稍后重试。",
        "fields": {},
    }


def test_api_other_database_errors_stay_500(role_users):
    client = bearer_client(role_users["county"])
    with mock.patch(API_GRANTS, side_effect=IntegrityError("duplicate key")):
        response = client.get("/api/v1/me")
    assert response.status_code == 500
    assert response.json()["code"] == "server.error"
    assert "Retry-After" not in response


def test_page_answers_503_with_retry_after_when_the_database_is_unreachable(role_users):
    client = Client(raise_request_exception=False)
    client.force_login(role_users["county"])
    down = OperationalError("the connection is closed")
    # Down for the rest of the request too: the navigation of an error page cannot be read.
    with mock.patch(PAGE_GRANTS, side_effect=down), mock.patch(NAV, side_effect=down):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "请稍后重试".encode() in response.content


def test_page_other_errors_stay_500(role_users):
    client = Client(raise_request_exception=False)
    client.force_login(role_users["county"])
    with mock.patch(PAGE_GRANTS, side_effect=KeyError("x")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
