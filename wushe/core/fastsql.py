"""Inserts and loads for hot paths without the ORM's query compiler.

Building a query is most of the CPU an ORM statement costs (resolving expressions, compiling
the SQL), and the hot write paths (a request submission, a time-bank transfer, the audit row of
each) run the same few statements over and over. These helpers keep the SQL of one model per
database vendor in a cache and prepare values exactly as `Model.save()` would (`Field.pre_save`
for auto_now_add and friends, then `get_db_prep_save`), so the rows written are the same.

Departure from the conventions (ORM everywhere): these skip `pre_save`/`post_save` signals. A
caller of a model that signal receivers watch (e.g. the indicators' dirty marks,
`wushe.indicators.refresh`) must do their work itself."""

# ruff: noqa: S608 - the SQL built here interpolates only quoted table and column names from
# model metadata; every value is a bound parameter.
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)


def qn(name: str | None) -> str:
    """A quoted table or column name of the current database."""
    return connection.ops.quote_name(str(name))


_INSERT_SQL: dict[
    tuple[type[models.Model], str, bool], tuple[str, list[models.Field[Any, Any]]]
] = {}


def _insert_parts(
    model: type[models.Model], with_pk: bool = False
) -> tuple[str, list[models.Field[Any, Any]]]:
    key = (model, connection.vendor, with_pk)
    cached = _INSERT_SQL.get(key)
    if cached is None:
        meta = model._meta
        fields = [
            f
            for f in meta.concrete_fields
            if with_pk
            or not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        columns = ", ".join(qn(f.column) for f in fields)
        sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "
        cached = (sql, fields)
        _INSERT_SQL[key] = cached
    return cached


def _values(instance: models.Model, fields: Sequence[models.Field[Any, Any]]) -> list[Any]:
    # The connection object itself, not the `connection` proxy: each attribute read through
    # the proxy is a context-local lookup, and preparing a row reads a few per field.
    conn = connections[DEFAULT_DB_ALIAS]
    return [f.get_db_prep_save(f.pre_save(instance, True), conn) for f in fields]


def _placeholders(n: int) -> str:
    return "(" + ", ".join(["%s"] * n) + ")"


def insert(instance: M) -> M:
    """INSERT one new row (auto primary key) and set its pk. Same values as
    `save(force_insert=True)`; no signals."""
    sql, fields = _insert_parts(type(instance))
    pk = instance._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            sql + _placeholders(len(fields)) + f" RETURNING {qn(pk.column)}",
            _values(instance, fields),
        )
        row = cursor.fetchone()
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert_many(instances: Iterable[models.Model], *, read_pks: bool = False) -> None:
    """INSERT new rows of one model in one statement; with `read_pks` their primary keys are
    read back (RETURNING, in the order of the rows, as Django's bulk_create relies on)."""
    rows = list(instances)
    if not rows:
        return
    sql, fields = _insert_parts(type(rows[0]))
    params: list[Any] = []
    for row in rows:
        params.extend(_values(row, fields))
    one = _placeholders(len(fields))
    sql += ", ".join([one] * len(rows))
    pk = rows[0]._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        if read_pks:
            cursor.execute(sql + f" RETURNING {qn(pk.column)}", params)
            for row, (value,) in zip(rows, cursor.fetchall(), strict=True):
                row.pk = value
        else:
            cursor.execute(sql, params)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


Statement = tuple[str, list[Any]]


def insert_statement(
    instances: Iterable[models.Model], *, with_pk: bool = False
) -> Statement | None:
    """The INSERT of new rows of one model, for `execute_together` (None for no rows). The
    rows' primary keys are not read back; `with_pk` writes the ones the rows already have
    (see `reserve_pk_sql`)."""
    rows = list(instances)
    if not rows:
        return None
    sql, fields = _insert_parts(type(rows[0]), with_pk)
    params: list[Any] = []
    for row in rows:
        params.extend(_values(row, fields))
        row._state.adding = False
        row._state.db = connection.alias
    return sql + ", ".join([_placeholders(len(fields))] * len(rows)), params


def reserve_pk_sql(model: type[models.Model]) -> str | None:
    """PostgreSQL: an SQL expression that draws the next primary key of `model` from its
    identity sequence, for a caller to add to a query it runs anyway (so a row's pk is known
    before its INSERT, and rows referring to it can go in the same statement). None
    elsewhere."""
    if connection.vendor != "postgresql":
        return None
    pk = model._meta.pk
    assert pk is not None
    table = str(model._meta.db_table).replace("'", "''")
    column = str(pk.column).replace("'", "''")
    return f"nextval(pg_get_serial_sequence('{table}', '{column}'))"


def execute_together(statements: Iterable[Statement | None]) -> None:
    """Run independent write statements in one round trip on PostgreSQL (as data-modifying
    WITH clauses of one statement), one after another elsewhere. They must not depend on each
    other's effects: PostgreSQL runs the parts of one statement on the same snapshot."""
    parts = [s for s in statements if s is not None]
    if not parts:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(parts) > 1:
            head = ", ".join(f"w{i} AS ({sql})" for i, (sql, _p) in enumerate(parts[:-1]))
            cursor.execute(
                f"WITH {head} {parts[-1][0]}", [p for _sql, params in parts for p in params]
            )
        else:
            for sql, params in parts:
                cursor.execute(sql, params)


_Converter = tuple[list[Any], Any]
_SELECT_SQL: dict[
    tuple[type[models.Model], str, str], tuple[str, list[str], list[str], list[_Converter]]
] = {}


def row_converters(model: type[models.Model], alias: str) -> list[_Converter]:
    """Per column, the converters the ORM's compiler would apply to a fetched value (the
    backend's, e.g. SQLite's text → datetime, then the field's `from_db_value`)."""
    out: list[_Converter] = []
    for field in model._meta.concrete_fields:
        col = field.get_col(alias)
        out.append((connection.ops.get_db_converters(col) + col.get_db_converters(connection), col))
    return out


def convert_row(converters: Sequence[_Converter], raw: Sequence[Any]) -> list[Any]:
    """A fetched row's values as the ORM would return them (see `row_converters`)."""
    values = list(raw)
    for i, (funcs, col) in enumerate(converters):
        for func in funcs:
            values[i] = func(values[i], col, connection)
    return values


def load_with(model: type[M], related: str, pks: Sequence[int]) -> dict[int, M]:
    """Rows of `model` by primary key with the foreign key `related` joined and cached on each
    (what `select_related(related).in_bulk(pks)` returns), from one cached statement."""
    if not pks:
        return {}
    fk = model._meta.get_field(related)
    other: type[models.Model] = fk.related_model  # type: ignore[assignment]
    key = (model, related, connection.vendor)
    cached = _SELECT_SQL.get(key)
    if cached is None:
        own_cols = [f"a.{qn(f.column)}" for f in model._meta.concrete_fields]
        their_cols = [f"b.{qn(f.column)}" for f in other._meta.concrete_fields]
        other_pk = other._meta.pk
        model_pk = model._meta.pk
        assert other_pk is not None and model_pk is not None
        fk_column = fk.column  # type: ignore[union-attr]
        sql = (
            f"SELECT {', '.join(own_cols + their_cols)} FROM {qn(model._meta.db_table)} a "
            f"JOIN {qn(other._meta.db_table)} b ON b.{qn(other_pk.column)} = a.{qn(fk_column)} "
            f"WHERE a.{qn(model_pk.column)} IN "
        )
        cached = (
            sql,
            [f.attname for f in model._meta.concrete_fields],
            [f.attname for f in other._meta.concrete_fields],
            row_converters(model, "a") + row_converters(other, "b"),
        )
        _SELECT_SQL[key] = cached
    sql, own, theirs, converters = cached
    with connection.cursor() as cursor:
        cursor.execute(sql + _placeholders(len(pks)), list(pks))
        rows = cursor.fetchall()
    found: dict[int, M] = {}
    n = len(own)
    for raw in rows:
        values = convert_row(converters, raw)
        obj = model.from_db(connection.alias, own, values[:n])
        related_obj = other.from_db(connection.alias, theirs, values[n:])
        fk.set_cached_value(obj, related_obj)  # type: ignore[union-attr]
        found[obj.pk] = obj
    return found
