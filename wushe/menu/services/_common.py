"""Pieces the menu services share: errors, validation helpers, audit."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from wushe.audit.services import audit_record
from wushe.core.errors import PermissionDenied, ValidationFailed


class Errors:
    """Collects validation problems and raises them as one ValidationFailed (first code)."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.items: list[tuple[str, str, str]] = []

    def add(self, field: str, code: str, message: Any) -> None:
        self.items.append((field, f"{self.entity}.{code}", str(message)))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        fields: dict[str, list[str]] = {}
        for field, _code, message in self.items:
            fields.setdefault(field, []).append(message)
        _field, code, message = self.items[0]
        raise ValidationFailed(message, code=code, fields=fields)


def text(
    raw: object, field: str, label: Any, limit: int, errors: Errors, *, required: bool = False
) -> str:
    value = str(raw or "").strip()
    if required and not value:
        errors.add(field, f"{field}.required", _("请填写%(label)s。") % {"label": label})
    elif len(value) > limit:
        errors.add(
            field,
            f"{field}.too_long",
            _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": limit},
        )
    return value[:limit]


def whole(raw: object, field: str, label: Any, errors: Errors, *, minimum: int = 0) -> int:
    """A non-negative integer (fen, places); refuses floats and text."""
    if isinstance(raw, bool):
        raw = None
    try:
        value = int(str(raw).strip()) if raw is not None and str(raw).strip() != "" else None
    except ValueError:
        value = None
    if value is None or value < minimum:
        errors.add(
            field,
            f"{field}.invalid",
            _("%(label)s应为不小于 %(n)d 的整数。") % {"label": label, "n": minimum},
        )
        return minimum
    return value


def forbidden(code: str, message: Any = None) -> PermissionDenied:
    return PermissionDenied(message or _("您不能执行此操作。"), code=code)


def audit(verb: str, target: Any, actor: Any, changes: dict[str, Any]) -> None:
    audit_record(
        action=f"menu.{verb}",
        actor=actor,
        target=target,
        region_code=target.region_id,
        changes=changes,
    )


def user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None
