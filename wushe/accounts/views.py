from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, password_validation, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError
from wushe.core.forms import show_domain_error
from wushe.core.security import mark_signed_in

from . import services
from .forms import LoginForm, PasswordChangeForm
from .models import User


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_authenticate(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                channel="web",
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            status = exc.status if exc.status == 429 else 200
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            mark_signed_in(request)
            return redirect(next_url or "core:home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@sensitive_post_parameters("old_password", "new_password", "new_password_again")
@csrf_protect
@never_cache
@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    """修改密码: the signed-in user's own password. This session stays signed in; the user's
    other sessions end and their API tokens are revoked (accounts.services.password_change)."""
    user = request.user
    assert isinstance(user, User)
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                new_password_again=form.cleaned_data["new_password_again"],
                channel="web",
            )
        except DomainError as exc:
            show_domain_error(form, exc)
            status = exc.status if exc.status == 429 else 200
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。您在其他设备上的登录和访问令牌已失效。"))
            return redirect("accounts:password")
    help_texts = password_validation.password_validators_help_texts()
    return render(
        request,
        "accounts/password.html",
        {"form": form, "help_texts": help_texts},
        status=status,
    )
