from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role


class User(AbstractUser):
    """A person who signs in. What they may see and do comes from their RoleGrants, never from
    fields on the user (is_staff/is_superuser only open Django's admin site)."""

    display_name = models.CharField(_("姓名"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleGrant(models.Model):
    """A user's role in a region: the only source of scope.

    Invariants: `region` is required except for admin (nationwide); its level is one that
    roles.ALLOWED_LEVELS permits for the role; org_staff names an organisation. A grant is
    withdrawn by setting `revoked_at` (services only), never deleted, so the audit log keeps
    pointing at what was granted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_grants",
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        ordering = ["user_id", "role", "region_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region", "organization"],
                condition=models.Q(revoked_at__isnull=True),
                name="grant_unique_active",
            ),
        ]

    def __str__(self) -> str:
        where = self.region.short_name if self.region_id and self.region else _("全国")
        return f"{self.get_role_display()} · {where}"


class ApiToken(models.Model):
    """A bearer token for the HTTP API.

    Invariants: only the SHA-256 of the token is stored (`key_hash`), so a database dump
    reveals no usable token; the plaintext is shown once at issue. A token works only while
    `revoked_at` is empty and `expires_at` is in the future."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(_("令牌前缀"), max_length=12)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"
