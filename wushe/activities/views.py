from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Certificate


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
