"""Models whose sealed personal data (wushe.core.personal) may be revealed, by label. Apps
register theirs in AppConfig.ready; the permission checked is `<app_label>.reveal_<model>`
(a django-rules object permission the app defines in its rules.py)."""

from __future__ import annotations

from django.db import models

_models: dict[str, type[models.Model]] = {}


def register_revealable(model: type[models.Model]) -> None:
    _models[model._meta.label_lower] = model


def revealable(label: str) -> type[models.Model] | None:
    return _models.get(label.lower())


def reveal_permission(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.reveal_{model._meta.model_name}"
