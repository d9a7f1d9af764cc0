"""Helpers shared by the pages' forms."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from .errors import DomainError


def show_domain_error(
    form: forms.Form, exc: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's error on the form: on each field it names (through `aliases` when the
    service's field name differs from the form's), else above the form. Disabled fields are
    skipped: the user cannot correct them there."""
    placed = False
    for key, messages in (exc.fields or {}).items():
        name = (aliases or {}).get(key, key)
        field = form.fields.get(name)
        if field is None or field.disabled:
            continue
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(name, str(message))
        placed = True
    if not placed:
        form.add_error(None, str(exc.message))
