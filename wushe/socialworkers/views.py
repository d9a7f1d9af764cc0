from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound
from wushe.core.paging import render_list

from . import selectors, services
from .forms import (
    EducationForm,
    RenewalForm,
    SocialWorkerFilterForm,
    SocialWorkerForm,
    show_errors,
)
from .models import SocialWorker


def _worker_or_404(request: HttpRequest, worker_id: int) -> SocialWorker:
    try:
        return selectors.social_worker_get(user=request.user, worker_id=worker_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def worker_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("socialworkers.view_socialworker"):
        raise PermissionDenied
    today = timezone.localdate()
    form = SocialWorkerFilterForm(request.GET or None)
    filters = selectors.SocialWorkerFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.SocialWorkerFilter(
            q=data["q"],
            level=data["level"],
            status=data["status"],
            region=data["region"],
            resident_at_station={"1": True, "0": False}.get(data["resident"]),
            warning=data["warning"],
        )
    workers = selectors.social_worker_search(user=request.user, filters=filters, today=today)
    if form.errors:
        workers = workers.none()
    return render_list(
        request,
        queryset=workers,
        template="socialworkers/list.html",
        partial_template="socialworkers/_results.html",
        context={
            "form": form,
            "counts": selectors.warning_counts(user=request.user, today=today),
            "today": today,
            "can_add": request.user.has_perm("socialworkers.add_socialworker"),
        },
    )


def _detail_context(
    request: HttpRequest,
    worker: SocialWorker,
    renewal_form: RenewalForm | None = None,
    education_form: EducationForm | None = None,
) -> dict[str, Any]:
    user = request.user
    return {
        "worker": worker,
        "standing": selectors.standing_of(worker),
        "renewals": list(selectors.renewals_of(worker=worker)),
        "education": list(selectors.education_of(worker=worker)),
        "can_change": user.has_perm("socialworkers.change_socialworker", worker),
        "can_record_education": user.has_perm("socialworkers.record_education", worker),
        "can_reveal": user.has_perm("socialworkers.reveal_socialworker", worker),
        "renewal_form": renewal_form or RenewalForm(),
        "education_form": education_form or EducationForm(),
    }


@login_required
def worker_detail(request: HttpRequest, worker_id: int) -> HttpResponse:
    worker = _worker_or_404(request, worker_id)
    return render(request, "socialworkers/detail.html", _detail_context(request, worker))


@login_required
def worker_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("socialworkers.add_socialworker"):
        raise PermissionDenied
    form = SocialWorkerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        try:
            worker = services.social_worker_create(
                actor=request.user,
                name=values["name"],
                id_number=values["id_number"],
                phone=values["phone"],
                certificate_level=values["certificate_level"],
                certificate_number=values["certificate_number"],
                certificate_date=values["certificate_date"],
                registered_on=values["registered_on"],
                region_code=values["region"],
                employer_id=values["employer"],
                station_id=values["station"],
                resident_at_station=values["resident_at_station"],
                is_community_worker=values["is_community_worker"],
                status=values["status"],
                user_id=values["user"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("社会工作者已登记。"))
            return redirect("socialworkers:detail", worker_id=worker.pk)
    return render(request, "socialworkers/form.html", {"form": form, "worker": None})


@login_required
def worker_edit(request: HttpRequest, worker_id: int) -> HttpResponse:
    worker = _worker_or_404(request, worker_id)
    if not request.user.has_perm("socialworkers.change_socialworker", worker):
        raise PermissionDenied
    initial = {
        "name": worker.name,
        "certificate_level": worker.certificate_level,
        "certificate_number": worker.certificate_number,
        "certificate_date": worker.certificate_date,
        "registered_on": worker.registered_on,
        "region": worker.region_id,
        "employer": worker.employer_id,
        "station": worker.station_id,
        "resident_at_station": worker.resident_at_station,
        "is_community_worker": worker.is_community_worker,
        "status": worker.status,
        "username": worker.user.username if worker.user_id else "",  # type: ignore[union-attr]
    }
    form = SocialWorkerForm(
        request.POST or None,
        initial=initial,
        user=request.user,
        editing=True,
        employer_id=worker.employer_id,
        station_id=worker.station_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.social_worker_update(
                actor=request.user, worker_id=worker.pk, changes=form.service_values()
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("社会工作者信息已保存。"))
            return redirect("socialworkers:detail", worker_id=worker.pk)
    return render(request, "socialworkers/form.html", {"form": form, "worker": worker})


@login_required
@require_POST
def renewal_add(request: HttpRequest, worker_id: int) -> HttpResponse:
    worker = _worker_or_404(request, worker_id)
    if not request.user.has_perm("socialworkers.change_socialworker", worker):
        raise PermissionDenied
    form = RenewalForm(request.POST)
    if form.is_valid():
        try:
            services.renewal_record(
                actor=request.user,
                worker_id=worker.pk,
                renewed_on=form.cleaned_data["renewed_on"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("延续登记已记录。"))
            return redirect("socialworkers:detail", worker_id=worker.pk)
    context = _detail_context(request, worker, renewal_form=form)
    return render(request, "socialworkers/detail.html", context, status=422)


@login_required
@require_POST
def education_add(request: HttpRequest, worker_id: int) -> HttpResponse:
    worker = _worker_or_404(request, worker_id)
    if not request.user.has_perm("socialworkers.record_education", worker):
        raise PermissionDenied
    form = EducationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.education_record(
                actor=request.user,
                worker_id=worker.pk,
                taken_on=data["taken_on"],
                hours=data["hours"],
                provider=data["provider"],
                topic=data["topic"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("继续教育记录已保存。"))
            return redirect("socialworkers:detail", worker_id=worker.pk)
    context = _detail_context(request, worker, education_form=form)
    return render(request, "socialworkers/detail.html", context, status=422)
