"""Pages of volunteer activities.

Volunteer (mobile): activity list and sign-up, an activity's page, sign-in/sign-out by
scanning the QR code the organiser shows (`scan`), my activities with hours and stars.
Organiser: create an activity, its page with the two QR codes (refreshed before they expire)
and the sign-in sheet, the verification queue (verify / reject / correct), the export."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import in_scope
from wushe.core.errors import DomainError, NotFound
from wushe.core.forms import show_domain_error
from wushe.core.paging import render_list
from wushe.volunteers.models import Volunteer
from wushe.volunteers.stars import next_star_hours, stars_for_minutes

from . import export, qr, selectors, services
from .forms import ActivityForm, ReasonForm, SignOutForm
from .models import Activity, Certificate, RecordStatus, ServiceRecord, SignUpStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _not_found_is_404(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        return response

    return wrapped


def _activity(pk: int) -> Activity:
    activity = Activity.objects.select_related("region", "organiser").filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def certificate_check(request: HttpRequest) -> HttpResponse:
    """Public verification of a certificate by its number (no login): validity, hours,
    issue date and issuing region; no personal data."""
    number = request.GET.get("number", "").strip().upper()[:32]
    certificate = None
    if number:
        certificate = Certificate.objects.select_related("region").filter(number=number).first()
    return render(
        request,
        "activities/certificate_check.html",
        {"number": number, "certificate": certificate},
    )


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    when = "all" if request.GET.get("when") == "all" else "upcoming"
    return render_list(
        request,
        queryset=selectors.activities_list(when=when),
        template="activities/list.html",
        partial_template="activities/_list_results.html",
        context={
            "when": when,
            "can_add": request.user.has_perm("activities.add_activity"),
            "can_verify": request.user.has_perm("activities.verify_records"),
            "is_volunteer": request.user.has_perm("activities.volunteer"),
            "managed": selectors.activities_managed(user=request.user)[:10]
            if request.user.has_perm("activities.add_activity")
            else [],
        },
    )


@login_required
@_not_found_is_404
def activity_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("activities.add_activity"):
        raise PermissionDenied
    regions = selectors.region_choices(user=request.user, roles=services.ORGANISER_ROLES)
    form = ActivityForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_create(
                region_code=data["region"].code,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                description=data["description"],
                actor=request.user,
            )
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("活动已创建。"))
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/create.html", {"form": form})


def _qr_context(request: HttpRequest, activity: Activity) -> dict[str, Any]:
    codes = []
    for action, label in (("in", _("签到")), ("out", _("签退"))):
        token = services.scan_token(activity=activity, action=action)
        url = request.build_absolute_uri(reverse("activities:scan", args=[token]))
        codes.append({"action": action, "label": label, "url": url, "svg": qr.svg(url)})
    return {
        "activity": activity,
        "codes": codes,
        "valid_seconds": services.SCAN_VALID_SECONDS,
        "refresh_seconds": services.SCAN_VALID_SECONDS // 2,
        "generated_at": timezone.now(),
    }


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(pk)
    volunteer = selectors.volunteer_of(user=request.user)
    manages = request.user.has_perm("activities.manage_activity", activity)
    context: dict[str, Any] = {
        "activity": activity,
        "volunteer": volunteer,
        "signup": selectors.signup_of(activity=activity, volunteer=volunteer),
        "manages": manages,
        "open": activity.ends_at > timezone.now(),
    }
    if manages:
        context.update(_qr_context(request, activity))
        context["sheet"] = list(selectors.signups_of(activity=activity))
    return render(request, "activities/detail.html", context)


@login_required
def activity_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR codes alone (the organiser's page swaps them in before they expire)."""
    activity = _activity(pk)
    if not request.user.has_perm("activities.manage_activity", activity):
        raise Http404
    return render(request, "activities/_qr.html", _qr_context(request, activity))


@login_required
@require_POST
@_not_found_is_404
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity(pk)
    volunteer = selectors.volunteer_of(user=request.user)
    if volunteer is None:
        raise Http404
    try:
        if request.POST.get("cancel"):
            existing = selectors.signup_of(activity=activity, volunteer=volunteer)
            if existing is not None:
                services.signup_cancel(signup=existing, actor=request.user)
            messages.success(request, _("已取消报名。"))
        else:
            services.signup_create(activity=activity, volunteer=volunteer, actor=request.user)
            messages.success(request, _("报名成功。活动当天请扫描组织者出示的二维码签到。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("activities:detail", pk=activity.pk)


@login_required
@_not_found_is_404
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """What the phone opens after scanning a code: the volunteer confirms, and is signed in or
    out. An expired code says so; a forged one is a 404."""
    volunteer = selectors.volunteer_of(user=request.user)
    try:
        activity, action = services.scan_read(token)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return render(request, "activities/scan.html", {"error": exc.message}, status=409)
    form = SignOutForm(request.POST or None) if action == "out" else None
    signup = selectors.signup_of(activity=activity, volunteer=volunteer)
    context = {"activity": activity, "action": action, "form": form, "signup": signup}
    if volunteer is None:
        context["error"] = _("您的账号没有关联志愿者登记，请联系社区登记后再签到。")
        return render(request, "activities/scan.html", context)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if action == "in":
                services.sign_in(activity=activity, volunteer=volunteer, actor=request.user)
                messages.success(request, _("签到成功。"))
            else:
                assert form is not None
                services.sign_out(
                    activity=activity,
                    volunteer=volunteer,
                    actor=request.user,
                    travel_minutes=form.cleaned_data["travel_minutes"],
                )
                messages.success(request, _("签退成功，服务记录已提交，等待组织者认证。"))
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            context["error"] = exc.message
            return render(request, "activities/scan.html", context, status=409)
        return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/scan.html", context)


@login_required
@require_POST
@_not_found_is_404
def sheet_action(request: HttpRequest, pk: int, volunteer_pk: int) -> HttpResponse:
    """The organiser signs a volunteer in or out on the sheet (no phone at hand)."""
    activity = _activity(pk)
    if not request.user.has_perm("activities.manage_activity", activity):
        raise Http404
    volunteer = Volunteer.objects.filter(pk=volunteer_pk).first()
    if volunteer is None:
        raise Http404
    try:
        if request.POST.get("action") == "out":
            services.sign_out(activity=activity, volunteer=volunteer, actor=request.user)
        else:
            services.sign_in(activity=activity, volunteer=volunteer, actor=request.user)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, str(exc.message))
    return redirect("activities:detail", pk=activity.pk)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """My activities, my verified hours and stars, my records."""
    volunteer = selectors.volunteer_of(user=request.user)
    if volunteer is None:
        return render(request, "activities/mine.html", {"volunteer": None})
    minutes = volunteer.verified_minutes
    return render(
        request,
        "activities/mine.html",
        {
            "volunteer": volunteer,
            "hours": round(minutes / 60, 1),
            "stars": range(stars_for_minutes(minutes)),
            "next_star": next_star_hours(minutes),
            "signups": selectors.signups_mine(volunteer=volunteer)[:50],
            "records": selectors.records_mine(volunteer=volunteer)[:100],
            "cancelled": SignUpStatus.CANCELLED,
            "certificates": Certificate.objects.filter(volunteer=volunteer, revoked=False).order_by(
                "-issued_on", "-pk"
            )[:10],
        },
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("activities.verify_records"):
        raise PermissionDenied
    status = request.GET.get("status") or RecordStatus.SUBMITTED
    if status not in RecordStatus.values:
        status = RecordStatus.SUBMITTED
    qs = selectors.records_visible(user=request.user, status=status).exclude(
        volunteer__user_id=request.user.pk or 0
    )
    return render_list(
        request,
        queryset=qs,
        template="activities/queue.html",
        partial_template="activities/_queue_results.html",
        context={"status": status, "statuses": RecordStatus.choices, "reason_form": ReasonForm()},
    )


@login_required
@require_POST
@_not_found_is_404
def record_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    record: ServiceRecord = selectors.record_get(user=request.user, record_id=pk)
    try:
        if action == "verify":
            services.record_verify(record=record, actor=request.user)
            messages.success(request, _("已认证，服务时长已计入。"))
        elif action == "reject":
            services.record_reject(
                record=record, reason=request.POST.get("reason", ""), actor=request.user
            )
            messages.success(request, _("已退回。"))
        elif action == "correct":
            services.record_correct(
                record=record, reason=request.POST.get("reason", ""), actor=request.user
            )
            messages.success(request, _("已更正：追加了一条冲正记录。"))
        else:
            raise Http404
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, str(exc.message))
    back = request.POST.get("next", "")
    if back.startswith("/activities/"):
        return redirect(back)
    return redirect("activities:queue")


@login_required
def export_records(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("activities.verify_records"):
        raise PermissionDenied
    content, _count = export.build(selectors.records_for_export(user=request.user))
    response = HttpResponse(content, content_type=XLSX)
    name = f"volunteer-records-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
@_not_found_is_404
def certificate_issue(request: HttpRequest) -> HttpResponse:
    """A worker issues a certificate of service for a volunteer (by volunteer number) of
    their region, then prints it."""
    number = request.POST.get("volunteer_number", "").strip()[:32]
    volunteer = Volunteer.objects.filter(number=number).first() if number else None
    if volunteer is None:
        messages.error(request, _("没有找到该志愿者编号。"))
        return redirect("activities:queue")
    try:
        certificate = services.certificate_issue(volunteer=volunteer, actor=request.user)
    except NotFound:
        messages.error(request, _("没有找到该志愿者编号。"))
        return redirect("activities:queue")
    return redirect("activities:certificate_print", number=certificate.number)


@login_required
def certificate_print(request: HttpRequest, number: str) -> HttpResponse:
    """The printable certificate (志愿服务记录证明): for the volunteer themself and for workers
    of the issuing region. The ID number is shown masked."""
    certificate = (
        Certificate.objects.select_related("volunteer", "region", "issued_by")
        .filter(number=number)
        .first()
    )
    if certificate is None:
        raise Http404
    own = certificate.volunteer.user_id == request.user.pk
    if not own and not in_scope(request.user, certificate.region_id, WRITER_ROLES):
        raise Http404
    records = (
        ServiceRecord.objects.filter(volunteer=certificate.volunteer, status=RecordStatus.VERIFIED)
        .values_list("activity__title", flat=True)
        .distinct()
        .order_by("activity__title")[:8]
    )
    return render(
        request,
        "activities/certificate_print.html",
        {
            "certificate": certificate,
            "volunteer": certificate.volunteer,
            "hours": round(certificate.minutes / 60, 1),
            "contents": [t.removeprefix("【示范】") for t in records],
            "check_url": request.build_absolute_uri(reverse("activities:certificate_check"))
            + f"?number={certificate.number}",
        },
    )
