from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wushe.core.errors import NotFound

from . import selectors


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        obj = selectors.request_get(user=request.user, request_id=request_id)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return render(request, "requests/detail.html", {"req": obj})
