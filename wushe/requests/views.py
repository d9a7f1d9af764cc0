"""Pages of 民呼我为: residents (mobile first) submit, follow, confirm, rate, reopen, cancel;
workers work an inbox by state and deadline, accept in bulk, dispatch, follow up;
township and county see the supervision list; handlers see their tasks. Every write is a
service call; a DomainError becomes a message on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound, ValidationFailed
from wushe.core.images import image_accept, image_response, read_upload
from wushe.core.paging import render_list

from . import rules, selectors, services
from .forms import (
    BUCKET_LABELS,
    DispatchForm,
    FollowUpForm,
    InboxFilterForm,
    MergeForm,
    NoteForm,
    RatingForm,
    ReasonForm,
    ResolveForm,
    SubmitForm,
    SuperviseForm,
    show_errors,
)
from .models import Channel, EventKind, Level, PhotoStage, Request, Status
from .rules import INTAKE_ROLES
from .services._common import forbidden
from .services.photos import MAX_PHOTOS_PER_STAGE


def _get(request: HttpRequest, request_id: int) -> Request:
    try:
        return selectors.request_get(user=request.user, request_id=request_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _photos(files: list[Any]) -> list[Any]:
    if len(files) > MAX_PHOTOS_PER_STAGE:
        raise ValidationFailed(
            _("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS_PER_STAGE},
            code="request.photos.too_many",
            fields={"photos": [_("照片过多。")]},
        )
    return [image_accept(read_upload(f), file_name=f.name or "") for f in files]


# --- residents ------------------------------------------------------------------------------


@login_required
def request_submit(request: HttpRequest) -> HttpResponse:
    """我要求助. Workers file requests from other channels with the same form."""
    if not request.user.has_perm("requests.add_request"):
        raise PermissionDenied
    from wushe.accounts.scoping import has_role

    worker = has_role(request.user, *INTAKE_ROLES)
    posted = request.method == "POST"
    form = SubmitForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
        worker=worker,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            photos = _photos(data["photos"])
            obj, created = services.request_submit(
                actor=request.user,
                region_code=data["region"],
                category=data["category"].code,
                description=data["description"],
                urgency=data["urgency"],
                channel=data.get("channel") or Channel.SELF_SERVICE,
                external_id=data.get("external_id", ""),
                address=data["address"],
                resident_id=data.get("resident_id"),
                idempotency_key=data["idempotency_key"],
                photos=photos,
            )
        except DomainError as exc:
            if exc.code == "idempotency.key_reused":
                form.add_error(
                    None, _("这份表单已经提交过。如需再提交一条诉求，请重新打开“我要求助”。")
                )
            else:
                show_errors(form, exc)
        else:
            if created:
                messages.success(
                    request, _("诉求已提交，编号 %(n)s。社区会尽快受理。") % {"n": obj.number}
                )
            return redirect("requests:detail", request_id=obj.pk)
    status = 422 if form.errors else 200
    return render(request, "requests/submit.html", {"form": form, "worker": worker}, status=status)


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    qs = selectors.my_requests(user=request.user)
    return render_list(
        request,
        queryset=qs,
        template="requests/mine.html",
        partial_template="requests/_mine_results.html",
        context={"can_submit": request.user.has_perm("requests.add_request")},
        per_page=20,
    )


def _timeline(obj: Request) -> list[dict[str, Any]]:
    labels = dict(Status.choices)
    rows = []
    for e in obj.events.all():
        extra = ""
        if e.kind == EventKind.ESCALATED:
            extra = str(Level(e.data.get("to_level", 2)).label)
        elif e.kind in {EventKind.DISPATCHED, EventKind.CLAIMED}:
            extra = "、".join(h.get("name", "") for h in e.data.get("handlers", []))
        elif e.kind in {EventKind.CONFIRMED, EventKind.RATED}:
            extra = "★" * int(e.data.get("rating", 0))
        rows.append(
            {
                "event": e,
                "to_label": labels.get(e.to_status, ""),
                "extra": extra,
            }
        )
    return rows


def _detail_context(request: HttpRequest, obj: Request, **forms: Any) -> dict[str, Any]:
    actions = rules.available_actions(request.user, obj)
    photos = list(obj.photos.all())
    return {
        "req": obj,
        "actions": actions,
        "timeline": _timeline(obj),
        "priority_reason": rules.priority_reason_labels(request.user, obj),
        "submitted_photos": [p for p in photos if p.stage == PhotoStage.SUBMITTED],
        "resolved_photos": [p for p in photos if p.stage == PhotoStage.RESOLVED],
        "rating_form": forms.get("rating_form") or RatingForm(),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "supervise_form": forms.get("supervise_form") or SuperviseForm(),
        "is_worker": request.user.has_perm("requests.view_inbox"),
        "levels": Level,
    }


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    obj = _get(request, request_id)
    return render(request, "requests/detail.html", _detail_context(request, obj))


def _act(request: HttpRequest, request_id: int, run: Callable[[], Any], done: str) -> HttpResponse:
    """Run a transition service; its error becomes a message; back to the detail page."""
    try:
        run()
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back:
        return redirect(back)
    return redirect("requests:detail", request_id=request_id)


def _redirect_next(request: HttpRequest, request_id: int) -> HttpResponse:
    return redirect("requests:detail", request_id=request_id)


@login_required
@require_POST
def request_confirm(request: HttpRequest, request_id: int) -> HttpResponse:
    obj = _get(request, request_id)
    if not rules.is_own(request.user, obj):  # permission before the form
        messages.error(request, str(forbidden().message))
        return _redirect_next(request, request_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, obj, rating_form=form)
        return render(request, "requests/detail.html", context, status=422)
    action = services.request_confirm
    if obj.status == Status.CLOSED:
        action = services.request_rate
    return _act(
        request,
        request_id,
        lambda: action(
            request_id=request_id,
            actor=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        ),
        _("感谢您的评价，诉求已办结。"),
    )


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return str(form.cleaned_data["reason"]) if form.is_valid() else ""


def _note(request: HttpRequest) -> str:
    form = NoteForm(request.POST)
    return str(form.cleaned_data["note"]) if form.is_valid() else ""


@login_required
@require_POST
def request_reopen(request: HttpRequest, request_id: int) -> HttpResponse:
    reason = _reason(request)
    return _act(
        request,
        request_id,
        lambda: services.request_reopen(request_id=request_id, actor=request.user, reason=reason),
        _("已重新提交，社区会再次办理。"),
    )


@login_required
@require_POST
def request_cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    reason = _reason(request)
    return _act(
        request,
        request_id,
        lambda: services.request_cancel(request_id=request_id, actor=request.user, reason=reason),
        _("诉求已撤销。"),
    )


# --- workers --------------------------------------------------------------------------------


@login_required
@require_POST
def request_accept(request: HttpRequest, request_id: int) -> HttpResponse:
    note = _note(request)
    return _act(
        request,
        request_id,
        lambda: services.request_accept(request_id=request_id, actor=request.user, note=note),
        _("已受理。"),
    )


@login_required
@require_POST
def request_reject(request: HttpRequest, request_id: int) -> HttpResponse:
    reason = _reason(request)
    return _act(
        request,
        request_id,
        lambda: services.request_reject(request_id=request_id, actor=request.user, reason=reason),
        _("已作不予受理处理。"),
    )


@login_required
@require_POST
def request_merge(request: HttpRequest, request_id: int) -> HttpResponse:
    # Permission before the form: whoever may not merge is refused whatever they posted.
    if not rules.may_handle(request.user, _get(request, request_id)):
        messages.error(request, str(forbidden().message))
        return _redirect_next(request, request_id)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写要合并到的诉求编号。"))
        return _redirect_next(request, request_id)
    number = form.cleaned_data["target"].strip().upper()
    target = selectors.requests_visible(user=request.user).filter(number=number).first()

    def run() -> Any:
        if target is None:
            raise DomainError(_("没有找到编号为 %(n)s 的诉求。") % {"n": number})
        return services.request_merge(
            request_id=request_id,
            actor=request.user,
            target_id=target.pk,
            note=form.cleaned_data["note"],
        )

    return _act(request, request_id, run, _("已合并为重复诉求。"))


@login_required
@require_POST
def request_escalate(request: HttpRequest, request_id: int) -> HttpResponse:
    note = _note(request)
    level = request.POST.get("level")
    return _act(
        request,
        request_id,
        lambda: services.request_escalate(
            request_id=request_id,
            actor=request.user,
            to_level=int(level) if level and level.isdigit() else None,
            note=note,
        ),
        _("已向上一级吹哨。"),
    )


@login_required
@require_POST
def request_supervise(request: HttpRequest, request_id: int) -> HttpResponse:
    form = SuperviseForm(request.POST)
    if not form.is_valid():
        obj = _get(request, request_id)
        context = _detail_context(request, obj, supervise_form=form)
        return render(request, "requests/detail.html", context, status=422)
    return _act(
        request,
        request_id,
        lambda: services.request_supervise(
            request_id=request_id,
            actor=request.user,
            note=form.cleaned_data["note"],
            due_at=form.cleaned_data["due_at"],
        ),
        _("已列入督办。"),
    )


@login_required
def request_dispatch(request: HttpRequest, request_id: int) -> HttpResponse:
    """The dispatch screen: suggested handlers ranked with reasons (wushe.matching), the other
    eligible handlers, or a department."""
    from wushe.matching.selectors import suggestions_for_request

    obj = _get(request, request_id)
    if not rules.may_handle(request.user, obj):
        raise PermissionDenied
    options = selectors.eligible_handlers(user=request.user, request=obj)
    suggestions = suggestions_for_request(user=request.user, request=obj)
    # A suggested volunteer may live in a neighbouring community: offer them too.
    offered = {(o.type, o.id) for o in options}
    options += [
        selectors.HandlerOption(s.type, s.id, s.name, "")
        for s in suggestions
        if (s.type, s.id) not in offered
    ]
    form = DispatchForm(request.POST if request.method == "POST" else None, options=options)
    if request.method == "POST" and form.is_valid():
        specs = []
        for value in form.cleaned_data["handlers"]:
            kind, _sep, pk = value.partition(":")
            specs.append(services.HandlerSpec(kind, int(pk)))
        if form.cleaned_data["department"].strip():
            specs.append(services.HandlerSpec("department", None, form.cleaned_data["department"]))
        try:
            services.request_dispatch(
                request_id=obj.pk,
                actor=request.user,
                handlers=specs,
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("已派单。"))
            return redirect("requests:detail", request_id=obj.pk)
    groups: dict[str, list[Any]] = {}
    suggested = {(s.type, s.id) for s in suggestions}
    for option in options:
        if (option.type, option.id) not in suggested:
            groups.setdefault(option.type, []).append(option)
    return render(
        request,
        "requests/dispatch.html",
        {
            "req": obj,
            "form": form,
            "groups": groups,
            "suggestions": suggestions,
            "assigned": list(obj.assignments.all()),
        },
        status=422 if form.errors else 200,
    )


@login_required
def request_follow_up(request: HttpRequest, request_id: int) -> HttpResponse:
    obj = _get(request, request_id)
    if not rules.may_handle(request.user, obj):
        raise PermissionDenied
    form = FollowUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_follow_up(
                request_id=obj.pk,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                satisfied=form.cleaned_data["satisfied"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("回访已记录。"))
            return redirect("requests:detail", request_id=obj.pk)
    return render(
        request,
        "requests/follow_up.html",
        {"req": obj, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """诉求工作台: counts per state, the list by deadline, bulk accept."""
    if not request.user.has_perm("requests.view_inbox"):
        raise PermissionDenied
    form = InboxFilterForm(request.GET or None)
    filters = selectors.RequestFilter(status="submitted")
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.RequestFilter(
            status=data["status"],
            category=data["category"].code if data["category"] else "",
            community=data["community"],
            q=data["q"],
        )
    elif not request.GET:
        form = InboxFilterForm(initial={"status": "submitted"})
    qs: QuerySet[Request] = selectors.inbox(user=request.user, filters=filters)
    if form.errors:
        qs = qs.none()
    counts = selectors.inbox_counts(user=request.user, community=filters.community)
    tabs = [
        {"key": key, "label": label, "count": counts[key], "active": key == filters.status}
        for key, label in BUCKET_LABELS.items()
    ]
    return render_list(
        request,
        queryset=qs,
        template="requests/inbox.html",
        partial_template="requests/_inbox_results.html",
        context={
            "form": form,
            "tabs": tabs,
            "now": timezone.now(),
            "can_accept": filters.status == "submitted",
            "can_submit": request.user.has_perm("requests.add_request"),
        },
    )


@login_required
@require_POST
def bulk_accept(request: HttpRequest) -> HttpResponse:
    """批量受理: each request in its own transaction; what fails is reported by number."""
    if not request.user.has_perm("requests.view_inbox"):
        raise PermissionDenied
    accepted, failed = 0, []
    for raw in request.POST.getlist("ids")[:200]:
        if not raw.isdigit():
            continue
        try:
            services.request_accept(request_id=int(raw), actor=request.user)
        except DomainError as exc:
            failed.append(str(exc.message))
        else:
            accepted += 1
    if accepted:
        messages.success(request, _("已受理 %(n)d 条诉求。") % {"n": accepted})
    for message in failed[:5]:
        messages.error(request, message)
    if not accepted and not failed:
        messages.error(request, _("请先勾选要受理的诉求。"))
    return redirect(reverse("requests:inbox") + "?status=submitted")


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    """督办与升级: requests that climbed above the community or are under supervision."""
    if not request.user.has_perm("requests.view_supervision"):
        raise PermissionDenied
    include_closed = request.GET.get("closed") == "1"
    return render_list(
        request,
        queryset=selectors.supervision_list(user=request.user, include_closed=include_closed),
        template="requests/supervision.html",
        partial_template="requests/_supervision_results.html",
        context={"include_closed": include_closed, "now": timezone.now()},
    )


# --- handlers -------------------------------------------------------------------------------


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """我的任务: assignments of the user (organisation staff, volunteer, social worker, party
    member), and for party members the open requests they may claim."""
    if not request.user.has_perm("requests.view_tasks"):
        raise PermissionDenied
    return render(
        request,
        "requests/tasks.html",
        {
            "open_tasks": list(selectors.my_tasks(user=request.user)[:100]),
            "done_tasks": list(selectors.my_tasks(user=request.user, done=True)[:20]),
            "claimable": list(selectors.claimable(user=request.user)[:50]),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def request_start(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        lambda: services.request_start(request_id=request_id, actor=request.user),
        _("已开始办理。"),
    )


@login_required
@require_POST
def request_claim(request: HttpRequest, request_id: int) -> HttpResponse:
    note = _note(request)
    return _act(
        request,
        request_id,
        lambda: services.request_claim(request_id=request_id, actor=request.user, note=note),
        _("认领成功，请尽快联系居民。"),
    )


@login_required
@require_POST
def request_resolve(request: HttpRequest, request_id: int) -> HttpResponse:
    obj = _get(request, request_id)
    # Permission before the form: a handler of the request or the community handling it.
    if not (rules.is_handler_of(request.user, obj) or rules.may_handle(request.user, obj)):
        messages.error(request, str(forbidden().message))
        return _redirect_next(request, request_id)
    form = ResolveForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _detail_context(request, obj, resolve_form=form)
        return render(request, "requests/detail.html", context, status=422)

    def run() -> Any:
        return services.request_resolve(
            request_id=request_id,
            actor=request.user,
            result=form.cleaned_data["result"],
            photos=_photos(form.cleaned_data["photos"]),
        )

    return _act(request, request_id, run, _("已办结，等待居民确认。"))


@login_required
@require_POST
def photo_add(request: HttpRequest, request_id: int) -> HttpResponse:
    stage = request.POST.get("stage") or PhotoStage.SUBMITTED
    files = request.FILES.getlist("photos")

    def run() -> Any:
        # The caller before the files (their number and content).
        services.photo_add_check(request_id=request_id, actor=request.user, stage=stage)
        return services.request_photo_add(
            request_id=request_id, actor=request.user, photos=_photos(files), stage=stage
        )

    return _act(request, request_id, run, _("照片已上传。"))


@login_required
def photo(request: HttpRequest, request_id: int, photo_id: int) -> HttpResponseBase:
    """A photo (or `?thumb=1` its thumbnail), only for those who may see the request."""
    try:
        found = selectors.photo_get(user=request.user, request_id=request_id, photo_id=photo_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    if request.GET.get("thumb"):
        return image_response(found.thumbnail_name, "image/jpeg")
    return image_response(found.name, found.content_type)
