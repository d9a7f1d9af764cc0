"""The volunteer register (志愿者, domain.md §4): who volunteers, where they live, what they can
do and when, which teams they belong to. Hours and stars are filled by the time bank (issue 6);
here they are a cache and a derived property."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wushe.core.models import RegionBound, county_code_check
from wushe.core.personal import PersonFields

from . import availability as slots
from .stars import next_star_hours, stars_for_minutes


class VolunteerStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    SUSPENDED = "suspended", _("暂停")
    WITHDRAWN = "withdrawn", _("注销")


# The one transition table: from → allowed targets. Only the services in services.py assign
# `status`, each through this table. A withdrawn (注销) volunteer may register again, which
# reactivates the old record rather than creating a second one with the same ID number.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    VolunteerStatus.ACTIVE: frozenset({VolunteerStatus.SUSPENDED, VolunteerStatus.WITHDRAWN}),
    VolunteerStatus.SUSPENDED: frozenset({VolunteerStatus.ACTIVE, VolunteerStatus.WITHDRAWN}),
    VolunteerStatus.WITHDRAWN: frozenset({VolunteerStatus.ACTIVE}),
}


class CoordSource(models.TextChoices):
    WGS84 = "wgs84", _("WGS-84（GPS 定位）")
    GCJ02 = "gcj02", _("GCJ-02（高德、腾讯地图）")
    BD09 = "bd09", _("BD-09（百度地图）")


class PoliticalStatus(models.TextChoices):
    CPC_MEMBER = "cpc_member", _("中共党员")
    CPC_PROBATIONARY = "cpc_probationary", _("中共预备党员")
    CYL_MEMBER = "cyl_member", _("共青团员")
    DEMOCRATIC_PARTY = "democratic_party", _("民主党派成员")
    MASSES = "masses", _("群众")


class Volunteer(RegionBound, PersonFields):
    """A registered volunteer (注册志愿者) and their home community (`region`).

    Invariants:
    - registered only with a recorded consent (wushe.privacy Consent, purpose
      `volunteer_record`, guardian for children under 14) written in the same transaction;
    - `number` is a human number: county code + registration year + per-county counter
      (`VolunteerNumberCounter`), or one carried over from an existing register; unique in the
      county (so unique everywhere, since it starts with the county code);
    - at most one volunteer per ID number (hash) in a county;
    - `latitude`/`longitude` are WGS-84 whatever the input was; `coord_source` records the
      system the point was given in; both coordinates and the source are set together or not
      at all;
    - `availability` is a bitmask of 21 weekly slots (see availability.py);
    - `verified_minutes` is a cache of the sum of verified service records, rebuilt by the time
      bank (issue 6); it is never typed in, and stars derive from it;
    - `status` changes only through the transition services (STATUS_TRANSITIONS)."""

    PERSONAL_PURPOSE: ClassVar[str] = "volunteers.volunteer"

    number = models.CharField(_("志愿者编号"), max_length=32)
    registered_on = models.DateField(_("注册日期"))
    skills = models.ManyToManyField(
        "taxonomy.Term",
        verbose_name=_("技能特长"),
        through="VolunteerSkill",
        related_name="+",
        limit_choices_to={"vocabulary": "skill"},
        blank=True,
    )
    availability = models.PositiveIntegerField(_("可服务时间"), default=0)
    latitude = models.DecimalField(
        _("纬度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("经度（WGS-84）"), max_digits=10, decimal_places=6, null=True, blank=True
    )
    coord_source = models.CharField(
        _("坐标来源"), max_length=8, choices=CoordSource.choices, blank=True, default=""
    )
    political_status = models.CharField(
        _("政治面貌"), max_length=20, choices=PoliticalStatus.choices, blank=True, default=""
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=VolunteerStatus.choices,
        default=VolunteerStatus.ACTIVE,
        editable=False,
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    status_reason = models.CharField(_("状态变更原因"), max_length=200, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer_records",
    )
    verified_minutes = models.PositiveIntegerField(
        _("已认证服务时长（分钟）"),
        default=0,
        editable=False,
        help_text=_("由已认证的服务记录汇总生成，不可手工填写。"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["region_id", "number"]
        indexes = [
            # Scoped lists: a code range on region, ordered by number.
            models.Index(fields=["region", "number"], name="volunteer_region_number"),
            models.Index(fields=["county_code", "name"], name="volunteer_county_name"),
        ]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "number"], name="volunteer_unique_number"
            ),
            models.UniqueConstraint(
                fields=["county_code", "id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="volunteer_unique_id_number",
            ),
            models.UniqueConstraint(
                fields=["county_code", "user"],
                condition=models.Q(user__isnull=False),
                name="volunteer_unique_user",
            ),
            models.CheckConstraint(
                condition=models.Q(availability__gte=0, availability__lte=slots.FULL_WEEK),
                name="volunteer_availability_range",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True, coord_source="")
                    | models.Q(latitude__isnull=False, longitude__isnull=False, coord_source__gt="")
                ),
                name="volunteer_coordinates_together",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stars(self) -> int:
        return stars_for_minutes(self.verified_minutes)

    @property
    def stars_range(self) -> range:
        """For templates drawing one ★ per star."""
        return range(self.stars)

    @property
    def next_star_hours(self) -> int | None:
        return next_star_hours(self.verified_minutes)

    @property
    def verified_hours(self) -> Decimal:
        """Hours with one decimal (display only; the cache counts minutes)."""
        return (Decimal(self.verified_minutes) / 60).quantize(Decimal("0.1"))

    @property
    def availability_text(self) -> str:
        return slots.render(self.availability)

    @property
    def availability_slots(self) -> list[slots.Slot]:
        return slots.slots(self.availability)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class VolunteerSkill(models.Model):
    """A volunteer's skill (through table of `Volunteer.skills`). Carries the volunteer's
    county code so it lives on the volunteer's shard (docs/architecture.md §6.3 item 1)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(
        "taxonomy.Term",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"vocabulary": "skill"},
    )
    county_code = models.CharField(max_length=6, editable=False)

    class Meta:
        verbose_name = _("志愿者技能")
        verbose_name_plural = _("志愿者技能")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "volunteer", "term"], name="volunteer_skill_unique"
            )
        ]
        indexes = [models.Index(fields=["term", "volunteer"], name="volunteer_skill_term")]

    def __str__(self) -> str:
        return f"{self.volunteer_id} · {self.term_id}"


class VolunteerNumberCounter(models.Model):
    """Per county and year, the last counter used in generated volunteer numbers. Locked with
    select_for_update while numbers are handed out (single-shard row)."""

    county_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("志愿者编号计数器")
        verbose_name_plural = _("志愿者编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["county_code", "year"], name="volunteer_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.county_code}-{self.year}: {self.last}"


class TeamRole(models.TextChoices):
    LEADER = "leader", _("队长")
    MEMBER = "member", _("队员")


class VolunteerTeam(RegionBound):
    """A volunteer team (志愿服务队) of a community or township, optionally run by a social
    organisation (whose staff then see its members).

    Invariants: members live in the team's county (the team's shard); the leader, when set,
    is a member with role `leader`."""

    name = models.CharField(_("队伍名称"), max_length=100)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属社会组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="volunteer_teams",
    )
    leader = models.ForeignKey(
        Volunteer,
        verbose_name=_("队长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.TextField(_("简介"), blank=True, default="")
    members = models.ManyToManyField(
        Volunteer, through="TeamMembership", related_name="teams", blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["region_id", "name"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "region", "name"], name="volunteer_team_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(RegionBound):
    """A volunteer in a team. `region`/`county_code` copy the team's (child rows carry the
    parent's key)."""

    team = models.ForeignKey(VolunteerTeam, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(
        _("角色"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER
    )
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        verbose_name = _("队伍成员")
        verbose_name_plural = _("队伍成员")
        ordering = ["team_id", "role", "joined_on", "id"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "team", "volunteer"], name="volunteer_team_member_unique"
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "team"], name="volunteer_membership_vol")]

    def __str__(self) -> str:
        return f"{self.team} · {self.volunteer}"
