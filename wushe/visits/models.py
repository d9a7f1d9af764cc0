"""Visiting care (探访关爱, domain.md §6): who is enrolled, how often they must be visited, by
whom, and every visit made. Writes go through `wushe.visits.services`; reads through
`selectors`.

Time: a visit keeps its instant (`visited_at`, UTC in the database) *and* the calendar day in
China it happened on (`visited_on`, Asia/Shanghai). Every period (week, month, quarter) is
counted on `visited_on`, so a visit at 23:30 on 31 October in Shanghai (15:30 UTC) counts for
October on every database, whatever its session time zone."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from wushe.core.idempotency import IdempotencyFields, idempotency_constraint
from wushe.core.models import RegionBound, county_code_check
from wushe.residents.models import Tag


class RiskLevel(models.TextChoices):
    HIGH = "high", _("高风险")
    MEDIUM = "medium", _("重点关注")
    LOW = "low", _("一般关注")


class Frequency(models.TextChoices):
    """How often an enrolled person must be visited. Periods are calendar periods in
    Asia/Shanghai: ISO weeks (Monday–Sunday), months, quarters."""

    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")


# Order of "more often": a smaller rank is more frequent.
FREQUENCY_RANK = {Frequency.WEEKLY: 0, Frequency.MONTHLY: 1, Frequency.QUARTERLY: 2}
# Visits a month needs under each frequency for the monthly visit rate ("visited as often as
# required"): weekly = at least 4 in the month; quarterly = 1 in the quarter (checked only in
# the quarter's last month, see selectors.monthly_visit_rate).
REQUIRED_PER_MONTH = {Frequency.WEEKLY: 4, Frequency.MONTHLY: 1, Frequency.QUARTERLY: 1}


class Group(models.TextChoices):
    """The group an enrolment is reported under (the 100% targets of Zhejiang 专栏3 name
    special-difficulty elderly and orphans / children in difficulty separately)."""

    ELDERLY = "elderly", _("特殊困难老年人")
    CHILDREN = "children", _("孤儿和困境儿童")
    DISABLED = "disabled", _("重度残疾人")
    OTHER = "other", _("其他困难群众")


TAG_GROUP: dict[str, str] = {
    Tag.ALONE_ELDER: Group.ELDERLY,
    Tag.EMPTY_NEST_ELDER: Group.ELDERLY,
    Tag.LEFT_BEHIND_ELDER: Group.ELDERLY,
    Tag.INCAPACITATED_ELDER: Group.ELDERLY,
    Tag.FAMILY_PLANNING_SPECIAL: Group.ELDERLY,
    Tag.ORPHAN: Group.CHILDREN,
    Tag.CHILD_IN_DIFFICULTY: Group.CHILDREN,
    Tag.LEFT_BEHIND_CHILD: Group.CHILDREN,
    Tag.DISABLED: Group.DISABLED,
}


class VisitorKind(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    VOLUNTEER = "volunteer", _("志愿者")


class Method(models.TextChoices):
    HOME = "home", _("入户探访")
    PHONE = "phone", _("电话探访")
    VIDEO = "video", _("视频探访")


class Situation(models.TextChoices):
    NORMAL = "normal", _("情况正常")
    ATTENTION = "attention", _("需要关注")
    URGENT = "urgent", _("情况紧急")


class EnrolmentSource(models.TextChoices):
    RULE = "rule", _("按规则自动纳入")
    MANUAL = "manual", _("人工纳入")


class VisitRule(RegionBound):
    """Who is enrolled: residents of the region (and below) carrying `tag` are enrolled at
    `risk_level`. The most specific region that has a rule for a tag decides for that tag
    (a township rule overrides the county's); `active=False` there switches the tag off.
    Without any row for a tag, `DEFAULT_RULES` applies. `severe_only` (残疾人 only): grades 1–2."""

    tag = models.CharField(_("困难群体标签"), max_length=30, choices=Tag.choices)
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices)
    severe_only = models.BooleanField(_("仅一、二级重度残疾"), default=False)
    active = models.BooleanField(_("纳入探访"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("探访纳入规则")
        verbose_name_plural = _("探访纳入规则")
        ordering = ["region_id", "tag"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(fields=["region", "tag"], name="visitrule_region_tag"),
        ]

    def __str__(self) -> str:
        return f"{self.get_tag_display()} → {self.get_risk_level_display()}"


class FrequencyPolicy(RegionBound):
    """How often each risk level is visited in the region and below; the most specific region
    with a row for a risk level decides. Without any row: `DEFAULT_FREQUENCY`."""

    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices)
    frequency = models.CharField(_("探访频次"), max_length=10, choices=Frequency.choices)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("探访频次")
        verbose_name_plural = _("探访频次")
        ordering = ["region_id", "risk_level"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["region", "risk_level"], name="frequencypolicy_region_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_risk_level_display()}: {self.get_frequency_display()}"


# tag -> (risk level, severe only): the groups the 2022 guidance and Zhejiang 专栏3 name.
DEFAULT_RULES: dict[str, tuple[str, bool]] = {
    Tag.INCAPACITATED_ELDER: (RiskLevel.HIGH, False),
    Tag.ALONE_ELDER: (RiskLevel.MEDIUM, False),
    Tag.EMPTY_NEST_ELDER: (RiskLevel.MEDIUM, False),
    Tag.LEFT_BEHIND_ELDER: (RiskLevel.MEDIUM, False),
    Tag.FAMILY_PLANNING_SPECIAL: (RiskLevel.MEDIUM, False),
    Tag.ORPHAN: (RiskLevel.MEDIUM, False),
    Tag.CHILD_IN_DIFFICULTY: (RiskLevel.MEDIUM, False),
    Tag.LEFT_BEHIND_CHILD: (RiskLevel.MEDIUM, False),
    Tag.DISABLED: (RiskLevel.MEDIUM, True),
}

DEFAULT_FREQUENCY: dict[str, str] = {
    RiskLevel.HIGH: Frequency.WEEKLY,
    RiskLevel.MEDIUM: Frequency.MONTHLY,
    RiskLevel.LOW: Frequency.QUARTERLY,
}


class WeatherOverride(RegionBound):
    """A time-bounded region-wide tightening (extreme weather, holidays): from `starts_on` to
    `ends_on` (Shanghai days, inclusive) everyone enrolled in the region and below is due at
    least `frequency` (never less often than their own). Due lists and overdue alerts follow
    it; the monthly visit rate counts against the regular frequency (see selectors)."""

    frequency = models.CharField(
        _("期间探访频次"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("原因"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("临时加密探访")
        verbose_name_plural = _("临时加密探访")
        ordering = ["-starts_on", "id"]
        constraints = [
            county_code_check(),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="weatheroverride_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.reason

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class Enrolment(RegionBound):
    """One resident on the visit list over a period.

    Invariants: `region`/`county_code` are the resident's community; at most one current
    enrolment per resident (`ended_on` null; partial unique constraint); `frequency` is the
    regular frequency of `risk_level` in the region when it was last set (services keep it in
    step with FrequencyPolicy); `last_visited_on` is the Shanghai day of the latest visit
    (services keep it; `visits_check` rebuilds it); `alerted_period` is the start of the last
    missed period an overdue alert went out for, so each missed period alerts once. An
    enrolment is never deleted; ending it sets `ended_on`."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # enrolment_region_due serves region ranges
    )
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("探访对象"),
        on_delete=models.PROTECT,
        related_name="visit_enrolments",
    )
    group = models.CharField(_("类别"), max_length=10, choices=Group.choices)
    tags = models.JSONField(_("纳入依据"), default=list, blank=True)
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices)
    frequency = models.CharField(_("探访频次"), max_length=10, choices=Frequency.choices)
    source = models.CharField(
        _("纳入方式"), max_length=10, choices=EnrolmentSource.choices, editable=False
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("探访责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit_enrolments",
    )
    visitor_kind = models.CharField(
        _("责任人类型"), max_length=20, choices=VisitorKind.choices, blank=True
    )
    enrolled_on = models.DateField(_("纳入日期"))
    ended_on = models.DateField(_("退出日期"), null=True, blank=True, editable=False)
    end_reason = models.CharField(_("退出原因"), max_length=200, blank=True, editable=False)
    last_visited_on = models.DateField(_("最近探访"), null=True, blank=True, editable=False)
    alerted_period = models.DateField(null=True, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("探访对象")
        verbose_name_plural = _("探访对象")
        ordering = ["region_id", "id"]
        indexes = [
            models.Index(fields=["region", "ended_on"], name="enrolment_region_due"),
            models.Index(
                fields=["visitor"], condition=Q(ended_on__isnull=True), name="enrolment_visitor"
            ),
        ]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(ended_on__isnull=True),
                name="enrolment_one_current",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("enrolled_on")),
                name="enrolment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} ({self.get_frequency_display()})"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class Visit(RegionBound, IdempotencyFields):
    """One visit made (append-only).

    Invariants: `region` is the enrolment's community; `visited_on` is the Asia/Shanghai day
    of `visited_at` (set by the service, never typed); `visited_at` is not in the future.
    A follow-up raised from the visit is linked by `follow_up_request` (a request of
    民呼我为) or `follow_up_need_id` (the needs database)."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # visit_region_day serves region ranges by day
    )
    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("探访对象"), on_delete=models.PROTECT, related_name="visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("探访人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visitor_label = models.CharField(_("探访人"), max_length=150)
    visited_at = models.DateTimeField(_("探访时间"))
    visited_on = models.DateField(_("探访日期"), editable=False)
    method = models.CharField(_("探访方式"), max_length=10, choices=Method.choices)
    situation = models.CharField(
        _("探访情况"), max_length=10, choices=Situation.choices, default=Situation.NORMAL
    )
    findings = models.TextField(_("探访记录"), blank=True)
    follow_up_request = models.ForeignKey(
        "requests.Request",
        verbose_name=_("转办诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    follow_up_need_id = models.BigIntegerField(_("转入需求"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("探访记录")
        verbose_name_plural = _("探访记录")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["enrolment", "visited_on"], name="visit_enrolment_day"),
            models.Index(fields=["region", "visited_on"], name="visit_region_day"),
        ]
        constraints = [county_code_check(), idempotency_constraint("visitor")]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_method_display()}"
