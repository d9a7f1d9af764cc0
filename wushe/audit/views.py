from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wushe.core.errors import DomainError
from wushe.regions import codes

from .forms import AuditSearchForm
from .selectors import AuditFilter, audit_event_search


@login_required
def search(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("audit.search_events"):
        raise PermissionDenied
    form = AuditSearchForm(request.GET or None)
    filters = AuditFilter()
    if form.is_valid():
        data = form.cleaned_data
        region = ""
        if data["region"]:
            try:
                region = codes.significant_prefix(codes.normalize(data["region"]))
            except DomainError as exc:
                form.add_error("region", str(exc.message))
        filters = AuditFilter(
            since=data["since"],
            until=data["until"],
            actor=data["actor"],
            action=data["action"],
            region=region,
            outcome=data["outcome"],
        )
    events = audit_event_search(user=request.user, filters=filters)
    if form.errors:
        events = events.none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = "audit/_results.html" if request.headers.get("HX-Request") else "audit/search.html"
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})
