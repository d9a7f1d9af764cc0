"""Party members reporting to the community (党员报到, 社区吹哨、党员报到): who, from which unit
and party organisation, to which community, offering help in which request categories."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wushe.core.models import RegionBound, county_code_check
from wushe.core.personal import PersonFields
from wushe.taxonomy.models import Vocabulary


class CheckinStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    ENDED = "ended", _("已结束")


class PartyMemberCheckin(RegionBound, PersonFields):
    """A party member's report to a community (region = the community, level 5).

    Invariants: at most one active check-in per person (ID-number hash) within a county;
    `status` moves only active → ended (service `checkin_end`, which also sets `ended_on`);
    categories are terms of the request_category vocabulary, skills of skill (through rows
    carry the county code like every distributed table)."""

    PERSONAL_PURPOSE = "partymembers.partymembercheckin"

    work_unit = models.CharField(_("工作单位"), max_length=100)
    party_organization = models.CharField(_("所在党组织"), max_length=100)
    reported_on = models.DateField(_("报到日期"))
    categories = models.ManyToManyField(
        "taxonomy.Term",
        through="CheckinCategory",
        verbose_name=_("可参与的服务类别"),
        related_name="+",
        blank=True,
    )
    skills = models.ManyToManyField(
        "taxonomy.Term",
        through="CheckinSkill",
        verbose_name=_("特长技能"),
        related_name="+",
        blank=True,
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=CheckinStatus.choices, default=CheckinStatus.ACTIVE
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
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
        verbose_name = _("党员报到")
        verbose_name_plural = _("党员报到")
        ordering = ["region_id", "name", "id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "id_number_hash"],
                condition=Q(status="active") & ~Q(id_number_hash=""),
                name="partymember_one_active",
            ),
        ]
        indexes = [models.Index(fields=["id_number_hash"], name="partymember_id_hash")]

    def __str__(self) -> str:
        return self.name


class CheckinCategory(models.Model):
    """A request category a reported party member offers help in (vocabulary request_category)."""

    checkin = models.ForeignKey(PartyMemberCheckin, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(
        "taxonomy.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.REQUEST_CATEGORY},
    )
    county_code = models.CharField(max_length=6, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "checkin", "term"], name="checkin_category_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.checkin_id} · {self.term_id}"


class CheckinSkill(models.Model):
    """A skill of a reported party member (vocabulary skill)."""

    checkin = models.ForeignKey(PartyMemberCheckin, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(
        "taxonomy.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SKILL},
    )
    county_code = models.CharField(max_length=6, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "checkin", "term"], name="checkin_skill_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.checkin_id} · {self.term_id}"
