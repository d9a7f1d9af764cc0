"""Spreadsheet import and export over HTTP (mounted under /api/v1)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.paging import CappedLimitOffsetPagination

from .errors import FileTooLarge
from .limits import limit
from .models import ImportIssue, ImportJob
from .selectors import (
    adapter_for_label,
    import_issues,
    import_job_get,
    import_jobs_visible,
    import_progress,
)
from .services import (
    error_report_build,
    export_create,
    import_cancel,
    import_commit,
    import_upload,
    template_build,
)
from .xlsx import XLSX_CONTENT_TYPE

router = Router(tags=["imports"], auth=API_AUTH)

_XLSX_RESPONSE = {
    "responses": {
        "200": {
            "description": "Excel (.xlsx)",
            "content": {XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class IssueOut(Schema):
    row_number: int
    field: str
    header: str
    code: str
    message: str
    value: str


class CountsOut(Schema):
    rows_total: int
    rows_valid: int
    rows_invalid: int
    rows_empty: int
    to_create: int
    to_update: int
    created: int
    updated: int
    issues: int


class ProgressOut(Schema):
    done: int
    total: int
    running: bool


class JobErrorOut(Schema):
    code: str
    message: str


class JobOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    file_name: str
    file_format: str
    file_size: int
    created_at: datetime
    created_by: str
    region_code: str | None
    background: bool
    sheet_name: str
    header_row: int | None
    unknown_columns: list[str]
    counts: CountsOut
    progress: ProgressOut
    error: JobErrorOut | None
    issues: list[IssueOut]
    issues_more: bool


class JobBriefOut(Schema):
    id: int
    kind: str
    status: str
    file_name: str
    created_at: datetime
    rows_total: int
    rows_invalid: int


def job_payload(job: ImportJob, *, issues: int | None = None) -> dict[str, Any]:
    shown = limit("IMPORT_PREVIEW_ISSUES") if issues is None else issues
    first = list(import_issues(job)[: shown + 1]) if shown else []
    done, total = import_progress(job)
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": str(adapter_for_label(job.kind)),
        "status": job.status,
        "status_label": job.get_status_display(),
        "file_name": job.file_name,
        "file_format": job.file_format,
        "file_size": job.file_size,
        "created_at": job.created_at,
        "created_by": job.created_by.get_username(),
        "region_code": job.region_id,
        "background": job.background,
        "sheet_name": job.sheet_name,
        "header_row": job.header_row,
        "unknown_columns": list(job.unknown_columns or []),
        "counts": {
            "rows_total": job.rows_total,
            "rows_valid": job.rows_valid,
            "rows_invalid": job.rows_invalid,
            "rows_empty": job.rows_empty,
            "to_create": job.rows_to_create,
            "to_update": job.rows_to_update,
            "created": job.rows_created,
            "updated": job.rows_updated,
            "issues": job.issues_total,
        },
        "progress": {"done": done, "total": total, "running": job.is_running},
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "issues": first[:shown],
        "issues_more": len(first) > shown or job.issues_total > len(first),
    }


def xlsx_response(content: bytes, filename: str) -> FileResponse:
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response


@router.post("/imports", response={201: JobOut}, summary="上传表格并预览（不写入数据）")
def upload(request: HttpRequest, kind: Form[str], file: File[UploadedFile]) -> Any:
    """multipart/form-data：`kind`（residents、volunteers、organizations、social_workers …）和
    `file`（.xlsx 或 CSV）。返回预览：各类行数、前 200 个问题（行号、列、错误代码、说明、
    脱敏后的原值）和未识别的列。大文件在后台校验，`progress` 给出进度。"""
    max_bytes = limit("IMPORT_MAX_BYTES")
    if (file.size or 0) > max_bytes:
        raise FileTooLarge(max_bytes)
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(max_bytes)
    job = import_upload(kind=kind, file_name=file.name or "", data=data, actor=request.user)
    return Status(201, job_payload(job))


@router.get("/imports", response=list[JobBriefOut], summary="我的导入任务")
@paginate(CappedLimitOffsetPagination)
def list_jobs(request: HttpRequest) -> QuerySet[ImportJob]:
    return import_jobs_visible(request.user)


@router.get("/imports/{int:job_id}", response=JobOut, summary="导入任务（预览、进度、结果）")
def get_job(request: HttpRequest, job_id: int) -> Any:
    return job_payload(import_job_get(user=request.user, job_id=job_id))


@router.get(
    "/imports/{int:job_id}/issues", response=list[IssueOut], summary="导入任务的全部问题（分页）"
)
@paginate(CappedLimitOffsetPagination)
def list_issues(request: HttpRequest, job_id: int) -> QuerySet[ImportIssue]:
    return import_issues(import_job_get(user=request.user, job_id=job_id))


@router.post("/imports/{int:job_id}/commit", response=JobOut, summary="确认导入")
def commit(request: HttpRequest, job_id: int) -> Any:
    """在一个事务中写入全部有效行（有错误的行跳过）；任何异常都不写入任何数据。
    重复调用不会重复写入。"""
    job = import_job_get(user=request.user, job_id=job_id)
    return job_payload(import_commit(job=job, actor=request.user))


@router.post("/imports/{int:job_id}/cancel", response=JobOut, summary="取消导入")
def cancel(request: HttpRequest, job_id: int) -> Any:
    job = import_job_get(user=request.user, job_id=job_id)
    return job_payload(import_cancel(job=job, actor=request.user))


@router.get(
    "/imports/{int:job_id}/errors.xlsx",
    summary="下载错误报告（.xlsx）",
    openapi_extra=_XLSX_RESPONSE,
)
def error_report(request: HttpRequest, job_id: int) -> FileResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    content, name = error_report_build(job=job)
    return xlsx_response(content, name)


@router.get(
    "/imports/templates/{kind}", summary="下载导入模板（.xlsx）", openapi_extra=_XLSX_RESPONSE
)
def template(request: HttpRequest, kind: str) -> FileResponse:
    content, name = template_build(kind=kind, actor=request.user)
    return xlsx_response(content, name)


@router.get("/exports/{kind}", summary="导出台账（.xlsx，已脱敏）", openapi_extra=_XLSX_RESPONSE)
def export(request: HttpRequest, kind: str) -> FileResponse:
    """查询参数作为筛选条件交给对应台账（与列表页相同的参数）。"""
    filters = {key: request.GET.get(key, "") for key in request.GET}
    content, name = export_create(kind=kind, actor=request.user, filters=filters)
    return xlsx_response(content, name)
