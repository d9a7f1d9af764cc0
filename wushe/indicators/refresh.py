"""Incremental refresh: changed records mark their county dirty; a sweep recomputes it.

The marks are written in the same transaction as the change (post_save / post_delete on every
model a registered measure reads), so a rolled-back change leaves no mark and a committed one
is never missed. `sweep()` (task `indicators.sweep`, command `wushe indicators sweep`) takes
the marks and recomputes each marked subtree and its ancestors (engine.compute)."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from wushe.core import fastsql
from wushe.regions import codes

from . import engine
from .models import DirtyMark, RefreshRun
from .periods import Period
from .registry import all_indicators

_CONNECTED: set[type[models.Model]] = set()


def watched_models() -> set[type[models.Model]]:
    probe = Period.parse("2000")
    found: set[type[models.Model]] = set()
    for indicator in all_indicators():
        for _part, measure in indicator.measures():
            found.add(measure.rows(probe).model)
    # Divisions are reference data loaded in bulk by `wushe regions load`; a rebuild follows.
    return {m for m in found if m._meta.label_lower != "regions.region"}


def mark_prefix(instance: Any) -> str | None:
    """The subtree a changed record affects: its county (or its own region above that)."""
    code = getattr(instance, "county_code", None)
    if code:
        return str(code)
    region = getattr(instance, "region_id", None) or (
        instance.pk if instance._meta.label_lower == "regions.region" else None
    )
    if not region:
        return None
    significant = codes.significant_prefix(str(region))
    return significant[:6]


def dirty_statement(prefix: str) -> fastsql.Statement:
    """The statement `mark_dirty` runs (for a caller's `fastsql.execute_together`)."""
    table = fastsql.qn(DirtyMark._meta.db_table)
    now = DirtyMark._meta.get_field("marked_at").get_db_prep_save(timezone.now(), connection)
    return (
        f"INSERT INTO {table} (county, marked_at) VALUES (%s, %s) "  # noqa: S608
        "ON CONFLICT (county) DO NOTHING",
        [prefix, now],
    )


def mark_dirty(prefix: str) -> None:
    """Mark a county (or a region above it) for the next sweep, in the caller's transaction.
    Plain SQL (one cached statement): it runs after every save of a watched model."""
    sql, params = dirty_statement(prefix)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def mark_changed(instance: Any, batch: list[fastsql.Statement | None] | None = None) -> None:
    """What the post_save receiver does, for writers that insert without the ORM
    (wushe.core.fastsql sends no signals). With `batch`, the statement is appended there for
    the caller's `fastsql.execute_together` instead of run."""
    prefix = mark_prefix(instance)
    if prefix and batch is not None:
        batch.append(dirty_statement(prefix))
    elif prefix:
        mark_dirty(prefix)


def _on_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    mark_changed(instance)


def connect() -> None:
    for model in watched_models():
        if model in _CONNECTED:
            continue
        post_save.connect(_on_change, sender=model, dispatch_uid=f"indicators-{model._meta.label}")
        post_delete.connect(
            _on_change, sender=model, dispatch_uid=f"indicators-del-{model._meta.label}"
        )
        _CONNECTED.add(model)


def sweep(years: list[int] | None = None) -> list[RefreshRun]:
    """Recompute every marked subtree. Marks taken are deleted in the same transaction; a mark
    written meanwhile (a newer change) survives for the next sweep."""
    with transaction.atomic():
        marks = list(DirtyMark.objects.select_for_update().values_list("pk", "county", "marked_at"))
        DirtyMark.objects.filter(pk__in=[m[0] for m in marks]).delete()
    prefixes = sorted({m[1] for m in marks}, key=len)
    minimal: list[str] = []
    for prefix in prefixes:
        if not any(prefix.startswith(kept) for kept in minimal):
            minimal.append(prefix)
    chosen_years = years or engine.default_years()
    return [engine.compute(years=chosen_years, prefix=p) for p in minimal]
