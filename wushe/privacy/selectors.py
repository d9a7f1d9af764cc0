from __future__ import annotations

from django.db.models import Model, QuerySet

from .models import Consent


def consents_of(subject: Model) -> QuerySet[Consent]:
    """Consents recorded for one register row, newest first (the caller has already checked
    that the user may see the subject)."""
    return Consent.objects.filter(
        subject_type=subject._meta.label_lower, subject_id=subject.pk
    ).select_related("recorded_by")


def has_active_consent(subject: Model, purpose: str) -> bool:
    return consents_of(subject).filter(purpose=purpose, withdrawn_at__isnull=True).exists()
