from __future__ import annotations

from django.db.models import QuerySet

from .models import Term


def terms(vocabulary: str, *, include_inactive: bool = False) -> QuerySet[Term]:
    qs = Term.objects.filter(vocabulary=vocabulary)
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("order", "code")


def term_lookup(vocabulary: str) -> dict[str, Term]:
    """Active terms by code and by Chinese and English name, for imports that accept either."""
    found: dict[str, Term] = {}
    for term in terms(vocabulary):
        for key in (term.code, term.name, term.name_en):
            if key:
                found.setdefault(key.strip().lower(), term)
    return found
