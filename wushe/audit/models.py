from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("append-only: update refused")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("append-only: delete refused")


class AuditEvent(models.Model):
    """One thing that happened, written in the same transaction as the change it records.

    Invariants: rows are only ever inserted. The ORM refuses update and delete (model and
    queryset), and on PostgreSQL a trigger refuses UPDATE and DELETE too (migration 0002), so
    not even raw SQL from the application can rewrite history. `changes` holds masked values
    only (wushe.core.masking): no password, full ID number or phone ever lands here.
    `region_code` is the 12-digit code of the region the target belongs to, so the log is
    scoped by region like everything else. Kept at least six months (Cybersecurity Law).
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("事件"), max_length=100)
    target_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    region_code = models.CharField(_("区划"), max_length=12, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["at"], name="audit_at_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
            models.Index(fields=["actor_label", "action", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["ip", "action", "at"], name="audit_ip_at_idx"),
            models.Index(fields=["region_code", "at"], name="audit_region_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Guarding immutability, not business logic: an existing event is never saved again.
        if not self._state.adding:
            raise AppendOnlyError("append-only: audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("append-only: audit events cannot be deleted")
