from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet

from wushe.accounts.roles import Role
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import NotFound

from .adapters import ImportAdapter, adapter_for, all_adapters
from .models import ImportIssue, ImportJob


def adapter_or_404(kind: str) -> ImportAdapter:
    adapter = adapter_for(kind)
    if adapter is None:
        raise NotFound(
            "没有这种导入导出类型。",
            code="import.kind_unknown",
            fields={"kind": kind[:40]},
        )
    return adapter


def importable_adapters(user: Any) -> list[ImportAdapter]:
    return [a for a in all_adapters() if user.has_perm(a.import_permission)]


def exportable_adapters(user: Any) -> list[ImportAdapter]:
    return [a for a in all_adapters() if user.has_perm(a.export_permission)]


def import_jobs_visible(user: Any) -> QuerySet[ImportJob]:
    """Jobs are private: their creator sees them, and admins those of their scope (a
    nationwide admin sees all). Everyone else gets 404."""
    jobs = ImportJob.objects.select_related("created_by", "region")
    if not getattr(user, "is_authenticated", False):
        return jobs.none()
    admin_prefixes = scope_prefixes(user, [Role.ADMIN])
    if NATIONWIDE in admin_prefixes:
        return jobs
    visible = Q(created_by=user)
    if admin_prefixes:
        visible |= scope_q(user, "region", [Role.ADMIN])
    return jobs.filter(visible)


def import_job_get(*, user: Any, job_id: int) -> ImportJob:
    job = import_jobs_visible(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


def import_issues(job: ImportJob) -> QuerySet[ImportIssue]:
    return ImportIssue.objects.filter(job=job).order_by("row_number", "id")


def progress_key(job_id: int) -> str:
    return f"wushe:imports:{job_id}:progress"


def import_progress(job: ImportJob) -> tuple[int, int]:
    """(done, total) rows. While committing, progress lives in the cache: the job row is
    locked inside the commit's transaction and its updates are invisible until the end."""
    if job.status == ImportJob.Status.COMMITTING:
        cached = cache.get(progress_key(job.pk))
        if cached:
            return int(cached[0]), int(cached[1])
        return 0, job.rows_total
    return job.progress_done, job.progress_total


def adapter_for_label(kind: str) -> Any:
    """The Chinese name of a kind (the kind itself when its adapter is gone)."""
    adapter = adapter_for(kind)
    return adapter.label if adapter is not None else kind
