from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import codes


class Region(models.Model):
    """One statistical division (统计用区划), 2023 edition.

    Invariants: `code` is the 12-digit code, higher levels padded with zeros; `level`, `kind` and
    `parent` are derived from the code (wushe.regions.codes) and never typed in; everything
    under a region lies in the contiguous code range `codes.scope_range(prefix)`, so scoping by
    region is an index range scan. Regions are reference data loaded by `wushe regions load`;
    they are never deleted, because other records point at them.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省级")
        CITY = 2, _("地级")
        COUNTY = 3, _("县级")
        TOWNSHIP = 4, _("乡级")
        COMMUNITY = 5, _("村级")

    class Kind(models.TextChoices):
        NONE = "", _("—")
        STREET = "street", _("街道")
        TOWN = "town", _("镇")
        TOWNSHIP = "township", _("乡")
        TOWNSHIP_OTHER = "township_other", _("其他乡级单位")
        URBAN = "urban", _("居委会（城镇社区）")
        RURAL = "rural", _("村委会（农村）")
        COMMUNITY_OTHER = "community_other", _("其他村级单位")

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    source = models.CharField(_("数据来源"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.short_name}（{self.code}）"

    @property
    def prefix(self) -> str:
        """The significant digits: the region's scope is every code starting with them."""
        return self.code[: codes.SIGNIFICANT_DIGITS[self.level]]

    @property
    def is_urban_community(self) -> bool:
        return self.kind == self.Kind.URBAN


class RegionLoad(models.Model):
    """Provenance of the division data: one row per run of `wushe regions load`."""

    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    source_package = models.CharField(_("数据包"), max_length=100)
    source_version = models.CharField(_("版本"), max_length=30)
    edition = models.CharField(_("区划版本"), max_length=100)
    files = models.JSONField(_("文件及校验和"), default=dict)
    prefix = models.CharField(_("加载范围"), max_length=12, blank=True)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    missing = models.PositiveIntegerField(_("数据中已不存在"), default=0)

    class Meta:
        verbose_name = _("区划数据加载记录")
        verbose_name_plural = _("区划数据加载记录")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source_package}@{self.source_version} {self.prefix or '*'}"
