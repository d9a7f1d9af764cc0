import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from wushe.accounts.models import ApiToken
from wushe.audit.models import AuditEvent
from wushe.testing import NANGUANXIANG, PASSWORD, make_user

pytestmark = pytest.mark.django_db


def post_token(client, username, password, **extra):
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def worker(regions):
    return make_user("worker", "community_worker", NANGUANXIANG)


def test_token_grants_access_until_it_expires(worker):
    client = Client()
    response = post_token(client, "worker", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("wst_")
    expires_at = timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=11) < expires_at - timezone.now() <= timedelta(hours=12)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me", **auth).json()["username"] == "worker"

    with time_machine.travel(expires_at + timedelta(seconds=1)):
        expired = client.get("/api/v1/me", **auth)
    assert expired.status_code == 401
    assert expired.json()["code"] == "auth.token_expired"


def test_only_a_hash_of_the_token_is_stored(worker):
    token = post_token(Client(), "worker", PASSWORD).json()["token"]
    stored = ApiToken.objects.get(user=worker)
    assert token not in (stored.key_hash, stored.key_prefix)
    assert len(stored.key_hash) == 64


def test_revoked_token_stops_working(worker):
    client = Client()
    token = post_token(client, "worker", PASSWORD).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.post("/api/v1/auth/token/revoke", **auth).status_code == 204
    response = client.get("/api/v1/me", **auth)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.token_revoked"
    assert AuditEvent.objects.filter(action="accounts.token.revoked", actor=worker).count() == 1


def test_revoking_another_users_token_is_not_found(worker, regions):
    other = make_user("other", "community_worker", NANGUANXIANG)
    mine = post_token(Client(), "worker", PASSWORD).json()["token"]
    post_token(Client(), "other", PASSWORD)
    theirs = ApiToken.objects.get(user=other)
    response = Client().delete(
        f"/api/v1/auth/tokens/{theirs.pk}", HTTP_AUTHORIZATION=f"Bearer {mine}"
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_token_list_marks_the_current_token(worker):
    client = Client()
    post_token(client, "worker", PASSWORD)
    token = post_token(client, "worker", PASSWORD).json()["token"]
    listed = client.get("/api/v1/auth/tokens", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert len(listed) == 2
    assert [t["current"] for t in listed] == [True, False]
    assert all("key_hash" not in t for t in listed)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "auth.required"),
        ("", "auth.header_invalid"),
        ("Bearer", "auth.header_invalid"),
        ("Basic dXNlcjpwYXNz", "auth.header_invalid"),
        ("Bearer not-a-token", "auth.token_invalid"),
        ("Bearer wst_forged0000000000000000000000000000000000", "auth.token_invalid"),
        ("Bearer " + "x" * 5000, "auth.token_invalid"),
        ("garbage\u00e9", "auth.header_invalid"),
    ],
)
def test_missing_or_garbage_authorization_is_401_with_the_error_shape(regions, header, code):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = Client().get("/api/v1/me", **extra)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]


def test_wrong_password_is_401_and_audited(worker):
    response = post_token(Client(), "worker", "wrong", REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_credentials"
    assert response.json()["message"] == "用户名或密码错误。"
    event = AuditEvent.objects.get(action="accounts.login.failed")
    assert (event.actor_label, event.outcome, event.ip) == ("worker", "failure", "10.9.8.7")
    assert "wrong" not in json.dumps(event.changes)


def test_unknown_user_is_indistinguishable_from_wrong_password(regions):
    response = post_token(Client(), "nobody", "whatever")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_credentials"


def test_repeated_failures_for_one_account_are_throttled(worker):
    client = Client()
    for _ in range(5):
        assert post_token(client, "worker", "wrong").status_code == 401
    throttled = post_token(client, "worker", PASSWORD)  # even the right password
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "auth.throttled"
    assert int(throttled["Retry-After"]) > 0
    assert AuditEvent.objects.filter(action="accounts.login.throttled").count() == 1
    # Another account is not affected.
    make_user("neighbour", "community_worker", NANGUANXIANG)
    assert post_token(client, "neighbour", PASSWORD).status_code == 200
    # After the window, the right password works again.
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert post_token(client, "worker", PASSWORD).status_code == 200


def test_repeated_failures_from_one_address_are_throttled(worker):
    client = Client()
    for i in range(20):
        response = post_token(client, f"guess{i}", "wrong", REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 401
    blocked = post_token(client, "worker", PASSWORD, REMOTE_ADDR="10.1.1.1")
    assert blocked.status_code == 429
    assert post_token(client, "worker", PASSWORD, REMOTE_ADDR="10.1.1.2").status_code == 200


def test_inactive_user_cannot_get_a_token(worker):
    worker.is_active = False
    worker.save()
    assert post_token(Client(), "worker", PASSWORD).status_code == 401


def test_token_of_deactivated_user_stops_working(worker):
    token = post_token(Client(), "worker", PASSWORD).json()["token"]
    worker.is_active = False
    worker.save()
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
