from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound
from wushe.core.paging import render_list

from . import selectors, services
from .forms import InboxFilterForm, PreferenceForm, show_errors


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    _require(request, "notifications.view_inbox")
    form = InboxFilterForm(request.GET or None)
    unread = True if form.is_valid() and form.cleaned_data.get("unread") == "1" else None
    return render_list(
        request,
        queryset=selectors.inbox(user=request.user, unread=unread),
        template="notifications/inbox.html",
        partial_template="notifications/_list.html",
        context={"form": form, "unread_total": selectors.unread_count(user=request.user)},
        per_page=30,
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and go to the page it is about (the link is site-relative; checked again)."""
    _require(request, "notifications.view_inbox")
    try:
        notification = services.notification_mark_read(
            notification_id=notification_id, user=request.user
        )
    except NotFound:
        raise Http404 from None
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=set()):
        return redirect(link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    _require(request, "notifications.view_inbox")
    try:
        services.notification_mark_read(notification_id=notification_id, user=request.user)
    except NotFound:
        raise Http404 from None
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    _require(request, "notifications.view_inbox")
    count = services.notification_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
    return _back(request)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    _require(request, "notifications.change_preference")
    pref = services.preference_get(user=request.user)
    initial = {"sms_enabled": pref.sms_enabled, "wechat_openid": pref.wechat_openid}
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_update(
                user=request.user,
                sms_enabled=form.cleaned_data["sms_enabled"],
                phone=form.service_phone(),
                wechat_openid=form.cleaned_data["wechat_openid"],
                actor=request.user,
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "pref": pref})
