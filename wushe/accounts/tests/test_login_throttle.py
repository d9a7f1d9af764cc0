"""Login throttling: five failures for an account within 15 minutes (twenty from one address)
lock sign-in for 15 minutes after the last of them, on the web login and the token API alike."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from wushe.audit.models import AuditEvent
from wushe.testing import NANGUANXIANG, PASSWORD, make_user

pytestmark = pytest.mark.django_db


def api_login(username, password, ip="10.0.0.1"):
    return Client().post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def web_login(username, password, ip="10.0.0.1"):
    return Client().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def worker(regions):
    return make_user("worker", "community_worker", NANGUANXIANG)


def test_the_lock_lasts_15_minutes_after_the_fifth_failure(worker):
    start = timezone.now()
    for minute in (0, 3, 6, 9, 12):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert api_login("worker", "wrong").status_code == 401
    # 16 minutes in, the first failure has left the window, but the lock runs from the last.
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        locked = api_login("worker", PASSWORD)
        page = web_login("worker", PASSWORD)
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "auth.throttled"
    assert body["message"] == "登录失败次数过多，已暂时锁定，请 11 分钟后再试。"
    assert locked["Retry-After"] == str(11 * 60)
    assert page.status_code == 429
    assert "登录失败次数过多，已暂时锁定，请 11 分钟后再试。" in page.content.decode()
    with time_machine.travel(start + timedelta(minutes=27, seconds=1), tick=False):
        assert api_login("worker", PASSWORD).status_code == 200


def test_the_lock_and_each_refused_attempt_are_audited(worker):
    for _ in range(5):
        web_login("worker", "wrong")
    web_login("worker", PASSWORD)
    api_login("worker", PASSWORD)
    locked = AuditEvent.objects.get(action="accounts.login.locked")
    assert (locked.actor_label, locked.changes["scope"], locked.outcome) == (
        "worker",
        "account",
        "failure",
    )
    refused = AuditEvent.objects.filter(action="accounts.login.throttled").order_by("at")
    assert [e.changes["channel"] for e in refused] == ["web", "api"]
    assert AuditEvent.objects.filter(action="accounts.login.succeeded").count() == 0


def test_failures_spread_wider_than_the_window_do_not_lock(worker):
    start = timezone.now()
    for minute in (0, 4, 8, 12, 16):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            api_login("worker", "wrong")
    with time_machine.travel(start + timedelta(minutes=17), tick=False):
        assert api_login("worker", PASSWORD).status_code == 200


def test_a_successful_sign_in_ends_the_run_of_failures(worker):
    for _ in range(4):
        api_login("worker", "wrong")
    assert api_login("worker", PASSWORD).status_code == 200
    assert api_login("worker", "wrong").status_code == 401
    assert api_login("worker", PASSWORD).status_code == 200


def test_one_address_guessing_many_accounts_is_locked_even_for_a_good_password(worker):
    for i in range(20):
        assert web_login(f"guess{i}", "wrong", ip="10.6.6.6").status_code == 200
    assert api_login("worker", PASSWORD, ip="10.6.6.6").status_code == 429
    event = AuditEvent.objects.filter(action="accounts.login.throttled").get()
    assert event.changes["scope"] == "address"
    # The account itself is fine from anywhere else.
    assert api_login("worker", PASSWORD, ip="10.7.7.7").status_code == 200
    # A valid sign-in does not clear the address's run.
    assert web_login("worker", PASSWORD, ip="10.6.6.6").status_code == 429
