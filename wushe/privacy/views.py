from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound

from .services import personal_reveal


@login_required
@require_POST
def reveal(request: HttpRequest, subject_type: str, subject_id: int, field: str) -> HttpResponse:
    """HTMX: swap the masked value for the full one (or show why not)."""
    context = {"subject_type": subject_type, "subject_id": subject_id, "field": field}
    try:
        value = personal_reveal(
            actor=request.user,
            subject_type=subject_type,
            subject_id=subject_id,
            field=field,
            reason=request.POST.get("reason", ""),
        )
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        context.update(error=exc.message, masked=request.POST.get("masked", ""))
        return render(request, "privacy/_sealed.html", context, status=exc.status)
    context["value"] = value
    return render(request, "privacy/_revealed.html", context)
