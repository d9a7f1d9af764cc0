"""A database that cannot be reached (a restart, a failover) answers 503 with Retry-After, on
the API and on pages, so clients and proxies retry; any other error stays a 500."""

from unittest import mock

import pytest
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
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


def _wrapped(django_error, driver_error):
    """A Django database error raised from the driver's, as Django's wrapper raises it."""
    try:
        try:
            raise driver_error
        except Exception as cause:
            raise django_error(*cause.args) from cause
    except django_error as exc:
        return exc


def _conflicts():
    from psycopg import errors

    return [
        pytest.param(
            _wrapped(OperationalError, errors.DeadlockDetected("deadlock detected")), id="deadlock"
        ),
        pytest.param(
            _wrapped(
                OperationalError,
                errors.SerializationFailure("could not serialize access due to concurrent update"),
            ),
            id="serialization",
        ),
    ]


@pytest.mark.parametrize("error", _conflicts())
def test_api_deadlock_or_serialization_failure_is_503_conflict_retry(role_users, error):
    client = bearer_client(role_users["county"])
    with mock.patch(API_GRANTS, side_effect=error):
        response = client.get("/api/v1/me")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    body = response.json()
    assert body["code"] == "server.conflict_retry"
    assert "请稍后重试" in body["message"]


@pytest.mark.parametrize("error", _conflicts())
def test_page_deadlock_or_serialization_failure_is_503_with_retry_after(role_users, error):
    client = Client(raise_request_exception=False)
    client.force_login(role_users["county"])
    with mock.patch(PAGE_GRANTS, side_effect=error):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "请稍后重试".encode() in response.content


def _out_of_range():
    from psycopg import errors

    return [
        pytest.param(
            _wrapped(DataError, errors.NumericValueOutOfRange("integer out of range")),
            id="postgresql",
        ),
        pytest.param(
            OverflowError("Python int too large to convert to SQLite INTEGER"), id="sqlite"
        ),
    ]


@pytest.mark.parametrize("error", _out_of_range())
def test_api_number_out_of_range_in_the_database_is_422(role_users, error):
    client = bearer_client(role_users["county"])
    with mock.patch(API_GRANTS, side_effect=error):
        response = client.get("/api/v1/me")
    assert response.status_code == 422
    assert response.json() == {
        "code": "input.out_of_range",
        "message": "输入的数值超出允许范围，请检查后重试。",
        "fields": {},
    }


@pytest.mark.parametrize("error", _out_of_range())
def test_page_number_out_of_range_in_the_database_is_422(role_users, error):
    client = Client(raise_request_exception=False)
    client.force_login(role_users["county"])
    with mock.patch(PAGE_GRANTS, side_effect=error):
        response = client.get("/")
    assert response.status_code == 422
    assert "超出允许范围".encode() in response.content


def test_other_data_errors_stay_500(role_users):
    client = bearer_client(role_users["county"])
    with mock.patch(API_GRANTS, side_effect=DataError("invalid input syntax for type uuid")):
        response = client.get("/api/v1/me")
    assert response.status_code == 500
