"""Pages: choose a kind and upload, preview with issues and a progress bar, confirm, download
templates, error reports and exports. All work goes through services/selectors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wushe.core.errors import DomainError, NotFound, PermissionDenied
from wushe.core.paging import CappedPaginator

from .api import xlsx_response
from .errors import FileTooLarge
from .forms import UploadForm
from .limits import limit
from .selectors import (
    adapter_for_label,
    import_issues,
    import_job_get,
    import_jobs_visible,
    import_progress,
    importable_adapters,
)
from .services import (
    error_report_build,
    export_create,
    import_cancel,
    import_commit,
    import_upload,
    template_build,
)


def _http_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """NotFound → 404 page, PermissionDenied → 403 page (the platform's error pages)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc

    return wrapped


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@login_required
@_http_errors
def index(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("imports.use_imports"):
        raise DjangoPermissionDenied
    adapters = importable_adapters(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, adapters=adapters)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        max_bytes = limit("IMPORT_MAX_BYTES")
        try:
            if (upload.size or 0) > max_bytes:
                raise FileTooLarge(max_bytes)
            job = import_upload(
                kind=form.cleaned_data["kind"],
                file_name=upload.name or "",
                data=upload.read(max_bytes + 1),
                actor=request.user,
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            form.add_error("file", str(exc.message))
            status = exc.status
        else:
            return redirect("imports:detail", job_id=job.pk)
    elif request.method == "POST":
        status = 422
    jobs = import_jobs_visible(request.user).filter(created_by_id=request.user.pk)[:20]
    context = {"form": form, "adapters": adapters, "jobs": jobs}
    return render(request, "imports/index.html", context, status=status)


@login_required
@_http_errors
def detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    page = CappedPaginator(import_issues(job), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    done, total = import_progress(job)
    context = {
        "job": job,
        "kind_label": adapter_for_label(job.kind),
        "page": page,
        "query": query.urlencode(),
        "done": done,
        "total": total,
    }
    return render(request, "imports/detail.html", context)


@login_required
@require_GET
@_http_errors
def progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """Polled every second by the job page while the job runs; when it stops, HTMX reloads
    the page to show the preview or the result."""
    job = import_job_get(user=request.user, job_id=job_id)
    done, total = import_progress(job)
    response = render(request, "imports/_progress.html", {"job": job, "done": done, "total": total})
    if not job.is_running:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
@_http_errors
def commit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    try:
        job = import_commit(job=job, actor=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        if job.status == job.Status.COMMITTED:
            messages.success(
                request,
                _done_message(job.rows_created, job.rows_updated, job.rows_invalid),
            )
        elif job.status == job.Status.FAILED:
            messages.error(request, job.error_message)
    return redirect("imports:detail", job_id=job.pk)


def _done_message(created: int, updated: int, skipped: int) -> str:
    return _(
        "导入完成：新增 %(created)d 条，更新 %(updated)d 条，跳过有错误的 %(skipped)d 行。"
    ) % {
        "created": created,
        "updated": updated,
        "skipped": skipped,
    }


@login_required
@require_POST
@_http_errors
def cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = import_job_get(user=request.user, job_id=job_id)
    try:
        import_cancel(job=job, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("imports:index")


@login_required
@require_GET
@_http_errors
def error_report(request: HttpRequest, job_id: int) -> HttpResponseBase:
    job = import_job_get(user=request.user, job_id=job_id)
    content, name = error_report_build(job=job)
    return xlsx_response(content, name)


@login_required
@require_GET
@_http_errors
def template(request: HttpRequest, kind: str) -> HttpResponseBase:
    content, name = template_build(kind=kind, actor=request.user)
    return xlsx_response(content, name)


@login_required
@require_GET
@_http_errors
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    """Registers link here from their list pages, passing their GET filters through."""
    filters = {key: request.GET.get(key, "") for key in request.GET if key != "page"}
    try:
        content, name = export_create(kind=kind, actor=request.user, filters=filters)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(request, "core:home")
    return xlsx_response(content, name)
