"""Supply-demand matching (供需对接): per-region settings, the supply index the suggestions
read, and batch proposals (方案) that a worker reviews and confirms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.models import RegionBound, county_code_check


class MatchingSettings(models.Model):
    """Weights and limits for one region (any level). For a place, the settings of the most
    specific region containing it apply (community over township over county …); with none,
    the engine's defaults. Configuration (reference data): no county_code.

    Invariant: at least one weight is positive (CHECK)."""

    region = models.OneToOneField(
        "regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    weight_distance = models.PositiveSmallIntegerField(_("距离权重"), default=3)
    weight_skill = models.PositiveSmallIntegerField(_("技能匹配权重"), default=2)
    weight_rating = models.PositiveSmallIntegerField(_("评分权重"), default=1)
    weight_reliability = models.PositiveSmallIntegerField(_("履约率权重"), default=1)
    weight_workload = models.PositiveSmallIntegerField(_("工作量权重"), default=1)
    weight_familiarity = models.PositiveSmallIntegerField(_("熟悉程度权重"), default=1)
    radius_m = models.PositiveIntegerField(_("服务半径（米）"), default=3000)
    max_per_supplier = models.PositiveSmallIntegerField(_("每人每批最多派单数"), default=2)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("匹配规则")
        verbose_name_plural = _("匹配规则")
        ordering = ["region_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_distance__gt=0)
                | Q(weight_skill__gt=0)
                | Q(weight_rating__gt=0)
                | Q(weight_reliability__gt=0)
                | Q(weight_workload__gt=0)
                | Q(weight_familiarity__gt=0),
                name="matchingsettings_some_weight",
                violation_error_message=_("至少一项权重须大于零。"),
            ),
            models.CheckConstraint(
                condition=Q(radius_m__gte=100),
                name="matchingsettings_radius",
                violation_error_message=_("服务半径至少 100 米。"),
            ),
        ]

    def __str__(self) -> str:
        return str(self.region_id)


class SupplyKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿者")


class SupplyProfile(RegionBound):
    """What the suggestion engine knows about one volunteer: where (WGS-84), what (skill
    codes), when (21-slot mask), how much room (capacity, open assignments) and how well
    (average rating of closed requests, share of assignments completed).

    A derived index, never typed in: `supply_rebuild` rewrites it from the registers for a
    county (command `wushe matching refresh`, the demo, and after a proposal is confirmed);
    suggestions re-check every shown volunteer against the register (status, open work), so a
    stale row can only hide someone, never suggest someone who is not eligible.
    Only active volunteers with coordinates are indexed."""

    kind = models.CharField(max_length=20, choices=SupplyKind.choices, default="volunteer")
    ref_id = models.BigIntegerField()
    name = models.CharField(max_length=100)
    latitude = models.FloatField()
    longitude = models.FloatField()
    skills = models.CharField(max_length=400, blank=True, default="")  # comma-separated codes
    # One bit per skill (selectors.skill_bit, from the code): a prefilter in SQL (false
    # positives only; the skill codes above decide).
    skill_bits = models.BigIntegerField(default=0)
    availability = models.PositiveIntegerField(default=0)
    capacity = models.PositiveSmallIntegerField(default=2)
    load = models.PositiveSmallIntegerField(default=0)
    rating = models.FloatField(null=True)
    reliability = models.FloatField(null=True)
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("供给画像")
        verbose_name_plural = _("供给画像")
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "kind", "ref_id"], name="supplyprofile_unique"
            ),
        ]
        indexes = [
            # Suggestions: one county, a latitude band, then longitude inside the index.
            models.Index(fields=["county_code", "latitude", "longitude"], name="supplyprofile_bbox")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref_id}"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("待审核")
    CONFIRMED = "confirmed", _("已确认派单")
    DISCARDED = "discarded", _("已放弃")


PROPOSAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ProposalStatus.DRAFT: frozenset({ProposalStatus.CONFIRMED, ProposalStatus.DISCARDED}),
    ProposalStatus.CONFIRMED: frozenset(),
    ProposalStatus.DISCARDED: frozenset(),
}


class Proposal(RegionBound):
    """A proposed assignment of the open requests of a township or county (`region`) to
    volunteers, computed by the batch solver. Nobody is dispatched until a worker confirms;
    confirming dispatches the lines not rejected through wushe.requests.services.

    Invariants: `status` changes only through services (PROPOSAL_TRANSITIONS); `summary`
    holds the solver's objective and timings; lines are never edited after creation except
    their decision and dispatch outcome."""

    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ProposalStatus.choices,
        default=ProposalStatus.DRAFT,
        editable=False,
    )
    summary = models.JSONField(_("概要"), default=dict, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True)

    class Meta:
        verbose_name = _("派单方案")
        verbose_name_plural = _("派单方案")
        ordering = ["-created_at", "-id"]
        constraints = [county_code_check()]

    def __str__(self) -> str:
        return f"{self.region_id} #{self.pk}"


class LineDecision(models.TextChoices):
    PENDING = "pending", _("待定")
    ACCEPTED = "accepted", _("采纳")
    REJECTED = "rejected", _("不采纳")


class ProposalLine(RegionBound):
    """One proposed (request, volunteer) pair. `region`/`county_code` are the request's.
    `dispatched` is set once the dispatch went through; `outcome` holds the request service's
    message when it could not be dispatched (closed meanwhile, volunteer suspended …)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="lines")
    request = models.ForeignKey(
        "requests.Request", verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="+"
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("志愿者"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    priority = models.PositiveSmallIntegerField(_("优先级"), default=1)
    distance_m = models.PositiveIntegerField(_("距离（米）"), null=True)
    score = models.FloatField(_("匹配度"))
    components = models.JSONField(_("得分构成"), default=dict)
    reason = models.CharField(_("推荐理由"), max_length=300)
    decision = models.CharField(
        _("审核"), max_length=10, choices=LineDecision.choices, default=LineDecision.PENDING
    )
    dispatched = models.BooleanField(_("已派单"), default=False)
    outcome = models.CharField(_("派单结果"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("方案明细")
        verbose_name_plural = _("方案明细")
        ordering = ["proposal_id", "-priority", "id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(fields=["proposal", "request"], name="proposalline_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.request_id} → {self.volunteer_id}"
