"""The residents register (居民台账): households, residents and their vulnerable-group tags
(domain.md §6, §10). Writes go through `wushe.residents.services`; reads through `selectors`."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.core.identifiers import age_on
from wushe.core.models import RegionBound, county_code_check
from wushe.core.personal import PersonFields


class CoveringIndex(models.Index):
    """An index with INCLUDE columns where the database has them (PostgreSQL), a plain one
    elsewhere. `Index(include=…)` would do the same but makes Django warn on SQLite (W040), the
    demo database, at every command."""

    def __init__(self, *args: Any, covering: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.covering = tuple(covering)

    def deconstruct(self) -> Any:
        path, args, kwargs = super().deconstruct()
        kwargs["covering"] = self.covering
        return path, args, kwargs

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        index = self
        if self.covering and schema_editor.connection.features.supports_covering_indexes:
            index = copy.copy(self)
            index.include = self.covering
        return models.Index.create_sql(index, model, schema_editor, using=using, **kwargs)


class Household(RegionBound):
    """A household (户) of a community.

    Invariants: `region` is a community; the household number (户号) is unique per
    (county_code, region, number); `head`, when set, is a member of this household (services
    check it). A household is never deleted: residents and history point at it."""

    number = models.CharField(_("户号"), max_length=30)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    head = models.ForeignKey(
        "Resident",
        verbose_name=_("户主"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["region_id", "number", "id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "region", "number"], name="household_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}"


class Hukou(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    PERMANENT = "permanent", _("常住人口（非户籍）")
    FLOATING = "floating", _("流动人口")


class LivingArrangement(models.TextChoices):
    ALONE = "alone", _("独居")
    WITH_SPOUSE = "with_spouse", _("与配偶同住")
    WITH_CHILDREN = "with_children", _("与子女同住")
    WITH_SPOUSE_AND_CHILDREN = "with_spouse_children", _("与配偶及子女同住")
    WITH_RELATIVES = "with_relatives", _("与其他亲属同住")
    WITH_CAREGIVER = "with_caregiver", _("与保姆或护工同住")
    INSTITUTION = "institution", _("机构养老或集中供养")
    OTHER = "other", _("其他")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", _("儿媳或女婿")
    OTHER = "other", _("其他")


class ResidentStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("已迁出")
    DECEASED = "deceased", _("已故")


class Resident(RegionBound, PersonFields):
    """A person living in (or registered to) a community.

    Invariants: `region` is a community; one record per ID-number hash per county (a partial
    unique constraint). Across counties the same person may have an old record (moved out);
    the services detect an active duplicate in another county by hash before writing, because a
    rule spanning counties cannot be a constraint on a table distributed by county
    (docs/architecture.md §6.3.2). `household`, when set, is in the same community. Age is
    derived from `birth_date` (`age`), never stored. `status` changes only through the
    services `resident_move_out` / `resident_mark_deceased`, which also set the dates."""

    PERSONAL_PURPOSE = "residents.resident"

    # RegionBound's region without an index of its own: `resident_region_name` (region, name,
    # id) serves every lookup by region, and each index less speeds up bulk imports.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("所属户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # partial index below: most people in a big import have no household
    )
    relation_to_head = models.CharField(
        _("与户主关系"), max_length=20, choices=Relation.choices, blank=True
    )
    address = models.CharField(_("住址"), max_length=200, blank=True)
    hukou = models.CharField(
        _("户籍类型"), max_length=20, choices=Hukou.choices, default=Hukou.REGISTERED
    )
    living_arrangement = models.CharField(
        _("居住状况"), max_length=30, choices=LivingArrangement.choices, blank=True
    )
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_records",
        db_index=False,  # partial index below: few residents have a login
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ResidentStatus.choices,
        default=ResidentStatus.ACTIVE,
        editable=False,
    )
    moved_out_on = models.DateField(_("迁出日期"), null=True, blank=True, editable=False)
    moved_out_to = models.CharField(_("迁往"), max_length=200, blank=True, editable=False)
    deceased_on = models.DateField(_("死亡日期"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        # The list order has a matching index (resident_region_name): a scoped page is one
        # index range scan with LIMIT, whatever the size of the register. `region_id`, not
        # `region`: ordering by the FK would sort by the joined Region's own ordering instead.
        ordering = ["region_id", "name", "id"]
        indexes = [
            # Covering on PostgreSQL: the capped count of a filtered list (status, age, part
            # of the name) is an index-only scan, not one heap page per resident of the scope.
            CoveringIndex(
                fields=["region", "name", "id"],
                covering=["status", "birth_date"],
                name="resident_region_name",
            ),
            models.Index(fields=["id_number_hash"], name="resident_id_hash"),
            # Name prefix search (`LIKE '王芳%'`): pattern opclass on PostgreSQL, whose C.UTF-8
            # collation is not "C" for the planner; other databases ignore `opclasses`.
            models.Index(
                fields=["name"], name="resident_name_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["phone_hash"], name="resident_phone_hash"),
            models.Index(
                fields=["household"],
                condition=Q(household__isnull=False),
                name="resident_household",
            ),
            models.Index(fields=["user"], condition=Q(user__isnull=False), name="resident_user"),
        ]
        constraints = [
            county_code_check(),
            # One record per person per county; across counties see the docstring (§6.3.2).
            models.UniqueConstraint(
                fields=["county_code", "id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="resident_id_number_unique_in_county",
            ),
            # A login belongs to one resident record per county (includes the key, §6.3.2).
            models.UniqueConstraint(
                fields=["county_code", "user"],
                condition=Q(user__isnull=False),
                name="resident_user_unique_in_county",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def age(self, on: date | None = None) -> int | None:
        """Completed years (周岁) today or on a given day; None without a birth date."""
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, on or timezone.localdate())

    @property
    def current_age(self) -> int | None:
        return self.age()

    @property
    def is_active(self) -> bool:
        return self.status == ResidentStatus.ACTIVE


class Tag(models.TextChoices):
    LOW_INCOME = "dibao", _("低保对象")
    DESTITUTE = "tekun", _("特困人员")
    EMPTY_NEST_ELDER = "empty_nest_elder", _("空巢老人")
    ALONE_ELDER = "alone_elder", _("独居老人")
    LEFT_BEHIND_ELDER = "left_behind_elder", _("留守老人")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    LEFT_BEHIND_WOMAN = "left_behind_woman", _("留守妇女")
    CHILD_IN_DIFFICULTY = "child_in_difficulty", _("困境儿童")
    ORPHAN = "orphan", _("孤儿")
    DISABLED = "disabled", _("残疾人")
    INCAPACITATED_ELDER = "incapacitated_elder", _("失能老人")
    FAMILY_PLANNING_SPECIAL = "family_planning_special", _("计生特殊家庭")


class DisabilityCategory(models.TextChoices):
    VISUAL = "visual", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    PHYSICAL = "physical", _("肢体残疾")
    INTELLECTUAL = "intellectual", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")


class DisabilityGrade(models.TextChoices):
    GRADE_1 = "1", _("一级")
    GRADE_2 = "2", _("二级")
    GRADE_3 = "3", _("三级")
    GRADE_4 = "4", _("四级")


class TagSource(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("民政救助系统")
    DISABLED_FEDERATION = "disabled_federation", _("残联")
    COMMUNITY_SURVEY = "community_survey", _("社区摸排")
    SELF_DECLARED = "self_declared", _("居民申报")
    OTHER = "other", _("其他")


class ResidentTag(RegionBound):
    """One vulnerable-group tag of a resident over a period (domain.md §6).

    Invariants: `region`/`county_code` are copied from the resident (scoping and the Citus key
    without a join) and follow the resident when they move within the county; `end_date` is
    null while the tag is current and never before `start_date` (CHECK); a resident carries at
    most one current tag of each kind (partial unique constraint); disability category and grade
    are set for 残疾人 and only for it (services check). Ending a tag sets `end_date`: history is
    kept, tags are never deleted. Whether a user may see which tag it is: `rules.py`."""

    # No index of its own on region: tag queries go through residenttag_tag_end.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), on_delete=models.PROTECT, related_name="tags"
    )
    tag = models.CharField(_("标签"), max_length=30, choices=Tag.choices)
    disability_category = models.CharField(
        _("残疾类别"), max_length=20, choices=DisabilityCategory.choices, blank=True
    )
    disability_grade = models.CharField(
        _("残疾等级"), max_length=2, choices=DisabilityGrade.choices, blank=True
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    source = models.CharField(
        _("来源"), max_length=30, choices=TagSource.choices, default=TagSource.COMMUNITY_SURVEY
    )
    notes = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("困难群体标签")
        verbose_name_plural = _("困难群体标签")
        ordering = ["start_date", "id"]
        indexes = [
            # "current 独居老人 in this township": equality on tag, IS NULL on end, range on region.
            models.Index(fields=["tag", "end_date", "region"], name="residenttag_tag_end"),
        ]
        constraints = [
            county_code_check(),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="residenttag_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["resident", "tag"],
                condition=Q(end_date__isnull=True),
                name="residenttag_one_current_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_tag_display())

    @property
    def is_current(self) -> bool:
        return self.end_date is None
