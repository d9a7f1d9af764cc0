"""Needs database (需求库): what residents need, raised from surveys (摸排), requests (诉求)
and visits (探访), grouped by category and region so that workers can turn a group of needs
into a project proposal. Writes go through `wushe.needs.services`, reads through
`selectors`; who may do what is `rules.py`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.idempotency import IdempotencyFields, idempotency_constraint
from wushe.core.models import RegionBound, county_code_check
from wushe.residents.models import Tag
from wushe.taxonomy.models import Vocabulary


class Source(models.TextChoices):
    SURVEY = "survey", _("需求摸排")
    REQUEST = "request", _("居民诉求")
    VISIT = "visit", _("探访")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    OPEN = "open", _("待转化")
    PROPOSED = "proposed", _("已纳入项目申报")
    ADDRESSED = "addressed", _("已解决")
    DISMISSED = "dismissed", _("已关闭")


class Action(models.TextChoices):
    """The transitions of a need (services.need_<action>)."""

    PROPOSE = "propose", _("纳入项目申报")
    REOPEN = "reopen", _("退回需求库")
    ADDRESS = "address", _("标记已解决")
    DISMISS = "dismiss", _("关闭")


# THE transition table: action → {from status: to status}. Only the services assign
# `Need.status`.
TRANSITIONS: dict[str, dict[str, str]] = {
    Action.PROPOSE: {Status.OPEN: Status.PROPOSED},
    Action.REOPEN: {Status.PROPOSED: Status.OPEN, Status.DISMISSED: Status.OPEN},
    Action.ADDRESS: {Status.OPEN: Status.ADDRESSED, Status.PROPOSED: Status.ADDRESSED},
    Action.DISMISS: {Status.OPEN: Status.DISMISSED},
}

# Needs that still wait for a service or project: the ones the grouped view counts.
PENDING_STATUSES = frozenset({Status.OPEN, Status.PROPOSED})


def transition_target(action: str, status: str) -> str | None:
    return TRANSITIONS[action].get(status)


class Need(RegionBound, IdempotencyFields):
    """One need of one or more residents of a community (or of a whole township).

    Invariants:
    - `region` is a community or a township (level 4 or 5).
    - `category` is a term of the service_category vocabulary (needs are matched to services
      and projects by it).
    - `people_count` ≥ 1 is how many people the need affects; `vulnerable_count` (≤
      people_count, CHECK) how many of them belong to a vulnerable group; `groups` (NeedGroup
      rows) break the vulnerable people down by group (one person may count in several
      groups, so the group counts may add up to more than `vulnerable_count`).
    - (`source`, `source_ref`, `category`) is unique per county when `source_ref` is set: one
      visit or request raises at most one need per category; raising it again returns the
      stored need.
    - `status` changes only through the services, each through TRANSITIONS.
    - `resident`, when set, lives in the same county; it is never shown on public pages."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # need_region_status serves every lookup by region
    )
    category = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("需求类别"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SERVICE_CATEGORY},
    )
    title = models.CharField(_("需求标题"), max_length=100)
    description = models.TextField(_("需求描述"), blank=True, default="")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    source_ref = models.CharField(_("来源编号"), max_length=64, blank=True, default="")
    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("涉及居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    people_count = models.PositiveIntegerField(_("涉及人数"), default=1)
    vulnerable_count = models.PositiveIntegerField(_("其中困难群体人数"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    status_note = models.CharField(_("状态说明"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region", "status", "category"], name="need_region_status"),
        ]
        constraints = [
            county_code_check(),
            idempotency_constraint("created_by"),
            models.CheckConstraint(condition=Q(people_count__gte=1), name="need_people_positive"),
            models.CheckConstraint(
                condition=Q(vulnerable_count__lte=F("people_count")),
                name="need_vulnerable_within_people",
            ),
            models.UniqueConstraint(
                fields=["county_code", "source", "source_ref", "category"],
                condition=~Q(source_ref=""),
                name="need_source_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NeedGroup(RegionBound):
    """How many people of one vulnerable group a need affects. `region`/`county_code` are the
    need's; at most one row per (need, group)."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    need = models.ForeignKey(
        Need, verbose_name=_("需求"), on_delete=models.CASCADE, related_name="groups"
    )
    tag = models.CharField(_("困难群体"), max_length=30, choices=Tag.choices)
    people = models.PositiveIntegerField(_("人数"), default=1)

    class Meta:
        verbose_name = _("需求涉及的困难群体")
        verbose_name_plural = _("需求涉及的困难群体")
        ordering = ["need", "tag"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(fields=["need", "tag"], name="needgroup_unique"),
            models.CheckConstraint(condition=Q(people__gte=1), name="needgroup_people_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} {self.tag}"
