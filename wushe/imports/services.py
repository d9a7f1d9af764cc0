"""Import jobs, exports and downloads. Every state change goes through `_move` along
`ImportJob.TRANSITIONS`, with the job row locked; repeating a transition that already happened
returns the job unchanged (committing twice writes once).

Flow: `import_upload` (checks the file, finds the header, stores it encrypted, job `uploaded`)
→ `import_validate` (inline, or a Celery task for big files: `validating` → `previewed`, issues
stored, nothing written to any register) → `import_commit` (`committing`) → `import_run_commit`
(re-reads and re-validates the stored file and writes all valid rows through the adapter in one
transaction: `committed`, or nothing and `failed`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.scoping import grants_of, scope_prefixes
from wushe.audit.models import AuditEvent
from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from wushe.core.uploads import SPREADSHEET, display_name, refuse_declared_mismatch

from . import engine
from .adapters import ImportAdapter, ImportContext
from .errors import FileTooLarge
from .limits import limit
from .models import ImportIssue, ImportJob
from .selectors import adapter_or_404, import_issues, progress_key
from .storage import delete_upload, load_upload, store_upload
from .xlsx import build_error_report, build_export, build_template

logger = logging.getLogger(__name__)

Status = ImportJob.Status


# --- helpers -------------------------------------------------------------------------------


def clean_file_name(raw: str) -> str:
    """A name safe to show and store (`wushe.core.uploads.display_name`: no directories, no
    control or bidi characters, no reserved device names). The stored upload never uses it
    (storage names are random)."""
    return display_name(raw, max_length=200)


def writer_region(user: Any) -> str | None:
    """The importer's region: the first region-bound grant of a writing role."""
    for grant in grants_of(user):
        if grant.role in WRITER_ROLES and grant.region_code:
            return grant.region_code
    return None


def import_context(
    *, user: Any, filters: Mapping[str, str] | None = None, reading: bool = False
) -> ImportContext:
    """Context for adapters; `reading=True` (exports) scopes by WORKER_ROLES (auditors read)."""
    roles = WORKER_ROLES if reading else WRITER_ROLES
    return ImportContext(
        user=user,
        today=timezone.localdate(),
        scope_prefixes=scope_prefixes(user, roles),
        filters=dict(filters or {}),
    )


def _require(user: Any, permission: str, message: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied(message, code="import.forbidden")


def _import_adapter(kind: str, actor: Any) -> ImportAdapter:
    adapter = adapter_or_404(kind)
    _require(
        actor,
        adapter.import_permission,
        _("您没有导入“%(label)s”的权限。") % {"label": adapter.label},
    )
    return adapter


def _move(job: ImportJob, to: str) -> None:
    if to not in ImportJob.TRANSITIONS[job.status]:
        raise Conflict(
            _("该导入任务当前状态为“%(status)s”，不能执行此操作。")
            % {"status": job.get_status_display()},
            code="import.invalid_transition",
            fields={"status": job.status, "to": to},
        )
    job.status = to


def _locked(job_id: int) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=job_id)


def _audit(job: ImportJob, action: str, actor: Any, changes: dict[str, Any], **kw: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        target=job,
        target_label=f"{job.kind}: {job.file_name}"[:200],
        region_code=job.region_id or "",
        changes={"kind": job.kind, **changes},
        **kw,
    )


def _counts(job: ImportJob) -> dict[str, int]:
    return {
        "rows_total": job.rows_total,
        "rows_valid": job.rows_valid,
        "rows_invalid": job.rows_invalid,
        "rows_empty": job.rows_empty,
        "rows_to_create": job.rows_to_create,
        "rows_to_update": job.rows_to_update,
        "issues": job.issues_total,
    }


def _apply(job: ImportJob, outcome: engine.Outcome) -> None:
    job.file_format = outcome.file_format
    job.sheet_name = outcome.sheet_name[:100]
    job.header_row = outcome.header_row
    job.unknown_columns = outcome.unknown_columns[:100]
    job.rows_total = outcome.rows_total
    job.rows_valid = outcome.rows_valid
    job.rows_invalid = outcome.rows_invalid
    job.rows_empty = outcome.rows_empty
    job.rows_to_create = outcome.to_create
    job.rows_to_update = outcome.to_update
    job.issues_total = outcome.issues_total
    job.progress_done = job.progress_total = outcome.rows_total + outcome.rows_empty


def _store_issues(job: ImportJob, issues: list[engine.Issue]) -> None:
    ImportIssue.objects.filter(job=job).delete()
    ImportIssue.objects.bulk_create(
        (
            ImportIssue(
                job=job,
                county_code=job.county_code,
                row_number=issue.row_number,
                field=issue.field[:60],
                header=issue.header[:100],
                code=issue.code[:100],
                message=issue.message,
                value=issue.value[:200],
            )
            for issue in issues
        ),
        batch_size=1000,
    )


def _db_progress(job_id: int) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress_done=done, progress_total=total)

    return report


def _cache_progress(job_id: int) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        cache.set(progress_key(job_id), (done, total), timeout=6 * 3600)

    return report


def _fail(job_id: int, code: str, message: str) -> ImportJob:
    with transaction.atomic(durable=True):
        job = _locked(job_id)
        if Status.FAILED not in ImportJob.TRANSITIONS[job.status]:
            return job
        _move(job, Status.FAILED)
        job.error_code = code[:80]
        job.error_message = message
        job.finished_at = timezone.now()
        stored, job.storage_name = job.storage_name, ""
        job.save(
            update_fields=["status", "error_code", "error_message", "finished_at", "storage_name"]
        )
        _audit(
            job,
            "imports.job.failed",
            job.committed_by or job.created_by,
            {"code": code},
            outcome=AuditEvent.Outcome.FAILURE,
        )
        transaction.on_commit(partial(delete_upload, stored))
    return job


# --- upload and preview --------------------------------------------------------------------


def import_upload(*, kind: str, file_name: str, data: bytes, actor: Any) -> ImportJob:
    """Check and store an upload, then validate it (inline, or queued when big). File-level
    problems raise before any job exists: `import.file_too_large` (413), `import.file_type`,
    `import.zip_bomb`, `import.no_header`, `import.missing_columns` …"""
    adapter = _import_adapter(kind, actor)
    max_bytes = limit("IMPORT_MAX_BYTES")
    if len(data) > max_bytes:
        raise FileTooLarge(max_bytes)
    name = clean_file_name(file_name)
    with engine.open_upload(data, name) as table:
        # The content is a spreadsheet; a name that claims otherwise (`名单.exe`) is refused.
        refuse_declared_mismatch(SPREADSHEET, file_name=file_name)
        located = engine.locate(table, adapter)
        estimated = located.estimated_rows
        file_format = table.format
    background = estimated is None or estimated > limit("IMPORT_BACKGROUND_ROWS")
    region = writer_region(actor)
    stored = store_upload(data)
    try:
        with transaction.atomic(durable=True):
            job = ImportJob.objects.create(
                kind=adapter.kind,
                created_by=actor,
                region_id=region,
                county_code=region[:6] if region else "",
                file_name=name,
                file_format=file_format,
                file_size=len(data),
                storage_name=stored,
                background=background,
                progress_total=estimated or 0,
            )
            _audit(
                job,
                "imports.job.uploaded",
                actor,
                {"file_name": name, "file_size": len(data), "background": background},
            )
            if background:
                transaction.on_commit(partial(_queue, "validate", job.pk))
    except BaseException:
        delete_upload(stored)
        raise
    if not background:
        return import_validate(job_id=job.pk)
    job.refresh_from_db()
    return job


def _queue(step: str, job_id: int) -> None:
    from . import tasks

    task = tasks.validate_job if step == "validate" else tasks.commit_job
    task.delay(job_id)


def import_validate(*, job_id: int) -> ImportJob:
    """Preview: read and check every row, store counts and issues; writes no register row.
    Safe to run again (a retried task starts the validation over)."""
    with transaction.atomic(durable=True):
        job = _locked(job_id)
        if job.status not in (Status.UPLOADED, Status.VALIDATING):
            return job
        if job.status == Status.UPLOADED:
            _move(job, Status.VALIDATING)
        job.progress_done = 0
        job.save(update_fields=["status", "progress_done"])
        ImportIssue.objects.filter(job=job).delete()
    try:
        adapter = adapter_or_404(job.kind)
        data = load_upload(job.storage_name)
        ctx = import_context(user=job.created_by)
        outcome = engine.run(
            data, adapter, ctx, filename=job.file_name, progress=_db_progress(job.pk)
        )
    except DomainError as exc:
        return _fail(job_id, exc.code, str(exc.message))
    except Exception:
        logger.exception("import %s: validation failed", job_id)
        return _fail(
            job_id,
            "import.validate_failed",
            _("校验文件时出错，请稍后重试；如果一直出错，请联系管理员。"),
        )
    with transaction.atomic(durable=True):
        job = _locked(job_id)
        if job.status != Status.VALIDATING:  # cancelled meanwhile
            return job
        _apply(job, outcome)
        _store_issues(job, outcome.issues)
        _move(job, Status.PREVIEWED)
        job.save()
        _audit(job, "imports.job.previewed", job.created_by, _counts(job))
    return job


# --- commit --------------------------------------------------------------------------------


def import_commit(*, job: ImportJob, actor: Any) -> ImportJob:
    """Confirm a previewed job. A second call (or a concurrent one, which waits for the row
    lock) finds the job committing or committed and changes nothing."""
    _import_adapter(job.kind, actor)
    with transaction.atomic(durable=True):
        locked = _locked(job.pk)
        if locked.status in (Status.COMMITTING, Status.COMMITTED):
            return locked
        if locked.status == Status.PREVIEWED and locked.rows_valid == 0:
            raise ValidationFailed(
                _("没有可以导入的有效行，请修正错误后重新上传。"), code="import.nothing_valid"
            )
        _move(locked, Status.COMMITTING)
        locked.committed_by = actor
        locked.background = locked.rows_total > limit("IMPORT_BACKGROUND_ROWS")
        locked.progress_done = 0
        locked.progress_total = locked.rows_total + locked.rows_empty
        locked.save(
            update_fields=[
                "status",
                "committed_by",
                "background",
                "progress_done",
                "progress_total",
            ]
        )
        if locked.background:
            transaction.on_commit(partial(_queue, "commit", locked.pk))
    if not locked.background:
        return import_run_commit(job_id=locked.pk)
    return locked


def import_run_commit(*, job_id: int) -> ImportJob:
    """Re-read and re-validate the stored file and write every valid row, all in one
    transaction: any exception rolls everything back and the job fails with a message."""
    try:
        with transaction.atomic(durable=True):
            job = _locked(job_id)
            if job.status != Status.COMMITTING:
                return job
            actor = job.committed_by or job.created_by
            adapter = adapter_or_404(job.kind)
            data = load_upload(job.storage_name)
            ctx = import_context(user=actor)
            outcome = engine.run(
                data,
                adapter,
                ctx,
                filename=job.file_name,
                write=True,
                progress=_cache_progress(job.pk),
            )
            if outcome.rows_valid == 0:
                raise ValidationFailed(
                    _("重新校验后没有可以导入的有效行（数据可能已被他人录入）。"),
                    code="import.nothing_valid",
                )
            _apply(job, outcome)
            job.rows_created = outcome.created
            job.rows_updated = outcome.updated
            _store_issues(job, outcome.issues)
            _move(job, Status.COMMITTED)
            job.finished_at = timezone.now()
            stored, job.storage_name = job.storage_name, ""
            job.save()
            _audit(
                job,
                "imports.job.committed",
                actor,
                {**_counts(job), "created": job.rows_created, "updated": job.rows_updated},
            )
            transaction.on_commit(partial(delete_upload, stored))
    except DomainError as exc:
        return _fail(
            job_id,
            exc.code,
            _("导入没有完成，没有写入任何数据：%(reason)s") % {"reason": exc.message},
        )
    except Exception:
        logger.exception("import %s: commit failed", job_id)
        return _fail(
            job_id,
            "import.commit_failed",
            _("导入过程中出错，没有写入任何数据。请稍后重试；如果一直出错，请联系管理员。"),
        )
    finally:
        cache.delete(progress_key(job_id))
    return job


def import_cancel(*, job: ImportJob, actor: Any) -> ImportJob:
    with transaction.atomic(durable=True):
        locked = _locked(job.pk)
        if locked.status == Status.CANCELLED:
            return locked
        _move(locked, Status.CANCELLED)
        locked.finished_at = timezone.now()
        stored, locked.storage_name = locked.storage_name, ""
        locked.save(update_fields=["status", "finished_at", "storage_name"])
        _audit(locked, "imports.job.cancelled", actor, {})
        transaction.on_commit(partial(delete_upload, stored))
    return locked


def import_purge_stale(*, days: int) -> int:
    """Retention (PIPL art. 19): uploads of jobs left uncommitted for `days` days are deleted
    and the jobs cancelled (`imports.job.expired`); jobs stuck committing fail. Committed,
    failed and cancelled jobs hold no upload already. Returns the number of jobs expired. Safe
    to run again."""
    cutoff = timezone.now() - timedelta(days=days)
    stale = ImportJob.objects.filter(
        created_at__lt=cutoff,
        status__in=[Status.UPLOADED, Status.VALIDATING, Status.PREVIEWED],
    ).values_list("pk", flat=True)
    expired = 0
    # A commit task lost with its broker leaves the job "committing": nothing was written
    # (the commit is one transaction), so it fails with a message and can be uploaded again.
    stuck = ImportJob.objects.filter(created_at__lt=cutoff, status=Status.COMMITTING)
    for job_id in list(stuck.values_list("pk", flat=True)):
        _fail(job_id, "import.expired", _("导入没有完成，没有写入任何数据，请重新上传。"))
        expired += 1
    for job_id in list(stale):
        with transaction.atomic(durable=True):
            job = _locked(job_id)
            if Status.CANCELLED not in ImportJob.TRANSITIONS[job.status]:
                continue
            _move(job, Status.CANCELLED)
            job.finished_at = timezone.now()
            job.error_code = "import.expired"
            job.error_message = _("超过 %(days)d 天未确认，上传的文件已删除，请重新上传。") % {
                "days": days
            }
            stored, job.storage_name = job.storage_name, ""
            job.save(
                update_fields=[
                    "status",
                    "finished_at",
                    "error_code",
                    "error_message",
                    "storage_name",
                ]
            )
            _audit(job, "imports.job.expired", None, {"days": days})
            transaction.on_commit(partial(delete_upload, stored))
            expired += 1
    return expired


# --- downloads -----------------------------------------------------------------------------


def template_build(*, kind: str, actor: Any) -> tuple[bytes, str]:
    """(xlsx, file name) of the import template of a kind."""
    adapter = _import_adapter(kind, actor)
    content = build_template(
        adapter,
        max_rows=limit("IMPORT_MAX_ROWS"),
        max_mib=max(limit("IMPORT_MAX_BYTES") // (1024 * 1024), 1),
    )
    return content, _("%(label)s导入模板.xlsx") % {"label": adapter.label}


def error_report_build(*, job: ImportJob) -> tuple[bytes, str]:
    issues = import_issues(job).values_list("row_number", "header", "code", "message", "value")
    title = _("%(file)s 的错误报告：共 %(rows)d 行数据，%(invalid)d 行有错误") % {
        "file": job.file_name,
        "rows": job.rows_total,
        "invalid": job.rows_invalid,
    }
    stored = import_issues(job).count()
    content = build_error_report(
        issues.iterator(chunk_size=2000), title=title, omitted=max(job.issues_total - stored, 0)
    )
    base = job.file_name.rsplit(".", 1)[0] if "." in job.file_name else job.file_name
    return content, _("%(name)s_错误报告.xlsx") % {"name": base[:80]}


def export_create(
    *, kind: str, actor: Any, filters: Mapping[str, str] | None = None
) -> tuple[bytes, str]:
    """(xlsx, file name): the records the actor may see, masked by the adapter's export_row,
    with the template's headers; audited."""
    adapter = adapter_or_404(kind)
    _require(
        actor,
        adapter.export_permission,
        _("您没有导出“%(label)s”的权限。") % {"label": adapter.label},
    )
    ctx = import_context(user=actor, filters=filters, reading=True)
    queryset = adapter.export_queryset(ctx)
    max_rows = limit("EXPORT_MAX_ROWS")
    if queryset.order_by()[: max_rows + 1].count() > max_rows:
        raise ValidationFailed(
            _("要导出的记录超过 %(max)d 条，请先用筛选条件缩小范围。") % {"max": max_rows},
            code="export.too_many_rows",
        )
    rows = (adapter.export_row(obj) for obj in queryset.iterator(chunk_size=2000))
    content, count = build_export(adapter, rows)
    with transaction.atomic(durable=True):
        audit_record(
            action="imports.export.created",
            actor=actor,
            target_label=str(adapter.label),
            region_code=writer_region(actor) or "",
            changes={"kind": kind, "rows": count, "filters": dict(filters or {})},
        )
    name = _("%(label)s导出_%(date)s.xlsx") % {
        "label": adapter.label,
        "date": timezone.localdate().strftime("%Y%m%d"),
    }
    return content, name
