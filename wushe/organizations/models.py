from __future__ import annotations

from datetime import date, timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wushe.core.personal import PersonFields

GRADE_VALID_YEARS = 5  # 《社会组织评估管理办法》: an evaluation grade is valid for five years
GRADE_ELIGIBLE_YEARS = 2  # … and may be awarded only after two full years of registration
GRADE_WARNING_DAYS = 90  # expiry is announced this many days ahead


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February → 28 February in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class LegalStatus(models.TextChoices):
    REGISTERED = "registered", _("登记")
    FILED = "filed", _("备案")
    INFORMAL = "informal", _("未登记群众团队")
    DEREGISTERED = "deregistered", _("已注销")


class OrgKind(models.TextChoices):
    ASSOCIATION = "association", _("社会团体")
    SERVICE_AGENCY = "service_agency", _("社会服务机构（民办非企业单位）")
    FOUNDATION = "foundation", _("基金会")
    COMMUNITY = "community", _("社区社会组织")


class Grade(models.TextChoices):
    A1 = "1A", _("1A")
    A2 = "2A", _("2A")
    A3 = "3A", _("3A")
    A4 = "4A", _("4A")
    A5 = "5A", _("5A")


class GradeState(models.TextChoices):
    NONE = "none", _("未评估")
    VALID = "valid", _("有效")
    EXPIRING = "expiring", _("即将到期")
    EXPIRED = "expired", _("已过期")


class Organization(models.Model):
    """A social organisation (社会组织) in the register.

    Invariants:
    - `region` is the region of the authority that registered or filed it (any level: the
      county civil affairs bureau for registered ones, the township for filed ones, the
      community for informal groups); `coverage` lists the communities/townships it serves.
      Workers see it when either lies in their scope.
    - `legal_status` changes only through the transition services in services.py
      (filed → registered, informal → filed, any living status → deregistered).
    - A registered organisation has a unified social credit code (GB 32100, upper-case,
      unique when present); a filed one has none (a township filing number instead).
      `credit_code_warnings` holds codes of checks that failed but do not block (e.g. the
      embedded organisation code's own check digit).
    - `grade` is empty or comes with `grade_awarded_on` and `grade_expires_on` (last valid day).

    Reference data (docs/architecture.md §6.2): no county_code; copied to every node."""

    name = models.CharField(_("名称"), max_length=200)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("登记区划"), on_delete=models.PROTECT, related_name="+"
    )
    legal_status = models.CharField(
        _("登记状态"), max_length=16, choices=LegalStatus.choices, default=LegalStatus.FILED
    )
    org_kind = models.CharField(
        _("组织类型"), max_length=20, choices=OrgKind.choices, default=OrgKind.COMMUNITY
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, default="")
    credit_code_warnings = models.JSONField(
        _("信用代码提示"), default=list, blank=True, editable=False
    )
    filing_number = models.CharField(_("备案编号"), max_length=50, blank=True, default="")
    category = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("组织类别"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": "org_category"},
    )
    service_categories = models.ManyToManyField(
        "taxonomy.Term",
        verbose_name=_("服务领域"),
        blank=True,
        related_name="service_organizations",
        limit_choices_to={"vocabulary": "service_category"},
    )
    coverage = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("服务区域"),
        blank=True,
        related_name="covering_organizations",
    )
    grade = models.CharField(_("评估等级"), max_length=2, choices=Grade.choices, blank=True)
    grade_awarded_on = models.DateField(_("等级评定日期"), null=True, blank=True)
    grade_expires_on = models.DateField(_("等级有效期至"), null=True, blank=True)
    is_hub = models.BooleanField(_("枢纽型社会组织"), default=False)
    is_charity = models.BooleanField(_("认定慈善组织"), default=False)
    is_social_work_agency = models.BooleanField(_("社会工作服务机构"), default=False)
    has_party_org = models.BooleanField(_("已建立党组织"), default=False)
    legal_representative = models.CharField(
        _("法定代表人（负责人）"), max_length=50, blank=True, default=""
    )
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    registered_on = models.DateField(_("登记日期"), null=True, blank=True)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    deregistered_on = models.DateField(_("注销日期"), null=True, blank=True)
    staff_full_time = models.PositiveIntegerField(_("专职人员"), default=0)
    staff_part_time = models.PositiveIntegerField(_("兼职人员"), default=0)
    staff_social_workers = models.PositiveIntegerField(_("持证社工"), default=0)
    description = models.TextField(_("简介"), blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("社会组织")
        verbose_name_plural = _("社会组织")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="organization_unique_name"),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="organization_unique_credit_code",
            ),
            models.CheckConstraint(
                condition=~Q(legal_status="registered") | ~Q(credit_code=""),
                name="organization_registered_has_credit_code",
            ),
            models.CheckConstraint(
                condition=~Q(legal_status="filed") | Q(credit_code=""),
                name="organization_filed_has_no_credit_code",
            ),
            models.CheckConstraint(
                condition=Q(grade="")
                | (Q(grade_awarded_on__isnull=False) & Q(grade_expires_on__isnull=False)),
                name="organization_grade_has_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "legal_status"], name="organization_region_status"),
            models.Index(fields=["grade_expires_on"], name="organization_grade_expiry"),
        ]

    def __str__(self) -> str:
        return self.name

    def grade_state(self, today: date) -> str:
        if not self.grade or self.grade_expires_on is None:
            return GradeState.NONE
        if self.grade_expires_on < today:
            return GradeState.EXPIRED
        if self.grade_expires_on <= today + timedelta(days=GRADE_WARNING_DAYS):
            return GradeState.EXPIRING
        return GradeState.VALID

    def grade_days_left(self, today: date) -> int | None:
        if not self.grade or self.grade_expires_on is None:
            return None
        return (self.grade_expires_on - today).days

    def grade_eligible_from(self) -> date | None:
        """First day a grade may be awarded: two full years after registration."""
        if self.registered_on is None:
            return None
        return add_years(self.registered_on, GRADE_ELIGIBLE_YEARS)


class OrganizationContact(PersonFields):
    """A contact person of an organisation (联系人). Name and phone are personal data: the
    phone is sealed (wushe.core.personal) and shown masked; revealing it is audited.

    Invariant: at most one `is_primary` contact per organisation; the register's "联系人 /
    联系电话" are that contact's."""

    PERSONAL_PURPOSE = "organizations.contact"

    organization = models.ForeignKey(
        Organization, verbose_name=_("社会组织"), on_delete=models.CASCADE, related_name="contacts"
    )
    title = models.CharField(_("职务"), max_length=50, blank=True, default="")
    is_primary = models.BooleanField(_("主要联系人"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("社会组织联系人")
        verbose_name_plural = _("社会组织联系人")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(is_primary=True),
                name="organization_one_primary_contact",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.name}"

    @property
    def region_id(self) -> str:
        """The organisation's region: where a reveal of this contact is audited."""
        return str(self.organization.region_id)
