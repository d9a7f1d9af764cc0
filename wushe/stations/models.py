"""Service stations (服务站点): township social work stations (社工站), volunteer posts,
incubation bases and party-mass service centres (domain.md §2, §9)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wushe.core.models import RegionBound, county_code_check
from wushe.regions.codes import Level


class StationKind(models.TextChoices):
    SOCIAL_WORK = "social_work", _("社工站")
    VOLUNTEER = "volunteer", _("志愿服务站点")
    INCUBATOR = "incubator", _("孵化基地")
    PARTY_SERVICE = "party_service", _("党群服务中心")


# The region levels a station of each kind sits at: a 社工站 serves a township (乡镇/街道),
# a volunteer post a community; incubation bases are run by the county or a township;
# party-mass service centres exist at county, township and community level.
KIND_LEVELS: dict[str, frozenset[int]] = {
    StationKind.SOCIAL_WORK: frozenset({Level.TOWNSHIP}),
    StationKind.VOLUNTEER: frozenset({Level.COMMUNITY}),
    StationKind.INCUBATOR: frozenset({Level.COUNTY, Level.TOWNSHIP}),
    StationKind.PARTY_SERVICE: frozenset({Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY}),
}


class ServiceStation(RegionBound):
    """A place where services are delivered.

    Invariants: the region's level fits the kind (`KIND_LEVELS`, checked by the services);
    a station whose `closed_on` has passed is not `active`; `phone` is the station's public
    number (not personal data, so it is stored plainly); `service_area_m2` feeds the indicator
    "service space per 100 households". Staff are the social workers whose `station` is this
    one (socialworkers.SocialWorker.station)."""

    kind = models.CharField(_("类型"), max_length=20, choices=StationKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    operator = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("运营机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    service_area_m2 = models.DecimalField(
        _("服务面积（平方米）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    phone = models.CharField(_("服务电话"), max_length=30, blank=True)
    opened_on = models.DateField(_("启用日期"), null=True, blank=True)
    closed_on = models.DateField(_("停用日期"), null=True, blank=True)
    active = models.BooleanField(_("运营中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务站点")
        verbose_name_plural = _("服务站点")
        ordering = ["region_id", "kind", "name"]
        constraints = [
            county_code_check(),
            models.UniqueConstraint(
                fields=["county_code", "region", "name"], name="station_unique_name"
            ),
        ]
        indexes = [models.Index(fields=["kind", "region"], name="station_kind_region")]

    def __str__(self) -> str:
        return self.name
