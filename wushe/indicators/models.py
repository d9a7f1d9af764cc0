"""Stored indicator results, targets, refresh bookkeeping and annual-report narratives."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorValue(models.Model):
    """The numerator and denominator of one indicator for one region and period.

    Invariants: `numerator`/`denominator` are the totals over every record whose region code lies
    under `region` (the region itself included); `direct_*` are the part from records placed
    on `region` itself (a township's social-work station), which the incremental refresh
    needs to recompute an ancestor from its children. Rows exist only where some record
    counted: a missing row is "no data". Only the engine (wushe.indicators.engine) writes here;
    a full rebuild (`wushe indicators rebuild`) recreates every row."""

    indicator = models.CharField(_("指标"), max_length=64)
    period = models.CharField(_("统计期"), max_length=7)
    region = models.CharField(_("区划代码"), max_length=12)
    numerator = models.DecimalField(_("分子"), max_digits=24, decimal_places=4, default=0)
    denominator = models.DecimalField(_("分母"), max_digits=24, decimal_places=4, default=0)
    direct_numerator = models.DecimalField(max_digits=24, decimal_places=4, default=0)
    direct_denominator = models.DecimalField(max_digits=24, decimal_places=4, default=0)

    class Meta:
        verbose_name = _("指标值")
        verbose_name_plural = _("指标值")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "period", "indicator"], name="indicator_value_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region} {self.period}"


class Staging(models.Model):
    """Scratch rows of one computation run (counts per record region); emptied after the run."""

    run = models.BigIntegerField()
    indicator = models.CharField(max_length=64)
    part = models.CharField(max_length=1)  # "n" numerator, "d" denominator
    period = models.CharField(max_length=7)
    region = models.CharField(max_length=12)
    value = models.DecimalField(max_digits=24, decimal_places=4, null=True)
    month = models.PositiveSmallIntegerField(null=True)  # set on the month rows of a by-month scan

    class Meta:
        indexes = [models.Index(fields=["run", "period"], name="indicator_staging_run")]

    def __str__(self) -> str:
        return f"{self.run} {self.indicator} {self.part} {self.region}"


class RefreshRun(models.Model):
    """One computation: a full rebuild (prefix empty) or a refresh of one region's subtree."""

    class Kind(models.TextChoices):
        REBUILD = "rebuild", _("全量重算")
        REFRESH = "refresh", _("增量更新")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    prefix = models.CharField(_("范围"), max_length=12, blank=True)
    years = models.CharField(_("年度"), max_length=100)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True)
    rows = models.PositiveIntegerField(_("结果行数"), default=0)
    failed = models.JSONField(_("计算失败的指标"), default=list, blank=True)

    class Meta:
        verbose_name = _("指标计算记录")
        verbose_name_plural = _("指标计算记录")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.prefix or '*'} {self.years}"


class DirtyMark(models.Model):
    """A county whose indicators must be recomputed because its records changed. Written in
    the transaction of the change (signals on the models the measures read); swept by
    `wushe indicators sweep` / the `indicators.sweep` task."""

    county = models.CharField(_("区县代码"), max_length=6, unique=True)
    marked_at = models.DateTimeField(_("标记时间"), auto_now=True)

    class Meta:
        verbose_name = _("待更新区县")
        verbose_name_plural = _("待更新区县")

    def __str__(self) -> str:
        return self.county


class IndicatorTarget(models.Model):
    """A target for one indicator in a region (and everything under it) for one year. The most
    specific target (deepest region) applies; without any, the registry's default."""

    indicator = models.CharField(_("指标"), max_length=64)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=4)
    note = models.CharField(_("依据"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "year"], name="indicator_target_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region_id} {self.year}: {self.value}"


class AnnualReport(models.Model):
    """Narrative of a region's annual report; the figures are always generated from the data."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    summary = models.TextField(_("总体情况"), blank=True)
    highlights = models.TextField(_("主要成效和亮点"), blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    plans = models.TextField(_("下一年度工作打算"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度报告")
        verbose_name_plural = _("年度报告")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="indicator_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}"
