"""The project database (项目库) and its funding: calls for proposals (公益创投 rounds and
政府购买服务 purchase lists), proposals that become projects once approved, the review panel and
its scores, milestones, activities with beneficiary counts, expenditures, residents' ratings,
the final evaluation and closing.

Money is integer fen (分) everywhere (domain.md §8). Writes go through `services`, reads
through `selectors`; who may do what is `rules.py`. Statuses change only through the services,
each through the transition tables below."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.idempotency import IdempotencyFields, idempotency_constraint
from wushe.core.models import RegionBound, county_code_check
from wushe.taxonomy.models import Vocabulary

SERVICE_CATEGORY = {"vocabulary": Vocabulary.SERVICE_CATEGORY}
# The default share of social-assistance funds that may pay for purchased services (2%,
# the Hebei seed, domain.md §8), in basis points; a region-year budget row keeps its own.
DEFAULT_ASSISTANCE_SHARE_BP = 200


class CallKind(models.TextChoices):
    VENTURE = "venture", _("公益创投")
    PURCHASE = "purchase", _("政府购买服务")


class FundingSource(models.TextChoices):
    FISCAL = "fiscal", _("财政资金")
    SOCIAL_ASSISTANCE = "social_assistance", _("社会救助资金")
    LOTTERY = "lottery", _("福利彩票公益金")
    CHARITY = "charity", _("慈善资金")


class GradePolicy(models.TextChoices):
    NONE = "none", _("不限等级")
    PREFERRED = "preferred", _("同等条件优先")
    REQUIRED = "required", _("必须达到")


class CallStatus(models.TextChoices):
    OPEN = "open", _("申报中")
    REVIEWING = "reviewing", _("评审中")
    CLOSED = "closed", _("已结束")


class CallAction(models.TextChoices):
    STOP_INTAKE = "stop_intake", _("截止申报")
    CLOSE = "close", _("结束本轮")


CALL_TRANSITIONS: dict[str, dict[str, str]] = {
    CallAction.STOP_INTAKE: {CallStatus.OPEN: CallStatus.REVIEWING},
    CallAction.CLOSE: {CallStatus.OPEN: CallStatus.CLOSED, CallStatus.REVIEWING: CallStatus.CLOSED},
}


class Call(RegionBound):
    """A call for proposals: a venture-philanthropy round or a government purchase list.

    Invariants: `budget_fen > 0`; the approved budgets of its projects never sum above it
    (checked under the call's row lock at approval). `grade_policy` with `grade_min` says
    whether organisations below the grade may apply (required) or rank behind at equal scores
    (preferred). `funding_source` social assistance puts every approval under the region-year
    AssistanceBudget share. `min_reviews` reviews are needed before a proposal is decided.
    `status` changes only through the call services (CALL_TRANSITIONS)."""

    kind = models.CharField(_("类型"), max_length=10, choices=CallKind.choices)
    title = models.CharField(_("名称"), max_length=200)
    funder = models.CharField(_("资助方"), max_length=200)
    funding_source = models.CharField(
        _("资金来源"), max_length=20, choices=FundingSource.choices, default=FundingSource.FISCAL
    )
    year = models.PositiveIntegerField(_("年度"))
    budget_fen = models.BigIntegerField(_("总预算（分）"))
    description = models.TextField(_("说明"), blank=True, default="")
    eligibility = models.TextField(_("申报条件"), blank=True, default="")
    grade_policy = models.CharField(
        _("等级要求"), max_length=10, choices=GradePolicy.choices, default=GradePolicy.NONE
    )
    grade_min = models.CharField(_("最低等级"), max_length=2, blank=True, default="")
    min_reviews = models.PositiveSmallIntegerField(_("至少评审人数"), default=2)
    resident_weight_pct = models.PositiveSmallIntegerField(_("居民评价权重（%）"), default=60)
    opens_on = models.DateField(_("开始申报"), null=True, blank=True)
    closes_on = models.DateField(_("截止申报"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=CallStatus.choices, default=CallStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("项目申报")
        verbose_name_plural = _("项目申报")
        ordering = ["-year", "-created_at", "-id"]
        constraints = [
            county_code_check(),
            models.CheckConstraint(condition=Q(budget_fen__gt=0), name="projects_call_budget"),
            models.CheckConstraint(
                condition=Q(resident_weight_pct__lte=100), name="projects_call_weight"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PanelMember(models.Model):
    """A reviewer on a call's panel. A reviewer never scores a proposal of an organisation
    they work for (services.review_submit refuses)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="panel")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    county_code = models.CharField(max_length=6, editable=False)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("评审专家")
        verbose_name_plural = _("评审专家")
        constraints = [
            models.UniqueConstraint(fields=["county_code", "call", "user"], name="projects_panel")
        ]

    def __str__(self) -> str:
        return f"{self.call_id} · {self.user_id}"


class AssistanceBudget(RegionBound):
    """The social-assistance funds (社会救助资金) of a county for a year and the share of them
    that may buy services (default 2%, domain.md §8, configurable per row).

    Invariant: the approved budgets of projects funded from social assistance in the county and
    year never sum above `total_fen * share_bp / 10000` (checked under this row's lock)."""

    year = models.PositiveIntegerField(_("年度"))
    total_fen = models.BigIntegerField(_("社会救助资金总额（分）"))
    share_bp = models.PositiveIntegerField(
        _("可用于购买服务的比例（万分之）"), default=DEFAULT_ASSISTANCE_SHARE_BP
    )

    class Meta:
        verbose_name = _("社会救助资金")
        verbose_name_plural = _("社会救助资金")
        constraints = [
            county_code_check(),
            models.UniqueConstraint(fields=["county_code", "year"], name="projects_assistance"),
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="projects_assistance_total"),
            models.CheckConstraint(condition=Q(share_bp__lte=10000), name="projects_assistance_bp"),
        ]

    def __str__(self) -> str:
        return f"{self.county_code} {self.year}"

    @property
    def cap_fen(self) -> int:
        return self.total_fen * self.share_bp // 10000


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待评审")
    APPROVED = "approved", _("实施中")
    REJECTED = "rejected", _("未立项")
    WITHDRAWN = "withdrawn", _("已撤回")
    EVALUATED = "evaluated", _("已评估")
    CLOSED = "closed", _("已结项")


class Action(models.TextChoices):
    APPROVE = "approve", _("立项")
    REJECT = "reject", _("不予立项")
    WITHDRAW = "withdraw", _("撤回申报")
    EVALUATE = "evaluate", _("结项评估")
    CLOSE = "close", _("结项")


# THE transition table of a project: action → {from status: to status}.
TRANSITIONS: dict[str, dict[str, str]] = {
    Action.APPROVE: {Status.SUBMITTED: Status.APPROVED},
    Action.REJECT: {Status.SUBMITTED: Status.REJECTED},
    Action.WITHDRAW: {Status.SUBMITTED: Status.WITHDRAWN},
    Action.EVALUATE: {Status.APPROVED: Status.EVALUATED},
    Action.CLOSE: {Status.EVALUATED: Status.CLOSED},
}
FUNDED_STATUSES = frozenset({Status.APPROVED, Status.EVALUATED, Status.CLOSED})


def transition_target(action: str, status: str) -> str | None:
    return TRANSITIONS[action].get(status)


class Project(RegionBound, IdempotencyFields):
    """A proposal of a social organisation to a call; once approved, the project (项目).

    Invariants:
    - `region` is where the service is delivered (a township or community in the call's
      county); `organization` applied and delivers it.
    - `approved_fen` is set at approval only, `0 < approved_fen <= requested_fen`; the sum of
      `Expenditure.amount_fen` of the project never exceeds it (checked under the project's
      row lock, services.expenditure_record). `spent_fen` and `beneficiaries` are caches of
      sums of expenditures and activities, updated in the same transaction as the row they
      sum (`wushe projects` can recompute them).
    - The evaluation columns are written by the evaluate transition only.
    - `status` changes only through the services, each through TRANSITIONS."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="projects")
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("申报组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("项目名称"), max_length=200)
    summary = models.TextField(_("项目内容"))
    category = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("服务类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=SERVICE_CATEGORY,
    )
    needs = models.ManyToManyField(
        "needs.Need", verbose_name=_("回应的需求"), blank=True, related_name="projects"
    )
    target_beneficiaries = models.PositiveIntegerField(_("计划受益人数"), default=0)
    requested_fen = models.BigIntegerField(_("申请金额（分）"))
    approved_fen = models.BigIntegerField(_("立项金额（分）"), null=True, blank=True)
    spent_fen = models.BigIntegerField(_("已支出（分）"), default=0, editable=False)
    beneficiaries = models.PositiveIntegerField(_("受益人次"), default=0, editable=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    status_note = models.CharField(_("说明"), max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField(_("申报时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("评审决定时间"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("评估时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结项时间"), null=True, blank=True)
    reviewer_score = models.DecimalField(
        _("专家评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    resident_score = models.DecimalField(
        _("居民评价（5分制）"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    final_score = models.DecimalField(
        _("综合评分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["region", "status"], name="projects_project_region")]
        constraints = [
            county_code_check(),
            idempotency_constraint("created_by"),
            models.CheckConstraint(
                condition=Q(requested_fen__gt=0), name="projects_project_requested"
            ),
            models.CheckConstraint(
                condition=Q(approved_fen__isnull=True)
                | Q(approved_fen__gt=0, approved_fen__lte=models.F("requested_fen")),
                name="projects_project_approved",
            ),
            models.CheckConstraint(
                condition=Q(spent_fen=0)
                | Q(approved_fen__isnull=False, spent_fen__lte=models.F("approved_fen")),
                name="projects_project_not_overspent",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def remaining_fen(self) -> int:
        return (self.approved_fen or 0) - self.spent_fen


class ReviewStage(models.TextChoices):
    PROPOSAL = "proposal", _("立项评审")
    FINAL = "final", _("结项评审")


class Review(RegionBound):
    """One panel member's score (0–100) and comment on a project at a stage. One per reviewer
    and stage; a new score from the same reviewer replaces the old one (while the stage is
    open). Never by someone working for the applying organisation."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("阶段"), max_length=10, choices=ReviewStage.choices)
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.TextField(_("评审意见"), blank=True, default="")
    reviewed_at = models.DateTimeField(_("评审时间"), default=timezone.now)

    class Meta:
        verbose_name = _("评审")
        verbose_name_plural = _("评审")
        ordering = ["reviewed_at", "id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "project", "reviewer", "stage"], name="projects_review_one"
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="projects_review_score"),
        ]


class Milestone(RegionBound):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("计划完成"))
    done_on = models.DateField(_("实际完成"), null=True, blank=True)

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["due_on", "id"]
        constraints = [county_code_check()]


class Activity(RegionBound):
    """A delivered activity with its beneficiary count (人次; counts only, no names)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activities")
    held_on = models.DateField(_("日期"))
    title = models.CharField(_("活动"), max_length=200)
    beneficiaries = models.PositiveIntegerField(_("受益人次"))
    vulnerable = models.PositiveIntegerField(_("其中困难群体"), default=0)
    note = models.TextField(_("说明"), blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("项目活动")
        verbose_name_plural = _("项目活动")
        ordering = ["-held_on", "-id"]
        constraints = [
            county_code_check(),
            models.CheckConstraint(
                condition=Q(vulnerable__lte=models.F("beneficiaries")),
                name="projects_activity_vulnerable",
            ),
        ]


class Expenditure(RegionBound, IdempotencyFields):
    """One expenditure of a project (integer fen) with an optional private attachment (a
    receipt or invoice photo, stored like request photos under private/projects/).

    Invariant: the project's expenditures never sum above its approved budget; an expenditure
    is recorded only while the project is approved (实施中)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="expenditures")
    spent_on = models.DateField(_("支出日期"))
    item = models.CharField(_("支出事项"), max_length=200)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    attachment = models.CharField(max_length=200, blank=True, default="", editable=False)
    attachment_thumbnail = models.CharField(max_length=200, blank=True, default="", editable=False)
    attachment_type = models.CharField(max_length=40, blank=True, default="", editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("项目支出")
        verbose_name_plural = _("项目支出")
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["region", "spent_on"], name="projects_exp_region_day")]
        constraints = [
            county_code_check(),
            idempotency_constraint("recorded_by"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="projects_exp_positive"),
        ]


class ResidentRating(RegionBound):
    """A resident's rating (1–5) of a project serving their community; one per resident."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评价"), max_length=500, blank=True, default="")
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("居民评价")
        verbose_name_plural = _("居民评价")
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "project", "user"], name="projects_rating_one"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="projects_rating_range"
            ),
        ]
