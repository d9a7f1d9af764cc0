from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One uploaded spreadsheet on its way into a register.

    Invariants: `status` changes only through the services along `TRANSITIONS` (a repeated
    transition is a no-op there, a forbidden one raises `import.invalid_transition`); the upload
    lives encrypted in `default_storage` under `storage_name` (never a local path) until the job
    is committed or cancelled, then it is deleted and `storage_name` is ""; a job is visible to
    its creator and to admins whose scope covers its region; counts are those of the last run
    (preview, or the re-validation at commit). `county_code` = first six digits of `region`
    ("" for a nationwide admin without region), the future distribution key."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        VALIDATING = "validating", _("校验中")
        PREVIEWED = "previewed", _("待确认导入")
        COMMITTING = "committing", _("导入中")
        COMMITTED = "committed", _("已导入")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.UPLOADED: frozenset({Status.VALIDATING, Status.FAILED, Status.CANCELLED}),
        Status.VALIDATING: frozenset({Status.PREVIEWED, Status.FAILED, Status.CANCELLED}),
        Status.PREVIEWED: frozenset({Status.COMMITTING, Status.CANCELLED}),
        Status.COMMITTING: frozenset({Status.COMMITTED, Status.FAILED}),
        Status.COMMITTED: frozenset(),
        Status.FAILED: frozenset(),
        Status.CANCELLED: frozenset(),
    }
    RUNNING = frozenset({Status.UPLOADED, Status.VALIDATING, Status.COMMITTING})

    kind = models.CharField(_("导入类型"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("上传人所属区划"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    county_code = models.CharField(_("区县代码"), max_length=6, blank=True, editable=False)

    file_name = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(_("文件格式"), max_length=10, blank=True)
    file_size = models.PositiveIntegerField(_("文件大小"), default=0)
    storage_name = models.CharField(max_length=255, blank=True, editable=False)
    background = models.BooleanField(_("后台处理"), default=False)

    sheet_name = models.CharField(_("工作表"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("表头行"), null=True, blank=True)
    unknown_columns = models.JSONField(_("未识别的列"), default=list, blank=True)

    rows_total = models.PositiveIntegerField(_("数据行"), default=0)
    rows_valid = models.PositiveIntegerField(_("有效行"), default=0)
    rows_invalid = models.PositiveIntegerField(_("有错误的行"), default=0)
    rows_empty = models.PositiveIntegerField(_("空行"), default=0)
    rows_to_create = models.PositiveIntegerField(_("将新增"), default=0)
    rows_to_update = models.PositiveIntegerField(_("将更新"), default=0)
    rows_created = models.PositiveIntegerField(_("已新增"), default=0)
    rows_updated = models.PositiveIntegerField(_("已更新"), default=0)
    issues_total = models.PositiveIntegerField(_("问题数"), default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    error_code = models.CharField(_("错误代码"), max_length=80, blank=True)
    error_message = models.TextField(_("错误说明"), blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="importjob_creator"),
            models.Index(fields=["region", "-created_at"], name="importjob_region"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=True, county_code="")
                | models.Q(county_code=Substr("region", 1, 6)),
                name="imports_importjob_county_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def can_commit(self) -> bool:
        return self.status == self.Status.PREVIEWED and self.rows_valid > 0

    @property
    def issues_omitted(self) -> int:
        """Issues counted but not stored (past IMPORT_MAX_ISSUES)."""
        return max(self.issues_total - self.stored_issues, 0)

    @property
    def stored_issues(self) -> int:
        cached = getattr(self, "_stored_issues", None)
        if cached is None:
            cached = self.issues.count()
            self._stored_issues = cached
        return cached

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ImportIssue(models.Model):
    """One problem with one row (or cell) of an import, as the user sees it in Excel:
    `row_number` is the sheet's real 1-based row. `value` is the cell as found, masked when
    it holds an ID number or a phone number. Written in bulk by the services; never edited."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    county_code = models.CharField(max_length=6, blank=True, editable=False)
    row_number = models.PositiveIntegerField(_("行号"))
    field = models.CharField(_("字段"), max_length=60, blank=True)
    header = models.CharField(_("列"), max_length=100, blank=True)
    code = models.CharField(_("错误代码"), max_length=100)
    message = models.TextField(_("说明"))
    value = models.CharField(_("原值（已脱敏）"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("导入问题")
        verbose_name_plural = _("导入问题")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"], name="importissue_job_row")]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.code}"
