"""Writes of the notifications app.

`notify` is what other apps call, inside their own transaction: it writes the inbox rows and
the outbox rows (`Delivery`) together with the change they announce, and queues delivery in
`on_commit` with ids only. A rollback leaves nothing and sends nothing; a lost task queue
leaves pending deliveries that `delivery_sweep` (`wushe notifications deliver`, and the beat
task `notifications.sweep`) picks up (docs/architecture.md §6.3.11).

What may go into a notification: only what the recipient may see on the linked page anyway.
No ID numbers, no full phone numbers, no address or health details of a resident, no names of
people the recipient has no business with. SMS and WeChat carry the title (and WeChat a short
piece of the body) outside the platform, to a provider: write titles like "您的诉求已受理"
or "有一条新的诉求待受理（南关厢社区）", and let the link lead to the details behind sign-in.

Channels: the inbox always; external channels listed in `NOTIFY_CHANNELS`
(`settings.WUSHE["NOTIFY_CHANNELS"]`, else env `WUSHE_NOTIFY_CHANNELS`; comma-separated from
"log", "sms", "wechat"; default "" = inbox only). SMS goes only to users who turned it on and
gave a phone, WeChat only to users with an openid (`NotificationPreference`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.audit.services import audit_record
from wushe.core import crypto, fastsql
from wushe.core.errors import NotFound, ValidationFailed
from wushe.core.identifiers import parse_phone
from wushe.core.masking import mask_phone

from . import backends
from .models import PHONE_PURPOSE, Channel, Delivery, Notification, NotificationPreference

logger = logging.getLogger("wushe.notifications")

DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
# A delivery left "sending" this long was abandoned by a crashed worker: it goes back to
# pending. (At-least-once: the gateway may see it twice; the payload's out_id lets it drop it.)
STUCK_SENDING_SECONDS = 15 * 60
_PHONE_IN_TEXT = re.compile(r"(?:\+?86)?1[3-9]\d{9}")


def enabled_channels() -> list[str]:
    raw = backends.conf("NOTIFY_CHANNELS")
    channels: list[str] = []
    for item in (part.strip().lower() for part in raw.split(",")):
        if not item:
            continue
        if item not in Channel.values:
            logger.warning("NOTIFY_CHANNELS: unknown channel %r ignored", item)
            continue
        if item not in channels:
            channels.append(item)
    return channels


def max_attempts() -> int:
    return max(1, int(backends.conf("NOTIFY_MAX_ATTEMPTS", str(DEFAULT_MAX_ATTEMPTS)) or 1))


def backoff_seconds(attempts: int) -> int:
    """Wait before the next try after `attempts` failed ones: 1, 2, 4, 8 … minutes, ≤ 1 hour."""
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def _user_id(recipient: Any) -> int:
    if isinstance(recipient, int) and not isinstance(recipient, bool):
        return recipient
    pk = getattr(recipient, "pk", None)
    if isinstance(pk, int):
        return pk
    raise TypeError(f"recipient must be a User or a user id, not {type(recipient).__name__}")


def _check_link(link: str) -> str:
    link = link.strip()
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("notification links are site-relative URLs starting with a single '/'")
    return link


def _checked(recipients: Iterable[Any], kind: str, title: str, link: str) -> tuple[str, list[int]]:
    """What every message needs checked: a kind and a title, a site-relative link; and its
    recipients as user ids, each once."""
    if not kind or not title:
        raise ValueError("notify needs a kind and a title")
    return _check_link(link), list(dict.fromkeys(_user_id(r) for r in recipients))


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    region_code: str = "",
    target: models.Model | None = None,
    channels: Sequence[str] | None = None,
) -> list[Notification]:
    """Put a message in each recipient's inbox and, per external channel that is enabled and
    applies to the recipient, an outbox row; queue their delivery when the caller commits.

    `recipients`: users or user ids (duplicates are sent once). `kind`: a dotted name such as
    "requests.accepted". `link`: site-relative URL of the page to open. `channels`: limit the
    external channels (None = all enabled; [] = inbox only). Call inside the caller's
    transaction; personal data rules: see the module docstring."""
    link, user_ids = _checked(recipients, kind, title, link)
    if not user_ids:
        return []
    enabled = enabled_channels()
    wanted = enabled if channels is None else [c for c in enabled if c in channels]
    now = timezone.now()

    # savepoint=False: inside the caller's transaction (the usual case) a savepoint would cost
    # two round trips per call and buy nothing, since a failure here fails the caller anyway.
    with transaction.atomic(savepoint=False):
        rows = _inbox_rows(user_ids, kind, title, body, link, region_code, target, now)
        if not wanted:
            # Inbox only (the common case): one INSERT without the ORM's compiler.
            fastsql.insert_many(rows, read_pks=True)
            return rows
        notifications = Notification.objects.bulk_create(rows)
        deliveries = Delivery.objects.bulk_create(_outbox(notifications, wanted, now))
        if deliveries:
            delivery_ids = [d.pk for d in deliveries]
            # robust: a broker that is down must not turn the caller's committed change into
            # an error; the sweep delivers later.
            transaction.on_commit(lambda: _queue(delivery_ids), robust=True)
    return notifications


def _inbox_rows(
    user_ids: list[int],
    kind: str,
    title: str,
    body: str,
    link: str,
    region_code: str,
    target: models.Model | None,
    now: Any,
) -> list[Notification]:
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    return [
        Notification(
            recipient_id=user_id,
            kind=kind[:64],
            title=title[:200],
            body=body,
            link=link[:500],
            region_id=region_code or None,
            county_code=region_code[:6],
            target_type=target_type,
            target_id=target_id,
            created_at=now,
        )
        for user_id in user_ids
    ]


def inbox_statement(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    region_code: str = "",
    target: models.Model | None = None,
) -> fastsql.Statement | Literal[False] | None:
    """What `notify` writes when no external channel is enabled (the inbox rows), as one
    INSERT for the caller's `fastsql.execute_together`; None when there is no recipient.
    False when an external channel is enabled: then call `notify`, which also fills the
    outbox and queues delivery."""
    if enabled_channels():
        return False
    link, user_ids = _checked(recipients, kind, title, link)
    rows = _inbox_rows(user_ids, kind, title, body, link, region_code, target, timezone.now())
    return fastsql.insert_statement(rows)


def _outbox(notifications: list[Notification], wanted: list[str], now: Any) -> list[Delivery]:
    if not wanted:
        return []
    prefs: dict[int, NotificationPreference] = {}
    if Channel.SMS in wanted or Channel.WECHAT in wanted:
        prefs = {
            p.user_id: p
            for p in NotificationPreference.objects.filter(
                user_id__in=[n.recipient_id for n in notifications]
            )
        }
    deliveries = []
    for notification in notifications:
        pref = prefs.get(notification.recipient_id)
        for channel in wanted:
            if channel == Channel.SMS and not (pref and pref.sms_ready):
                continue
            if channel == Channel.WECHAT and not (pref and pref.wechat_openid):
                continue
            deliveries.append(
                Delivery(
                    notification=notification,
                    county_code=notification.county_code,
                    channel=channel,
                    created_at=now,
                    updated_at=now,
                    next_attempt_at=now,
                )
            )
    return deliveries


def _queue(delivery_ids: list[int]) -> None:
    from .tasks import deliver

    deliver.delay(delivery_ids)


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: int
    status: str
    retry_in: int | None = None  # seconds, when another attempt is due


def _scrub(text: str) -> str:
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)[:500]


def delivery_attempt(*, delivery_id: int) -> AttemptResult | None:
    """Try to send one delivery once. Returns None when there is nothing to do: it was sent,
    skipped, failed for good, is being sent by another worker, or is not due yet.

    The row is claimed with a conditional UPDATE (pending and due → sending), so two workers
    (a redelivered task and the sweep) never both send it, and no transaction is held open
    during the network call."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=now)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("notification").get(pk=delivery_id)
    status = Delivery.Status.SENT
    error = ""
    retry_in: int | None = None
    try:
        phone, openid = _address(delivery)
        backends.get_backend(delivery.channel).send(delivery, phone_e164=phone, openid=openid)
    except backends.DeliverySkipped as exc:
        status, error = Delivery.Status.SKIPPED, _scrub(exc.reason)
    except Exception as exc:
        error = _scrub(f"{type(exc).__name__}: {exc}")
        if delivery.attempts >= max_attempts():
            status = Delivery.Status.FAILED
            logger.warning("delivery %s failed for good: %s", delivery_id, error)
        else:
            status = Delivery.Status.PENDING
            retry_in = backoff_seconds(delivery.attempts)
    done = timezone.now()
    changes: dict[str, Any] = {"status": status, "last_error": error, "updated_at": done}
    if status == Delivery.Status.SENT:
        changes["sent_at"] = done
    if retry_in is not None:
        changes["next_attempt_at"] = done + timedelta(seconds=retry_in)
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(**changes)
    return AttemptResult(delivery_id=delivery_id, status=status, retry_in=retry_in)


def _address(delivery: Delivery) -> tuple[str, str]:
    """(phone E.164, openid) for the delivery's channel, read at send time so a user who
    turned SMS off since is not texted."""
    if delivery.channel not in (Channel.SMS, Channel.WECHAT):
        return "", ""
    pref = NotificationPreference.objects.filter(user_id=delivery.notification.recipient_id).first()
    if delivery.channel == Channel.SMS:
        if pref is None or not pref.sms_ready:
            raise backends.DeliverySkipped("recipient turned SMS off or has no phone")
        return crypto.decrypt(pref.phone_token, purpose=PHONE_PURPOSE), ""
    if pref is None or not pref.wechat_openid:
        raise backends.DeliverySkipped("recipient has no WeChat openid")
    return "", pref.wechat_openid


@dataclass(frozen=True)
class SweepResult:
    reclaimed: int
    attempted: int
    sent: int
    retrying: int
    failed: int
    skipped: int


def delivery_sweep(*, min_age_seconds: int = 60, limit: int = 500) -> SweepResult:
    """Deliver what the task queue did not: pending deliveries that are due and older than
    `min_age_seconds` (younger ones are still in their on_commit task), oldest first; first
    puts deliveries abandoned in "sending" by a crashed worker back to pending."""
    now = timezone.now()
    reclaimed = Delivery.objects.filter(
        status=Delivery.Status.SENDING,
        updated_at__lt=now - timedelta(seconds=STUCK_SENDING_SECONDS),
    ).update(status=Delivery.Status.PENDING, updated_at=now)
    due = list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            next_attempt_at__lte=now,
            created_at__lte=now - timedelta(seconds=min_age_seconds),
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    counts = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    attempted = 0
    for delivery_id in due:
        result = delivery_attempt(delivery_id=delivery_id)
        if result is None:
            continue
        attempted += 1
        key = "retrying" if result.status == Delivery.Status.PENDING else result.status
        counts[key] = counts.get(key, 0) + 1
    return SweepResult(reclaimed=reclaimed, attempted=attempted, **counts)


# --- inbox ----------------------------------------------------------------------------------


def notification_mark_read(*, notification_id: int, user: Any) -> Notification:
    """Mark one of the user's own notifications read (again: no change). Another user's
    notification is NotFound. Not audited: reading one's own messages changes nothing else."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotFound(code="notification.not_found")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notification_mark_all_read(*, user: Any) -> int:
    """Mark all of the user's unread notifications read; returns how many changed."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- preferences ----------------------------------------------------------------------------

_KEEP = object()


def preference_get(*, user: Any) -> NotificationPreference:
    """The user's preferences (unsaved defaults when they never set any)."""
    pref = NotificationPreference.objects.filter(user_id=user.pk).first()
    return pref or NotificationPreference(user_id=user.pk)


def preference_update(
    *,
    user: Any,
    sms_enabled: bool,
    phone: str | None = None,
    wechat_openid: str | None = None,
    actor: Any,
) -> NotificationPreference:
    """Set how `user` is told besides the inbox. `phone`/`wechat_openid`: None keeps the
    current value, "" clears it. SMS on needs a phone (`notifications.phone_required`); a bad
    number is `phone.format`. Audited with the phone masked."""
    openid = None if wechat_openid is None else wechat_openid.strip()
    if openid and not re.fullmatch(r"[A-Za-z0-9_-]{6,64}", openid):
        raise ValidationFailed(
            _("微信 OpenID 格式不正确。"),
            code="notifications.openid_format",
            fields={"wechat_openid": [str(_("微信 OpenID 格式不正确。"))]},
        )
    e164 = parse_phone(phone) if phone and phone.strip() else ""
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.get_or_create(user_id=user.pk)
        before = {"sms_enabled": pref.sms_enabled, "phone": pref.phone_masked}
        if phone is not None:
            if e164:
                pref.phone_token = crypto.encrypt(e164, purpose=PHONE_PURPOSE)
                pref.phone_masked = mask_phone(e164)
            else:
                pref.phone_token = pref.phone_masked = ""
        if openid is not None:
            pref.wechat_openid = openid
        if sms_enabled and not pref.phone_token:
            message = _("开启短信通知需要填写手机号码。")
            raise ValidationFailed(
                message,
                code="notifications.phone_required",
                fields={"phone": [str(message)]},
            )
        pref.sms_enabled = sms_enabled
        pref.updated_at = timezone.now()
        pref.save()
        audit_record(
            action="notifications.preference.updated",
            actor=actor,
            target=pref,
            target_label=str(user),
            changes={
                "before": before,
                "sms_enabled": pref.sms_enabled,
                "phone": pref.phone_masked,
                "wechat": bool(pref.wechat_openid),
            },
        )
    return pref
