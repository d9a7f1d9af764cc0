"""Residents call, we act (民呼我为): requests, their timeline, handlers, deadlines,
supervision, follow-up calls and photos. Writes go through `wushe.requests.services`, reads
through `selectors`; who may do what is `rules.py`."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.audit.models import AppendOnlyError, AppendOnlyQuerySet
from wushe.core.idempotency import IdempotencyFields, idempotency_constraint
from wushe.core.models import RegionBound, county_code_check
from wushe.taxonomy.models import Vocabulary


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("待派单")
    DISPATCHED = "dispatched", _("已派单")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("待确认")
    CLOSED = "closed", _("已办结")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")
    CANCELLED = "cancelled", _("已撤销")


# Waiting for someone to act: the deadlines and escalation apply to these.
OPEN_STATUSES = frozenset(
    {Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS}
)
# Accepted but not yet resolved: the resolve deadline applies.
WORKING_STATUSES = frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED, Status.CANCELLED})


class Action(models.TextChoices):
    """The transitions of a request (services.request_<action>)."""

    ACCEPT = "accept", _("受理")
    REJECT = "reject", _("不予受理")
    MERGE = "merge", _("合并重复诉求")
    DISPATCH = "dispatch", _("派单")
    CLAIM = "claim", _("党员认领")
    START = "start", _("开始办理")
    RESOLVE = "resolve", _("办结")
    CONFIRM = "confirm", _("居民确认")
    CLOSE_AUTO = "close_auto", _("自动办结")
    REOPEN = "reopen", _("重新办理")
    CANCEL = "cancel", _("撤销")


# THE transition table: action → {from status: to status}. Only the services assign
# `Request.status`, each through `transition_target()`. Dispatch and claim from an already
# dispatched or started request add handlers without changing the status; a reopened request
# goes back to the community's "to dispatch" queue, which decides again who handles it.
TRANSITIONS: dict[str, dict[str, str]] = {
    Action.ACCEPT: {Status.SUBMITTED: Status.ACCEPTED},
    Action.REJECT: {Status.SUBMITTED: Status.REJECTED},
    Action.MERGE: {Status.SUBMITTED: Status.MERGED, Status.ACCEPTED: Status.MERGED},
    Action.DISPATCH: {
        Status.ACCEPTED: Status.DISPATCHED,
        Status.DISPATCHED: Status.DISPATCHED,
        Status.IN_PROGRESS: Status.IN_PROGRESS,
    },
    Action.CLAIM: {
        Status.ACCEPTED: Status.DISPATCHED,
        Status.DISPATCHED: Status.DISPATCHED,
        Status.IN_PROGRESS: Status.IN_PROGRESS,
    },
    Action.START: {Status.DISPATCHED: Status.IN_PROGRESS, Status.IN_PROGRESS: Status.IN_PROGRESS},
    Action.RESOLVE: {
        Status.ACCEPTED: Status.RESOLVED,
        Status.DISPATCHED: Status.RESOLVED,
        Status.IN_PROGRESS: Status.RESOLVED,
    },
    Action.CONFIRM: {Status.RESOLVED: Status.CLOSED},
    Action.CLOSE_AUTO: {Status.RESOLVED: Status.CLOSED},
    Action.REOPEN: {Status.RESOLVED: Status.ACCEPTED, Status.CLOSED: Status.ACCEPTED},
    Action.CANCEL: {Status.SUBMITTED: Status.CANCELLED},
}


def transition_target(action: str, status: str) -> str | None:
    """The status `action` leads to from `status`, or None when it is not allowed."""
    return TRANSITIONS[action].get(status)


class Channel(models.TextChoices):
    SELF_SERVICE = "self_service", _("居民自助")
    PHONE = "phone", _("电话")
    VISIT = "visit", _("上门")
    GRID = "grid", _("网格员")
    HOTLINE = "hotline", _("12345热线等外部渠道")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class Level(models.IntegerChoices):
    """Who holds a request: the community first, then the township (社区吹哨), the county."""

    COMMUNITY = 1, _("社区")
    TOWNSHIP = 2, _("乡镇（街道）")
    COUNTY = 3, _("区县")


class CloseReason(models.TextChoices):
    CONFIRMED = "confirmed", _("居民确认")
    AUTO = "auto", _("到期自动办结")


class Request(RegionBound, IdempotencyFields):
    """A resident's request for help (诉求), from submission to closing.

    Invariants:
    - `region` is a community (level 5); `resident`, when set, lives in the same county (a
      same-county FK, docs/architecture.md §6.3.3); `merged_into` is in the same county.
    - `number` is the human number: county code + date + random part, unique per county
      (never a global sequence, §6.3.4).
    - `status` changes only through the services, each through TRANSITIONS; every change
      appends a RequestEvent (`event_seq` is the last event's sequence number, taken under the
      row lock) and an audit event in the same transaction.
    - `priority` and `priority_reason` are fixed at submission from the urgency and the
      resident's vulnerable-group tags current at that moment (reason: codes such as
      "urgency:urgent", "tag:alone_elder").
    - `accept_hours` … `reopen_days` are a snapshot of the DeadlinePolicy that applied at
      submission; deadlines are computed from them, so changing a policy never moves the
      deadlines of requests already filed.
    - `sweep_at` is the next moment the scheduled job must look at the request (the pending
      deadline while it can still climb, the auto-close time once resolved), null when there
      is nothing to wait for; services keep it true (`services.schedule`).
    - `rating` is 1–5 and only on a closed request."""

    number = models.CharField(_("诉求编号"), max_length=24, editable=False)
    channel = models.CharField(
        _("来源渠道"), max_length=20, choices=Channel.choices, default=Channel.SELF_SERVICE
    )
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True, default="")
    category = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("诉求类别"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.REQUEST_CATEGORY},
    )
    description = models.TextField(_("诉求内容"))
    # No index of its own on region: request_region_status_due serves every lookup by region.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    latitude = models.DecimalField(
        _("纬度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("经度（WGS-84）"), max_digits=10, decimal_places=6, null=True, blank=True
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("诉求涉及的居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # partial index below
    )
    priority = models.PositiveSmallIntegerField(_("优先级"), default=0, editable=False)
    priority_reason = models.JSONField(_("优先级依据"), default=list, editable=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    status_reason = models.CharField(_("原因说明"), max_length=500, blank=True, default="")
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    result = models.TextField(_("办理结果"), blank=True, default="", editable=False)
    escalation_level = models.PositiveSmallIntegerField(
        _("办理层级"), choices=Level.choices, default=Level.COMMUNITY, editable=False
    )
    supervised = models.BooleanField(_("督办中"), default=False, editable=False)
    # Policy snapshot (see the docstring).
    accept_hours = models.PositiveIntegerField(_("受理时限（小时）"), editable=False)
    resolve_hours = models.PositiveIntegerField(_("办结时限（小时）"), editable=False)
    auto_close_days = models.PositiveSmallIntegerField(_("自动办结天数"), editable=False)
    reopen_days = models.PositiveSmallIntegerField(_("可重新办理天数"), editable=False)
    accept_due_at = models.DateTimeField(_("受理期限"), null=True, editable=False)
    resolve_due_at = models.DateTimeField(_("办结期限"), null=True, editable=False)
    auto_close_at = models.DateTimeField(_("自动办结时间"), null=True, editable=False)
    reopen_until = models.DateTimeField(_("可重新办理至"), null=True, editable=False)
    sweep_at = models.DateTimeField(null=True, editable=False)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now, editable=False)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, editable=False)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, editable=False)
    started_at = models.DateTimeField(_("开始办理时间"), null=True, editable=False)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, editable=False)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, editable=False)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, editable=False)
    resolved_on_time = models.BooleanField(_("按时办结"), null=True, editable=False)
    close_reason = models.CharField(
        _("关闭方式"), max_length=10, choices=CloseReason.choices, blank=True, default=""
    )
    reopen_count = models.PositiveSmallIntegerField(_("重新办理次数"), default=0, editable=False)
    rating = models.PositiveSmallIntegerField(_("满意度评分"), null=True, editable=False)
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True, default="")
    rated_at = models.DateTimeField(_("评价时间"), null=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the idempotency constraint (county, submitted_by, key) does not
        # lead with it; see request_submitter below
    )
    event_seq = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # The worker inbox: a code range on region, a status, ordered by deadline.
            models.Index(fields=["region", "status", "resolve_due_at"], name="request_region_due"),
            models.Index(
                fields=["sweep_at"], condition=Q(sweep_at__isnull=False), name="request_sweep"
            ),
            models.Index(
                fields=["submitted_by", "submitted_at"],
                condition=Q(submitted_by__isnull=False),
                name="request_submitter",
            ),
            models.Index(
                fields=["resident"], condition=Q(resident__isnull=False), name="request_resident"
            ),
        ]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(fields=["county_code", "number"], name="request_number"),
            idempotency_constraint("submitted_by"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="request_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: Any = None) -> bool:
        """Past the deadline that applies to its status (acceptance, then resolution)."""
        now = now or timezone.now()
        if self.status == Status.SUBMITTED:
            return self.accept_due_at is not None and self.accept_due_at < now
        if self.status in WORKING_STATUSES:
            return self.resolve_due_at is not None and self.resolve_due_at < now
        return False

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def rating_stars(self) -> str:
        return "★" * (self.rating or 0)

    @property
    def current_due_at(self) -> Any:
        if self.status == Status.SUBMITTED:
            return self.accept_due_at
        if self.status in WORKING_STATUSES:
            return self.resolve_due_at
        return None


def overdue_q(now: Any) -> Q:
    """Requests past the deadline of their status (the SQL of Request.is_overdue)."""
    return Q(status=Status.SUBMITTED, accept_due_at__lt=now) | Q(
        status__in=WORKING_STATUSES, resolve_due_at__lt=now
    )


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交诉求")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("合并为重复诉求")
    DISPATCHED = "dispatched", _("派单")
    CLAIMED = "claimed", _("党员认领")
    STARTED = "started", _("开始办理")
    ASSIGNMENT_DONE = "assignment_done", _("承办方完成")
    RESOLVED = "resolved", _("办结")
    CONFIRMED = "confirmed", _("居民确认办结")
    CLOSED_AUTO = "closed_auto", _("到期自动办结")
    RATED = "rated", _("居民评价")
    REOPENED = "reopened", _("重新办理")
    CANCELLED = "cancelled", _("居民撤销")
    ESCALATED = "escalated", _("升级")
    SUPERVISED = "supervised", _("督办")
    FOLLOWED_UP = "followed_up", _("回访")
    PHOTO_ADDED = "photo_added", _("上传照片")


class RequestEvent(RegionBound):
    """One step on a request's timeline.

    Invariants: rows are only ever inserted (the ORM refuses update and delete; on PostgreSQL
    a trigger refuses UPDATE and DELETE, migration 0002). `seq` counts 1, 2, 3 … per request,
    assigned under the request's row lock, so the timeline orders by (`at`, `seq`) without
    relying on ids (§6.3.4). `region`/`county_code` are the request's."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    request = models.ForeignKey(
        Request, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="events"
    )
    seq = models.PositiveIntegerField(_("序号"))
    at = models.DateTimeField(_("时间"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True, default="")
    kind = models.CharField(_("事项"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True, default="")
    to_status = models.CharField(_("新状态"), max_length=12, blank=True, default="")
    note = models.TextField(_("说明"), blank=True, default="")
    data = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("诉求办理记录")
        verbose_name_plural = _("诉求办理记录")
        ordering = ["at", "seq"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(fields=["request", "seq"], name="requestevent_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Guarding immutability, not business logic: an existing event is never saved again.
        if not self._state.adding:
            raise AppendOnlyError("append-only: request events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("append-only: request events cannot be deleted")


class HandlerType(models.TextChoices):
    ORGANIZATION = "organization", _("社会组织")
    VOLUNTEER = "volunteer", _("志愿者")
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    PARTY_MEMBER = "party_member", _("报到党员")
    DEPARTMENT = "department", _("职能部门")


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待办理")
    STARTED = "started", _("办理中")
    DONE = "done", _("已完成")


class Assignment(RegionBound):
    """A handler a request was sent to (派单) or who claimed it (认领).

    Invariants: exactly the FK of `handler_type` is set (a department has only
    `department_name`); `handler_key` ("organization:12", "department:住建局" …) is unique per
    request, so dispatching the same handler twice is a no-op; handlers are in the request's
    county; `region`/`county_code` are the request's. `status` moves assigned → started →
    done (services), and back to assigned when a reopened request is dispatched again."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    request = models.ForeignKey(
        Request, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="assignments"
    )
    handler_type = models.CharField(_("承办方类型"), max_length=20, choices=HandlerType.choices)
    handler_key = models.CharField(max_length=120, editable=False)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("社会组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        verbose_name=_("志愿者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    social_worker = models.ForeignKey(
        "socialworkers.SocialWorker",
        verbose_name=_("社会工作者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    party_member = models.ForeignKey(
        "partymembers.PartyMemberCheckin",
        verbose_name=_("报到党员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department_name = models.CharField(_("部门名称"), max_length=100, blank=True, default="")
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.ASSIGNED,
        editable=False,
    )
    note = models.CharField(_("派单说明"), max_length=500, blank=True, default="")
    result = models.TextField(_("办理情况"), blank=True, default="", editable=False)
    assigned_at = models.DateTimeField(_("派单时间"), default=timezone.now, editable=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, editable=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, editable=False)

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        ordering = ["assigned_at", "handler_key"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "request", "handler_key"], name="assignment_unique_handler"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        handler_type="organization",
                        organization__isnull=False,
                        volunteer__isnull=True,
                        social_worker__isnull=True,
                        party_member__isnull=True,
                    )
                    | Q(
                        handler_type="volunteer",
                        organization__isnull=True,
                        volunteer__isnull=False,
                        social_worker__isnull=True,
                        party_member__isnull=True,
                    )
                    | Q(
                        handler_type="social_worker",
                        organization__isnull=True,
                        volunteer__isnull=True,
                        social_worker__isnull=False,
                        party_member__isnull=True,
                    )
                    | Q(
                        handler_type="party_member",
                        organization__isnull=True,
                        volunteer__isnull=True,
                        social_worker__isnull=True,
                        party_member__isnull=False,
                    )
                    | (
                        Q(
                            handler_type="department",
                            organization__isnull=True,
                            volunteer__isnull=True,
                            social_worker__isnull=True,
                            party_member__isnull=True,
                        )
                        & ~Q(department_name="")
                    )
                ),
                name="assignment_handler_matches_type",
            ),
        ]

    def __str__(self) -> str:
        return self.handler_name

    @property
    def handler_name(self) -> str:
        if self.handler_type == HandlerType.ORGANIZATION and self.organization is not None:
            return self.organization.name
        if self.handler_type == HandlerType.VOLUNTEER and self.volunteer is not None:
            return self.volunteer.name
        if self.handler_type == HandlerType.SOCIAL_WORKER and self.social_worker is not None:
            return self.social_worker.name
        if self.handler_type == HandlerType.PARTY_MEMBER and self.party_member is not None:
            return self.party_member.name
        return self.department_name

    @property
    def is_open(self) -> bool:
        return self.status != AssignmentStatus.DONE


# Defaults when no DeadlinePolicy applies (hours to accept, hours to resolve) per urgency.
DEFAULT_HOURS: dict[str, tuple[int, int]] = {
    Urgency.NORMAL: (24, 72),
    Urgency.URGENT: (4, 24),
    Urgency.CRITICAL: (1, 8),
}
DEFAULT_AUTO_CLOSE_DAYS = 7
DEFAULT_REOPEN_DAYS = 7


class DeadlinePolicy(models.Model):
    """Time limits for requests of one urgency in a region (any level), optionally only for one
    category. For a request, among the policies of its urgency the one of the most specific
    region wins (community over township over county …), then one naming the category over one
    that does not; with none, DEFAULT_HOURS and the default days apply. (The urgency is never
    "any": a region-wide rule must not give 特急 the hours of 一般.)

    Configuration, i.e. reference data (§6.2): no county_code. Invariant: accept_hours ≤
    resolve_hours (CHECK); one policy per (region, category, urgency)."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("诉求类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.REQUEST_CATEGORY},
        help_text=_("留空表示所有类别。"),
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    accept_hours = models.PositiveIntegerField(_("受理时限（小时）"))
    resolve_hours = models.PositiveIntegerField(_("办结时限（小时）"))
    auto_close_days = models.PositiveSmallIntegerField(
        _("办结后自动关闭（天）"), default=DEFAULT_AUTO_CLOSE_DAYS
    )
    reopen_days = models.PositiveSmallIntegerField(
        _("关闭后可重新办理（天）"), default=DEFAULT_REOPEN_DAYS
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办理时限规则")
        verbose_name_plural = _("办理时限规则")
        ordering = ["region_id", "category_id", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "category", "urgency"],
                condition=Q(category__isnull=False),
                name="deadlinepolicy_unique_category",
            ),
            models.UniqueConstraint(
                fields=["region", "urgency"],
                condition=Q(category__isnull=True),
                name="deadlinepolicy_unique_any_category",
            ),
            models.CheckConstraint(
                condition=Q(accept_hours__gte=1) & Q(resolve_hours__gte=F("accept_hours")),
                name="deadlinepolicy_hours_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.category_id or '*'} {self.urgency or '*'}"


class Supervision(RegionBound):
    """A supervision mark (督办) put on a request by a township or county officer: who, at
    which level, with what instruction and by when. Region and county are the request's."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    request = models.ForeignKey(
        Request, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="supervisions"
    )
    level = models.PositiveSmallIntegerField(_("督办层级"), choices=Level.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("督办意见"), max_length=500, blank=True, default="")
    due_at = models.DateTimeField(_("督办期限"), null=True, blank=True)
    created_at = models.DateTimeField(_("督办时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["created_at", "id"]
        constraints = [county_code_check()]

    def __str__(self) -> str:
        return f"{self.request_id} {self.get_level_display()}"


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("已联系上")
    UNREACHABLE = "unreachable", _("未能联系")
    DECLINED = "declined", _("居民不愿回访")


class FollowUp(RegionBound):
    """A follow-up call (回访) after a request was resolved: who called, when, the outcome,
    whether the resident was satisfied (unknown when not reached)."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    request = models.ForeignKey(
        Request, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    called_at = models.DateTimeField(_("回访时间"), default=timezone.now)
    outcome = models.CharField(_("回访结果"), max_length=12, choices=FollowUpOutcome.choices)
    satisfied = models.BooleanField(_("是否满意"), null=True, blank=True)
    note = models.CharField(_("回访记录"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["called_at", "id"]
        constraints = [county_code_check()]

    def __str__(self) -> str:
        return f"{self.request_id} {self.called_at:%Y-%m-%d}"


class PhotoStage(models.TextChoices):
    SUBMITTED = "submitted", _("诉求照片")
    RESOLVED = "resolved", _("办结照片")


class RequestPhoto(RegionBound):
    """A photo of a request, stored privately through wushe.core.images (`name`,
    `thumbnail_name` in default_storage, never a public URL): served only to those who may see
    the request. The same picture (sha256) is kept once per request and stage."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    request = models.ForeignKey(
        Request, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="photos"
    )
    stage = models.CharField(_("阶段"), max_length=10, choices=PhotoStage.choices)
    name = models.CharField(max_length=200, editable=False)
    thumbnail_name = models.CharField(max_length=200, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    size = models.PositiveIntegerField(editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("诉求照片")
        verbose_name_plural = _("诉求照片")
        ordering = ["uploaded_at", "id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "request", "stage", "sha256"], name="requestphoto_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name
