"""Certified social workers (持证社会工作者): certificate, registration and its renewals,
continuing education (domain.md §7)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wushe.core.models import RegionBound, county_code_check
from wushe.core.personal import PersonFields


class CertificateLevel(models.TextChoices):
    ASSISTANT = "assistant", _("助理社会工作师")
    INTERMEDIATE = "intermediate", _("社会工作师")
    SENIOR = "senior", _("高级社会工作师")


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", _("在职")
    LEFT = "left", _("离职")


class SocialWorker(RegionBound, PersonFields):
    """A certified social worker in the register of a region (township or community).

    Invariants: one record per person (ID-number hash) and per certificate number within a
    county; `registered_on` (first registration) is not before `certificate_date`.
    The columns `registration_last_on`, `registration_expires_on`, `registration_due_on` and
    `education_hours` are derived (wushe.socialworkers.registration) from the certificate,
    `registered_on`, the renewals and the continuing-education records; only the services
    write them, recomputing them from those rows in the same transaction, so they can be
    rebuilt at any time. They are stored so that lists filter and count warnings in SQL.
    `resident_at_station` (驻站) implies a `station`; the station lies in the same county."""

    PERSONAL_PURPOSE = "socialworkers.socialworker"

    certificate_level = models.CharField(
        _("证书等级"), max_length=20, choices=CertificateLevel.choices
    )
    certificate_number = models.CharField(_("证书编号"), max_length=40)
    certificate_date = models.DateField(_("取得证书日期"))
    registered_on = models.DateField(_("首次登记日期"), null=True, blank=True)
    registration_last_on = models.DateField(
        _("最近登记（延续）日期"), null=True, blank=True, editable=False
    )
    registration_expires_on = models.DateField(
        _("登记有效期至"), null=True, blank=True, editable=False
    )
    registration_due_on = models.DateField(_("登记办理期限"), editable=False)
    education_hours = models.DecimalField(
        _("本登记周期继续教育学时"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("0"),
        editable=False,
    )
    employer = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所在单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    station = models.ForeignKey(
        "stations.ServiceStation",
        verbose_name=_("所属站点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="social_workers",
    )
    resident_at_station = models.BooleanField(_("驻站"), default=False)
    is_community_worker = models.BooleanField(_("社区专职工作者"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("社会工作者")
        verbose_name_plural = _("社会工作者")
        ordering = ["region_id", "name", "id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "certificate_number"], name="socialworker_unique_cert"
            ),
            models.UniqueConstraint(
                fields=["county_code", "id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="socialworker_unique_person",
            ),
            models.UniqueConstraint(
                fields=["county_code", "user"],
                condition=Q(user__isnull=False),
                name="socialworker_unique_user",
            ),
        ]
        indexes = [
            models.Index(fields=["county_code", "registration_due_on"], name="socialworker_due"),
            models.Index(fields=["id_number_hash"], name="socialworker_id_hash"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_post(self) -> bool:
        return self.status == EmploymentStatus.ACTIVE


class RegistrationRenewal(RegionBound):
    """One renewal (延续登记) of a social worker's registration; append-only history.

    Invariants: `renewed_on` is after the worker's previous registration or renewal and not
    in the future; one renewal per worker and date (recording it twice is a no-op); region
    and county are the worker's."""

    social_worker = models.ForeignKey(
        SocialWorker,
        verbose_name=_("社会工作者"),
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    renewed_on = models.DateField(_("延续登记日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("延续登记")
        verbose_name_plural = _("延续登记")
        ordering = ["-renewed_on", "-id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "social_worker", "renewed_on"],
                name="renewal_unique_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.social_worker_id} · {self.renewed_on}"


class ContinuingEducation(RegionBound):
    """One continuing-education record (继续教育): date, hours (one decimal), provider, topic.

    Invariants: 0 < hours ≤ 200; dated neither before the certificate nor in the future;
    region and county are the worker's. Counted against 72 h (助理) / 90 h (社会工作师,
    高级) from the start of the worker's current registration period."""

    social_worker = models.ForeignKey(
        SocialWorker,
        verbose_name=_("社会工作者"),
        on_delete=models.PROTECT,
        related_name="education",
    )
    taken_on = models.DateField(_("日期"))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    provider = models.CharField(_("培训机构"), max_length=100)
    topic = models.CharField(_("内容"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("继续教育记录")
        verbose_name_plural = _("继续教育记录")
        ordering = ["-taken_on", "-id"]
        constraints = [county_code_check()]
        indexes = [models.Index(fields=["social_worker", "taken_on"], name="education_worker_date")]

    def __str__(self) -> str:
        return f"{self.topic}（{self.hours}）"
