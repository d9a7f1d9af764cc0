"""Self-service password change, on the page and through the API: the old password and the
policy are checked, this session (or token) stays signed in, the user's other sessions end and
their other API tokens stop working, and the change is audited."""

import json

import pytest
from django.test import Client

from wushe.accounts.models import ApiToken
from wushe.audit.models import AuditEvent
from wushe.testing import NANGUANXIANG, PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW = "new-Password-2468"


@pytest.fixture
def worker(regions):
    return make_user("worker", "community_worker", NANGUANXIANG)


def signed_in(username="worker", password=PASSWORD):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def issue_token(password=PASSWORD):
    response = Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "worker", "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200
    return response.json()["token"]


def me(token):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def change_on_page(client, old=PASSWORD, new=NEW, again=None):
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password": new, "new_password_again": again or new},
    )


def change_by_api(old=PASSWORD, new=NEW, *, token=None, client=None, **extra):
    client = client or Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(
        "/api/v1/auth/password",
        data=json.dumps({"old_password": old, "new_password": new, **extra}),
        content_type="application/json",
        **headers,
    )


def password_is(user, password):
    user.refresh_from_db()
    return user.check_password(password)


def test_page_change_keeps_this_session_and_ends_the_others(worker):
    here, elsewhere = signed_in(), signed_in()
    token = issue_token()

    response = change_on_page(here)

    assert response.status_code == 302
    assert password_is(worker, NEW)
    assert "密码已修改" in here.get(response["Location"]).content.decode()
    assert here.get("/").status_code == 200
    signed_out = elsewhere.get("/")
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith("/accounts/login/")
    refused = me(token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "auth.token_revoked"
    event = AuditEvent.objects.get(action="accounts.password.changed")
    assert event.actor_id == worker.pk
    assert event.changes["tokens_revoked"] == 1
    assert event.changes["channel"] == "web"
    assert NEW not in json.dumps(event.changes) and PASSWORD not in json.dumps(event.changes)
    # The new password signs in; the old one no longer does.
    signed_in(password=NEW)
    old = Client().post("/accounts/login/", {"username": "worker", "password": PASSWORD})
    assert old.status_code == 200


@pytest.mark.parametrize(
    ("old", "new", "again", "message"),
    [
        ("wrong-password-1", NEW, NEW, "原密码不正确"),
        (PASSWORD, NEW, NEW + "x", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, PASSWORD, "新密码不能与原密码相同"),
        (PASSWORD, "abc12", "abc12", "密码太短"),
        (PASSWORD, "onlyletterslong", "onlyletterslong", "必须同时包含字母和数字"),
    ],
    ids=["wrong_old", "mismatch", "unchanged", "too_short", "no_digits"],
)
def test_page_refuses_with_a_chinese_message_and_changes_nothing(worker, old, new, again, message):
    client = signed_in()
    token = issue_token()

    response = change_on_page(client, old, new, again)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert password_is(worker, PASSWORD)
    assert me(token).status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.password.changed").exists()


def test_wrong_old_password_is_audited_as_a_failure(worker):
    change_on_page(signed_in(), old="wrong-password-1")
    event = AuditEvent.objects.get(action="accounts.password.change_failed")
    assert event.outcome == AuditEvent.Outcome.FAILURE
    assert event.actor_id == worker.pk


def test_wrong_old_passwords_lock_password_changes(worker):
    client = signed_in()
    for _attempt in range(5):
        assert change_by_api("wrong-password-1", token=None, client=client).status_code == 422
    locked = change_by_api(PASSWORD, client=client)
    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.throttled"
    assert "Retry-After" in locked
    assert password_is(worker, PASSWORD)


def test_user_menu_links_to_the_password_page(worker):
    page = signed_in().get("/").content.decode()
    assert 'href="/accounts/password/"' in page
    assert "修改密码" in page


def test_page_needs_sign_in():
    response = Client().get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_api_change_keeps_the_calling_token_and_revokes_the_others(worker):
    mine, other = issue_token(), issue_token()
    browser = signed_in()

    response = change_by_api(token=mine, new_password_again=NEW)

    assert response.status_code == 200
    assert response.json() == {"tokens_revoked": 1}
    assert password_is(worker, NEW)
    assert me(mine).status_code == 200
    assert me(other).json()["code"] == "auth.token_revoked"
    assert browser.get("/").status_code == 302
    assert ApiToken.objects.filter(user=worker, revoked_at__isnull=True).count() == 1
    event = AuditEvent.objects.get(action="accounts.password.changed")
    assert event.changes == {"channel": "api", "tokens_revoked": 1}


def test_api_change_from_a_page_session_keeps_that_session(worker):
    browser = signed_in()
    token = issue_token()
    response = change_by_api(client=browser)
    assert response.status_code == 200
    assert response.json() == {"tokens_revoked": 1}
    assert browser.get("/").status_code == 200
    assert me(token).status_code == 401


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"old": "wrong-password-1"}, "accounts.password.wrong_old", "old_password"),
        ({"new": "short1"}, "accounts.password.weak", "new_password"),
        ({"new_password_again": "other-Password-1"}, "accounts.password.mismatch", None),
        ({"new": PASSWORD}, "accounts.password.unchanged", "new_password"),
    ],
    ids=["wrong_old", "weak", "mismatch", "unchanged"],
)
def test_api_refusals_have_stable_codes_and_change_nothing(worker, body, code, field):
    token = issue_token()
    extra = {k: v for k, v in body.items() if k not in ("old", "new")}
    response = change_by_api(body.get("old", PASSWORD), body.get("new", NEW), token=token, **extra)
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in payload["message"])
    if field:
        assert field in payload["fields"]
    assert password_is(worker, PASSWORD)
    assert me(token).status_code == 200
    assert not AuditEvent.objects.filter(action="accounts.password.changed").exists()


def test_api_needs_authentication(worker):
    response = change_by_api()
    assert response.status_code == 401
    assert password_is(worker, PASSWORD)
