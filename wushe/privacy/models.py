from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wushe.core.models import RegionBound, county_code_check


class ConsentPurpose(models.TextChoices):
    REGISTRY = "registry", _("建档登记")
    SERVICE = "service", _("服务对接")
    VOLUNTEER_RECORD = "volunteer_record", _("志愿服务记录")
    VISIT = "visit", _("探访关爱")
    PUBLICITY = "publicity", _("宣传展示")
    DATA_SHARING = "data_sharing", _("跨部门数据共享")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("书面签字")
    ONLINE = "online", _("线上勾选")
    ORAL = "oral", _("口头（有记录）")
    STATUTORY = "statutory", _("法定职责（无需同意）")


class Consent(RegionBound):
    """A person's consent to processing their personal information for one purpose (PIPL
    arts. 13, 14, 29, 31; domain.md §10).

    Invariants: `subject_type` + `subject_id` name the register row (e.g.
    "residents.resident", 42); for a child under 14 on `given_on` the guardian's name and
    relation are present (art. 31); a consent is withdrawn by setting `withdrawn_at` (services
    only), never deleted, so the record of what was agreed survives."""

    subject_type = models.CharField(_("对象类型"), max_length=60)
    subject_id = models.BigIntegerField(_("对象编号"))
    subject_label = models.CharField(_("对象"), max_length=100)
    purpose = models.CharField(_("用途"), max_length=30, choices=ConsentPurpose.choices)
    scope = models.CharField(_("范围"), max_length=200, blank=True)
    method = models.CharField(
        _("方式"), max_length=20, choices=ConsentMethod.choices, default=ConsentMethod.WRITTEN
    )
    given_on = models.DateField(_("同意日期"))
    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    guardian_relation = models.CharField(_("监护人关系"), max_length=20, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息处理同意")
        verbose_name_plural = _("个人信息处理同意")
        ordering = ["-given_on", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="consent_subject")]
        constraints = [county_code_check()]

    def __str__(self) -> str:
        return f"{self.subject_label} · {self.get_purpose_display()}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None
