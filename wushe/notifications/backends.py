"""Ways a notification leaves the platform. One small interface, one backend per channel.

A backend's `send` returns on success and raises on failure: `DeliverySkipped` when the message
cannot be sent by design (channel not configured, no address) — the delivery is marked
`skipped` and never retried — and any other exception for a failure worth retrying.

- `LoggingBackend` ("log"): logs and keeps the last messages in memory (`LoggingBackend.sent`),
  for development and tests.
- `SmsBackend` ("sms") and `WeChatTemplateBackend` ("wechat") build the provider payload and
  POST it as JSON to a gateway URL from the configuration. Without a URL they skip. The gateway
  (the SMS provider's API, or a relay that holds the WeChat official account's access token)
  is outside this code; both payloads carry an idempotency id `wushe-<delivery id>` so a
  gateway can drop a duplicate after a worker crash.

Configuration (`settings.WUSHE[NAME]`, else environment `WUSHE_<NAME>`):
`NOTIFY_SMS_URL`, `NOTIFY_SMS_TOKEN`, `NOTIFY_SMS_TEMPLATE_ID`, `NOTIFY_SMS_SIGN_NAME`,
`NOTIFY_WECHAT_URL`, `NOTIFY_WECHAT_TOKEN`, `NOTIFY_WECHAT_TEMPLATE_ID`,
`NOTIFY_HTTP_TIMEOUT` (seconds, default 10), `SITE_URL` (to make links absolute).

No network in tests: `http_post` refuses to run under pytest; tests replace it.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.utils import timezone

from wushe.core.masking import mask_phone

from .models import Channel, Delivery

logger = logging.getLogger("wushe.notifications")


class DeliverySkipped(Exception):
    """The message is not sent, on purpose (no gateway configured, no address): never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Backend(Protocol):
    channel: str

    def send(self, delivery: Delivery, *, phone_e164: str = "", openid: str = "") -> None:
        """Send one delivery (its notification is `delivery.notification`). Raise
        DeliverySkipped to give up for good, any other exception to be retried."""


def conf(name: str, default: str = "") -> str:
    wushe = getattr(settings, "WUSHE", {})
    if name in wushe and wushe[name] is not None:
        return str(wushe[name])
    return os.environ.get(f"WUSHE_{name}", default)


def absolute_link(link: str) -> str:
    base = conf("SITE_URL").rstrip("/")
    if not link:
        return base + "/" if base else ""
    return f"{base}{link}" if base and link.startswith("/") else link


def http_post(url: str, payload: dict[str, Any], *, token: str = "") -> None:
    """POST JSON; raise on a network error or a non-2xx answer."""
    if getattr(settings, "TESTING", False):
        raise RuntimeError("network calls are disabled in tests: replace backends.http_post")
    if not url.startswith(("https://", "http://")):
        raise DeliverySkipped(f"gateway URL must be http(s): {url[:40]}")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    timeout = float(conf("NOTIFY_HTTP_TIMEOUT", "10") or 10)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        status = response.status
        answer = response.read(2000)
    if not 200 <= status < 300:
        raise RuntimeError(f"gateway answered HTTP {status}")
    # WeChat answers 200 with {"errcode": n}; a relay may pass that through.
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return
    if isinstance(data, dict) and data.get("errcode") not in (None, 0):
        raise RuntimeError(f"gateway error {data.get('errcode')}: {data.get('errmsg', '')}"[:200])


class LoggingBackend:
    """Logs each message and keeps the last 200 in `LoggingBackend.sent` (tests read it).
    The log line carries ids and the masked phone only."""

    channel = Channel.LOG.value
    sent: ClassVar[deque[dict[str, Any]]] = deque(maxlen=200)

    def send(self, delivery: Delivery, *, phone_e164: str = "", openid: str = "") -> None:
        notification = delivery.notification
        message = {
            "delivery_id": delivery.pk,
            "notification_id": notification.pk,
            "recipient_id": notification.recipient_id,
            "kind": notification.kind,
            "title": notification.title,
            "body": notification.body,
            "link": absolute_link(notification.link),
            "phone_masked": mask_phone(phone_e164) if phone_e164 else "",
            "has_openid": bool(openid),
        }
        logger.info(
            "notification %s to user %s: %s (%s)",
            notification.pk,
            notification.recipient_id,
            notification.kind,
            notification.title,
        )
        type(self).sent.append(message)

    @classmethod
    def clear(cls) -> None:
        cls.sent.clear()


def _limit(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


class SmsBackend:
    """SMS through a provider gateway. Mainland SMS must use a pre-approved template and
    signature: the payload names the template and passes the title and link as parameters
    (the body does not fit in a text message)."""

    channel = Channel.SMS.value

    def payload(self, delivery: Delivery, *, phone_e164: str) -> dict[str, Any]:
        notification = delivery.notification
        return {
            "phone": phone_e164,
            "sign_name": conf("NOTIFY_SMS_SIGN_NAME"),
            "template_id": conf("NOTIFY_SMS_TEMPLATE_ID"),
            "params": {
                "title": _limit(notification.title, 35),
                "link": absolute_link(notification.link),
            },
            "out_id": f"wushe-{delivery.pk}",
        }

    def send(self, delivery: Delivery, *, phone_e164: str = "", openid: str = "") -> None:
        url = conf("NOTIFY_SMS_URL")
        if not url:
            raise DeliverySkipped("NOTIFY_SMS_URL is not configured")
        if not conf("NOTIFY_SMS_TEMPLATE_ID"):
            raise DeliverySkipped("NOTIFY_SMS_TEMPLATE_ID is not configured")
        if not phone_e164:
            raise DeliverySkipped("recipient has no phone number for SMS")
        http_post(
            url, self.payload(delivery, phone_e164=phone_e164), token=conf("NOTIFY_SMS_TOKEN")
        )


class WeChatTemplateBackend:
    """WeChat official-account template message (`message/template/send` format). The
    template's keywords must be `thing1` (title, ≤20 characters), `time2` (when) and
    `thing3` (details, ≤20 characters). The URL is a relay that adds the access token."""

    channel = Channel.WECHAT.value

    def payload(self, delivery: Delivery, *, openid: str) -> dict[str, Any]:
        notification = delivery.notification
        when = timezone.localtime(notification.created_at).strftime("%Y-%m-%d %H:%M")
        return {
            "touser": openid,
            "template_id": conf("NOTIFY_WECHAT_TEMPLATE_ID"),
            "url": absolute_link(notification.link),
            "data": {
                "thing1": {"value": _limit(notification.title, 20)},
                "time2": {"value": when},
                "thing3": {"value": _limit(notification.body or notification.title, 20)},
            },
            "client_msg_id": f"wushe-{delivery.pk}",
        }

    def send(self, delivery: Delivery, *, phone_e164: str = "", openid: str = "") -> None:
        url = conf("NOTIFY_WECHAT_URL")
        if not url:
            raise DeliverySkipped("NOTIFY_WECHAT_URL is not configured")
        if not conf("NOTIFY_WECHAT_TEMPLATE_ID"):
            raise DeliverySkipped("NOTIFY_WECHAT_TEMPLATE_ID is not configured")
        if not openid:
            raise DeliverySkipped("recipient has no WeChat openid")
        http_post(url, self.payload(delivery, openid=openid), token=conf("NOTIFY_WECHAT_TOKEN"))


BACKENDS: dict[str, Callable[[], Backend]] = {
    Channel.LOG.value: LoggingBackend,
    Channel.SMS.value: SmsBackend,
    Channel.WECHAT.value: WeChatTemplateBackend,
}


def get_backend(channel: str) -> Backend:
    try:
        return BACKENDS[channel]()
    except KeyError:
        raise DeliverySkipped(f"no backend for channel {channel!r}") from None
