from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """A social organisation (社会组织). The foundation keeps only what accounts need (staff
    grants name an organisation); the one-database issue adds legal status, credit code checks,
    grades, coverage and the rest.

    Invariant: `region` is where the organisation is registered or filed; it decides which
    workers' scope the organisation falls in."""

    name = models.CharField(_("名称"), max_length=200)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("登记区划"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("社会组织")
        verbose_name_plural = _("社会组织")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="organization_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
