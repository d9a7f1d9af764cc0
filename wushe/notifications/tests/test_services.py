"""notify writes inbox + outbox in the caller's transaction; delivery, retries, skips, sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from wushe.core import crypto
from wushe.core.errors import NotFound, ValidationFailed
from wushe.notifications import backends, services
from wushe.notifications.backends import LoggingBackend
from wushe.notifications.models import Delivery, Notification, NotificationPreference
from wushe.notifications.services import delivery_attempt, delivery_sweep, notify
from wushe.testing import NANGUANXIANG, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_log():
    LoggingBackend.clear()
    yield
    LoggingBackend.clear()


@pytest.fixture
def channels(settings):
    def set_channels(value: str, **extra: str) -> None:
        settings.WUSHE = {**settings.WUSHE, "NOTIFY_CHANNELS": value, **extra}

    return set_channels


@pytest.fixture
def alice(regions):
    return make_user("alice")


@pytest.fixture
def bob(regions):
    return make_user("bob")


def test_inbox_only_by_default(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        made = notify(
            recipients=[alice],
            kind="requests.accepted",
            title="您的诉求已受理",
            link="/requests/1/",
            region_code=NANGUANXIANG,
        )
    assert len(made) == 1
    row = Notification.objects.get()
    assert (row.recipient, row.kind, row.title, row.link) == (
        alice,
        "requests.accepted",
        "您的诉求已受理",
        "/requests/1/",
    )
    assert row.region_id == NANGUANXIANG
    assert row.county_code == NANGUANXIANG[:6]
    assert row.read_at is None
    assert not Delivery.objects.exists()
    assert callbacks == []  # nothing to queue
    assert list(LoggingBackend.sent) == []


def test_notify_writes_one_inbox_row_per_recipient_and_an_outbox_row_per_channel(
    alice, bob, channels, django_capture_on_commit_callbacks
):
    channels("log")
    target = make_user("target-object")  # any model instance will do as a target
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        made = notify(
            recipients=[alice, bob.pk, alice],  # duplicates are sent once
            kind="requests.dispatched",
            title="有一条诉求派给了您",
            body="请在 2 天内处理。",
            target=target,
        )
        # Written inside the caller's transaction, before it commits.
        assert Notification.objects.count() == 2
        assert Delivery.objects.filter(status="pending", channel="log").count() == 2
    assert {n.recipient_id for n in made} == {alice.pk, bob.pk}
    assert made[0].target_type == "accounts.user"
    assert made[0].target_id == str(target.pk)
    assert len(callbacks) == 1
    assert list(LoggingBackend.sent) == []  # not sent before the commit
    callbacks[0]()  # the commit: runs the (eager) task
    assert Delivery.objects.filter(status="sent").count() == 2
    assert {m["recipient_id"] for m in LoggingBackend.sent} == {alice.pk, bob.pk}
    assert LoggingBackend.sent[0]["title"] == "有一条诉求派给了您"


def test_rolled_back_caller_leaves_no_notification_and_sends_nothing(
    alice, channels, django_capture_on_commit_callbacks
):
    channels("log")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(recipients=[alice], kind="requests.accepted", title="已受理")
        raise RuntimeError("the caller's change failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()
    assert list(LoggingBackend.sent) == []


def test_channels_argument_limits_external_channels(alice, channels):
    channels("log")
    notify(recipients=[alice], kind="x.y", title="t", channels=[])
    assert not Delivery.objects.exists()
    notify(recipients=[alice], kind="x.y", title="t", channels=["log", "sms"])
    assert Delivery.objects.count() == 1


def test_unknown_channel_names_are_ignored(alice, channels):
    channels("log, carrier-pigeon")
    notify(recipients=[alice], kind="x.y", title="t")
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["log"]


def test_links_must_be_site_relative(alice):
    with pytest.raises(ValueError):
        notify(recipients=[alice], kind="x.y", title="t", link="https://evil.example/")
    with pytest.raises(ValueError):
        notify(recipients=[alice], kind="x.y", title="t", link="//evil.example/")


def test_sms_and_wechat_only_for_users_who_asked_for_them(alice, bob, channels):
    channels("sms,wechat")
    services.preference_update(
        user=alice,
        sms_enabled=True,
        phone="138 1234 5678",
        wechat_openid="oAbc_123456",
        actor=alice,
    )
    notify(recipients=[alice, bob], kind="x.y", title="t")
    rows = set(Delivery.objects.values_list("notification__recipient__username", "channel"))
    assert rows == {("alice", "sms"), ("alice", "wechat")}


# --- delivery -------------------------------------------------------------------------------


def _one_delivery(user, channel="log") -> Delivery:
    notify(recipients=[user], kind="requests.accepted", title="您的诉求已受理", link="/r/1/")
    return Delivery.objects.get(channel=channel)


def test_a_sent_delivery_is_never_sent_twice(alice, channels):
    channels("log")
    delivery = _one_delivery(alice)
    first = delivery_attempt(delivery_id=delivery.pk)
    assert first is not None and first.status == "sent"
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert delivery_sweep(min_age_seconds=0).attempted == 0
    assert len(LoggingBackend.sent) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert delivery.sent_at is not None


def test_failure_is_retried_with_backoff_then_fails_for_good(alice, channels, monkeypatch):
    channels("log", NOTIFY_MAX_ATTEMPTS="3")
    delivery = _one_delivery(alice)

    def broken(self, delivery, *, phone_e164="", openid=""):
        raise ConnectionError("gateway down for 13812345678")

    monkeypatch.setattr(LoggingBackend, "send", broken)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        result = delivery_attempt(delivery_id=delivery.pk)
        assert result is not None and result.status == "pending" and result.retry_in == 60
        delivery.refresh_from_db()
        assert delivery.attempts == 1
        assert "ConnectionError" in delivery.last_error
        assert "13812345678" not in delivery.last_error  # phone numbers are masked in errors
        assert delivery.next_attempt_at == start + timedelta(seconds=60)
        # Not due yet: nothing happens.
        assert delivery_attempt(delivery_id=delivery.pk) is None
        clock.shift(61)
        second = delivery_attempt(delivery_id=delivery.pk)
        assert second is not None and second.retry_in == 120
        clock.shift(121)
        third = delivery_attempt(delivery_id=delivery.pk)
        assert third is not None and third.status == "failed" and third.retry_in is None
        clock.shift(3600)
        assert delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)


def test_backoff_doubles_and_is_capped():
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert services.backoff_seconds(20) == 3600


def test_sms_without_gateway_url_is_skipped_with_a_reason(alice, channels):
    channels("sms")
    services.preference_update(user=alice, sms_enabled=True, phone="13812345678", actor=alice)
    delivery = _one_delivery(alice, "sms")
    result = delivery_attempt(delivery_id=delivery.pk)
    assert result is not None and result.status == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == "skipped"
    assert "NOTIFY_SMS_URL" in delivery.last_error
    assert delivery_attempt(delivery_id=delivery.pk) is None  # skipped is final


def test_wechat_without_gateway_url_is_skipped(alice, channels):
    channels("wechat")
    services.preference_update(
        user=alice, sms_enabled=False, wechat_openid="oAbc_123456", actor=alice
    )
    delivery = _one_delivery(alice, "wechat")
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "skipped"
    assert "NOTIFY_WECHAT_URL" in delivery.last_error


def test_sms_posts_the_template_payload_to_the_gateway(alice, channels, monkeypatch):
    channels(
        "sms",
        NOTIFY_SMS_URL="https://sms.gateway.invalid/send",
        NOTIFY_SMS_TEMPLATE_ID="SMS_1001",
        NOTIFY_SMS_TOKEN="secret-token",
        SITE_URL="https://wushe.example.cn",
    )
    services.preference_update(user=alice, sms_enabled=True, phone="13812345678", actor=alice)
    posted = []
    monkeypatch.setattr(
        backends, "http_post", lambda url, payload, token="": posted.append((url, payload, token))
    )
    delivery = _one_delivery(alice, "sms")
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    url, payload, token = posted[0]
    assert url == "https://sms.gateway.invalid/send"
    assert token == "secret-token"
    assert payload["phone"] == "+8613812345678"
    assert payload["template_id"] == "SMS_1001"
    assert payload["params"] == {"title": "您的诉求已受理", "link": "https://wushe.example.cn/r/1/"}
    assert payload["out_id"] == f"wushe-{delivery.pk}"


def test_wechat_posts_a_template_message(alice, channels, monkeypatch):
    channels(
        "wechat",
        NOTIFY_WECHAT_URL="https://relay.invalid/template",
        NOTIFY_WECHAT_TEMPLATE_ID="TPL-1",
    )
    services.preference_update(
        user=alice, sms_enabled=False, wechat_openid="oAbc_123456", actor=alice
    )
    posted = []
    monkeypatch.setattr(
        backends, "http_post", lambda url, payload, token="": posted.append(payload)
    )
    delivery = _one_delivery(alice, "wechat")
    delivery_attempt(delivery_id=delivery.pk)
    payload = posted[0]
    assert payload["touser"] == "oAbc_123456"
    assert payload["template_id"] == "TPL-1"
    assert payload["data"]["thing1"] == {"value": "您的诉求已受理"}
    assert set(payload["data"]) == {"thing1", "time2", "thing3"}
    assert payload["client_msg_id"] == f"wushe-{delivery.pk}"


def test_sms_turned_off_after_queueing_is_not_sent(alice, channels, monkeypatch):
    channels("sms", NOTIFY_SMS_URL="https://sms.invalid/", NOTIFY_SMS_TEMPLATE_ID="T")
    services.preference_update(user=alice, sms_enabled=True, phone="13812345678", actor=alice)
    delivery = _one_delivery(alice, "sms")
    services.preference_update(user=alice, sms_enabled=False, actor=alice)
    monkeypatch.setattr(backends, "http_post", lambda *a, **k: pytest.fail("must not send"))
    delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "skipped"


def test_network_is_refused_in_tests():
    with pytest.raises(RuntimeError, match="disabled in tests"):
        backends.http_post("https://example.invalid/", {})


# --- sweep ----------------------------------------------------------------------------------


def test_sweep_delivers_what_the_queue_lost(alice, channels):
    channels("log")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # Queued in on_commit, but the broker was down: the rows stay pending.
        notify(recipients=[alice], kind="x.y", title="第一条")
        notify(recipients=[alice], kind="x.y", title="第二条")
        assert Delivery.objects.filter(status="pending").count() == 2
        # Younger than a minute: the sweep leaves them to their task.
        assert delivery_sweep().attempted == 0
        clock.shift(61)
        call_command("notifications", "deliver")
    assert Delivery.objects.filter(status="sent").count() == 2
    assert [m["title"] for m in LoggingBackend.sent] == ["第一条", "第二条"]


def test_sweep_reclaims_a_delivery_abandoned_while_sending(alice, channels):
    channels("log")
    delivery = _one_delivery(alice)
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", updated_at=long_ago, created_at=long_ago, attempts=1
    )
    result = delivery_sweep()
    assert (result.reclaimed, result.sent) == (1, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_sweep_task_runs_the_same_sweep(alice, channels):
    from wushe.notifications.tasks import sweep

    channels("log")
    _one_delivery(alice)
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert sweep.apply().get()["sent"] == 1


# --- inbox and preferences ------------------------------------------------------------------


def test_mark_read_is_idempotent_and_only_for_the_recipient(alice, bob):
    [note] = notify(recipients=[alice], kind="x.y", title="t")
    read = services.notification_mark_read(notification_id=note.pk, user=alice)
    first_read_at = read.read_at
    assert first_read_at is not None
    again = services.notification_mark_read(notification_id=note.pk, user=alice)
    assert again.read_at == first_read_at
    with pytest.raises(NotFound):
        services.notification_mark_read(notification_id=note.pk, user=bob)


def test_mark_all_read_touches_only_the_users_own(alice, bob):
    notify(recipients=[alice, bob], kind="x.y", title="t")
    notify(recipients=[alice], kind="x.y", title="t2")
    assert services.notification_mark_all_read(user=alice) == 2
    assert services.notification_mark_all_read(user=alice) == 0
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1


def test_phone_is_sealed_masked_and_audited_masked(alice):
    from wushe.audit.models import AuditEvent

    pref = services.preference_update(
        user=alice, sms_enabled=True, phone="13812345678", actor=alice
    )
    stored = NotificationPreference.objects.get(user=alice)
    assert stored.phone_masked == "138****5678"
    assert "13812345678" not in stored.phone_token
    assert crypto.decrypt(stored.phone_token, purpose="notifications.phone") == "+8613812345678"
    event = AuditEvent.objects.get(action="notifications.preference.updated")
    assert "13812345678" not in str(event.changes)
    assert pref.sms_ready


def test_sms_needs_a_phone_and_a_valid_one(alice):
    with pytest.raises(ValidationFailed) as caught:
        services.preference_update(user=alice, sms_enabled=True, actor=alice)
    assert caught.value.code == "notifications.phone_required"
    with pytest.raises(ValidationFailed) as caught:
        services.preference_update(user=alice, sms_enabled=True, phone="12345", actor=alice)
    assert caught.value.code == "phone.format"
    with pytest.raises(ValidationFailed) as caught:
        services.preference_update(
            user=alice, sms_enabled=False, wechat_openid="<script>", actor=alice
        )
    assert caught.value.code == "notifications.openid_format"


def test_phone_token_is_covered_by_key_rotation():
    assert ("notifications.NotificationPreference", "phone_token") in crypto._registry


# --- tasks ----------------------------------------------------------------------------------


def test_task_requeues_a_failed_delivery_after_its_backoff_on_a_real_broker(
    alice, channels, monkeypatch
):
    from wushe.notifications import tasks

    channels("log")
    delivery = _one_delivery(alice)
    monkeypatch.setattr(
        LoggingBackend, "send", lambda self, d, **kw: (_ for _ in ()).throw(OSError("down"))
    )
    queued = []
    monkeypatch.setattr(
        tasks.deliver, "apply_async", lambda args, countdown: queued.append((args, countdown))
    )
    tasks.deliver.run([delivery.pk])  # as a worker runs it (not eager)
    assert queued == [([[delivery.pk]], 60)]
    # The redelivered task before the backoff has passed does nothing.
    tasks.deliver.run([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)


def test_a_broker_that_is_down_does_not_break_the_callers_commit(
    alice, channels, monkeypatch, django_capture_on_commit_callbacks
):
    from wushe.notifications import tasks

    channels("log")

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.deliver, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(recipients=[alice], kind="x.y", title="t")
    # The commit stood; the outbox row waits for the sweep.
    assert Delivery.objects.get().status == "pending"


def test_in_process_delivery_failure_waits_for_the_sweep(
    alice, channels, monkeypatch, django_capture_on_commit_callbacks
):
    channels("log")
    monkeypatch.setattr(
        LoggingBackend, "send", lambda self, d, **kw: (_ for _ in ()).throw(OSError("down"))
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(recipients=[alice], kind="x.y", title="t")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at > timezone.now()
