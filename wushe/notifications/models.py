"""In-app inbox, outbox of external deliveries (SMS, WeChat, log) and per-user preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PHONE_PURPOSE = "notifications.phone"


class Channel(models.TextChoices):
    """External channels. The in-app inbox is not a channel: every notification has it."""

    LOG = "log", _("日志（开发测试）")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信模板消息")


class Notification(models.Model):
    """One message in one user's inbox.

    Invariants: written only by `services.notify`, inside the transaction of the change it
    announces (rolled back with it). `title` and `body` hold only what the recipient may see
    anyway: no ID numbers, no full phone numbers, no other person's details beyond what the
    linked page shows them; a message leaves the platform by SMS/WeChat verbatim. `link` is a
    site-relative URL (the linked page checks permissions again). `county_code` is the first six
    digits of `region` ("" without one). `read_at` is set once. Ordered by `created_at`; `id` is
    only a tie-breaker (docs/architecture.md §6.3.4)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True, default="")
    link = models.CharField(_("链接"), max_length=500, blank=True, default="")
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    county_code = models.CharField(
        _("区县代码"), max_length=6, blank=True, default="", editable=False
    )
    # The object it is about, as in the audit log ("requests.request", "42"): no FK, so it
    # may point at a row in any app or on any shard.
    target_type = models.CharField(_("对象类型"), max_length=100, blank=True, default="")
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(region__isnull=True, county_code="")
                    | models.Q(county_code=Substr("region", 1, 6))
                ),
                name="notifications_notification_county_code",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    """One notification to be sent over one external channel: the outbox row.

    Invariants: created with its notification (same transaction), so a commit that announces
    something always leaves work behind, and a rollback leaves none; losing the task queue only
    delays it (`wushe notifications deliver` sweeps). Status moves pending → sending → sent /
    failed / skipped, or sending → pending again after a failed attempt while attempts remain;
    only `services.delivery_attempt` and `delivery_sweep` change it. A `sent` delivery is never
    sent again. `county_code` is copied from the notification. `last_error` never contains a
    phone number or openid."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("未发送")

    notification = models.ForeignKey(
        Notification, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries"
    )
    county_code = models.CharField(
        _("区县代码"), max_length=6, blank=True, default="", editable=False
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="notifications_delivery_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.notification_id}"


class NotificationPreference(models.Model):
    """How a user wants to be told, besides the inbox (which is always on).

    Invariants: the phone is personal data: `phone_token` (AES-GCM, purpose
    "notifications.phone") and `phone_masked` are written together by
    `services.preference_update`, both empty when unknown. SMS goes out only when `sms_enabled`
    and a phone is set; WeChat only when `wechat_openid` is set (the user's openid of the
    platform's official account)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    sms_enabled = models.BooleanField(_("接收短信通知"), default=False)
    phone_token = models.TextField(blank=True, default="", editable=False)
    phone_masked = models.CharField(
        _("手机号码"), max_length=24, blank=True, default="", editable=False
    )
    wechat_openid = models.CharField(_("微信 OpenID"), max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def sms_ready(self) -> bool:
        return self.sms_enabled and bool(self.phone_token)
