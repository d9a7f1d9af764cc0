"""Abstract models shared by every region-bound table (docs/architecture.md §6.3)."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _


def county_code_check() -> models.CheckConstraint:
    """`county_code = left(region_id, 6)`. Put it in the Meta.constraints of every concrete
    RegionBound model (a child's own `constraints` list replaces the abstract parent's)."""
    return models.CheckConstraint(
        condition=models.Q(county_code=Substr("region", 1, 6)),
        name="%(app_label)s_%(class)s_county_code",
    )


class RegionBound(models.Model):
    """A row that belongs to one region (community, township, county …).

    Invariants: `region_id` *is* the 12-digit statistical code (Region's primary key), so scoping
    needs no join; `county_code` is its first six digits (the future Citus distribution key,
    docs/architecture.md §6.2), kept true by a CHECK constraint. Services set both through
    `place()`; nothing else assigns them."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    county_code = models.CharField(_("区县代码"), max_length=6, editable=False)

    class Meta:
        abstract = True
        constraints = [county_code_check()]

    def place(self, region_code: str) -> None:
        """Put the row in a region: sets `region_id` and `county_code` together."""
        self.region_id = region_code
        self.county_code = region_code[:6]
