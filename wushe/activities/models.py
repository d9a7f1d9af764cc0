"""Volunteer activities and service records (《志愿服务记录与证明出具办法》, domain.md §4).

Hours rule (documented, used by `minutes_of`): service minutes = whole minutes between
sign-in and sign-out (seconds dropped) minus the declared travel minutes (travel never
counts); the result must be positive. Coins: 1 verified hour = 1 coin in the scheme of the
activity's region (the time bank counts coins in minutes, so no further rounding).

A record is `submitted`, then `verified` or `rejected` by the organiser. A verified record
is never edited: a correction appends a reversing record (`corrects` → the original, minutes
negated, status `verified`) and reverses its coins; the right record is then submitted anew."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wushe.core.models import RegionBound, county_code_check


def minutes_of(signed_in_at: datetime, signed_out_at: datetime, travel_minutes: int) -> int:
    return int((signed_out_at - signed_in_at).total_seconds() // 60) - travel_minutes


class Activity(RegionBound):
    title = models.CharField(_("活动名称"), max_length=200)
    description = models.TextField(_("活动内容"), blank=True, default="")
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组织者"),
        on_delete=models.PROTECT,
        related_name="organised_activities",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("组织单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务活动")
        verbose_name_plural = _("志愿服务活动")
        constraints = [
            county_code_check(),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activities_activity_window"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RecordStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待认证")
    VERIFIED = "verified", _("已认证")
    REJECTED = "rejected", _("已退回")


class ServiceRecord(RegionBound):
    """One volunteer's service at one activity (region = the activity's)."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="records"
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("志愿者"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    signed_in_at = models.DateTimeField(_("签到时间"))
    signed_out_at = models.DateTimeField(_("签退时间"))
    travel_minutes = models.PositiveIntegerField(_("路途时间（分钟）"), default=0)
    minutes = models.IntegerField(_("服务时长（分钟）"))
    content = models.CharField(_("服务内容"), max_length=200, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.SUBMITTED
    )
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("更正的记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
    )
    reason = models.CharField(_("退回或更正原因"), max_length=200, blank=True, default="")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认证人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("认证时间"), null=True, blank=True)
    transfer = models.ForeignKey(
        "timebank.Transfer",
        verbose_name=_("时间币转账"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务记录")
        verbose_name_plural = _("志愿服务记录")
        constraints = [
            county_code_check(),
            models.CheckConstraint(
                condition=Q(signed_out_at__gt=models.F("signed_in_at")),
                name="activities_record_window",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True, minutes__gt=0)
                | Q(corrects__isnull=False, minutes__lt=0),
                name="activities_record_minutes_sign",
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "status"], name="activities_record_vol")]

    def __str__(self) -> str:
        return f"{self.volunteer_id} @ {self.activity_id}: {self.minutes}"


class Certificate(RegionBound):
    """A certificate of volunteer service (志愿服务记录证明). `number` is public: anyone can
    check it on the verification page, which shows validity, hours, issue date and issuer
    region but no personal data. `minutes` is the verified total when issued (a snapshot)."""

    number = models.CharField(_("证明编号"), max_length=32, unique=True)
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("志愿者"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    minutes = models.PositiveIntegerField(_("累计服务时长（分钟）"))
    issued_on = models.DateField(_("出具日期"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked = models.BooleanField(_("已作废"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务证明")
        verbose_name_plural = _("志愿服务证明")
        constraints = [county_code_check()]

    def __str__(self) -> str:
        return self.number


class SignUpStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("已报名")
    CANCELLED = "cancelled", _("已取消")


class SignUp(RegionBound):
    """A volunteer's place at an activity and their attendance: `signed_in_at` and
    `signed_out_at` are set by scanning the activity's QR codes (or by the organiser on the
    sign-in sheet); sign-out submits the service record (`record`) for verification. One row
    per (activity, volunteer); signing in without signing up first creates it (walk-in)."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="signups"
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("志愿者"),
        on_delete=models.PROTECT,
        related_name="activity_signups",
    )
    status = models.CharField(
        _("报名状态"), max_length=10, choices=SignUpStatus.choices, default=SignUpStatus.SIGNED_UP
    )
    signed_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    signed_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    record = models.OneToOneField(
        ServiceRecord,
        verbose_name=_("服务记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signup",
    )
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["activity", "volunteer"], name="activities_signup_once"
            ),
            models.CheckConstraint(
                condition=Q(signed_out_at__isnull=True)
                | Q(signed_in_at__isnull=False, signed_out_at__gt=models.F("signed_in_at")),
                name="activities_signup_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} @ {self.activity_id}"
