from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError
from wushe.core.security import mark_signed_in

from . import services
from .forms import LoginForm


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
