"""Computation of every registered indicator, entirely in the database.

A run (`compute`) covers a region subtree (a code prefix; "" is everything) and a set of
periods:

1. each measure's queryset, filtered to the subtree's code range and grouped by the record's
   region code, is inserted into `Staging` with `INSERT … SELECT` (no row reaches Python);
   by-month measures are scanned once per year and write their quarter and year sums in the
   same statement; snapshot measures are computed once and copied to every period;
2. the stored values of the subtree for those periods are replaced by the staging counts summed
   per region at every level below the prefix: the leaf level straight from staging, the
   levels above each from the level below (`_roll_up_subtree`). A full rebuild on PostgreSQL
   fills a fresh table and swaps it in (`_fresh_table`, `_swap`) instead of deleting and
   re-inserting millions of indexed rows;
3. each ancestor of the subtree is recomputed as its own direct counts plus the totals of its
   children (so a refresh of one county leaves the rest of the province untouched).

A full rebuild is `compute(prefix="", years=…)`. Runs take a lock so two never interleave."""

# ruff: noqa: S608 - the SQL built here interpolates only quoted table names and digit
# constants derived from the code structure; every value is a bound parameter.
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, F
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from wushe.regions import codes

from .models import IndicatorValue, RefreshRun, Staging
from .periods import Kind, Period
from .registry import Indicator, Measure, Over, all_indicators

logger = logging.getLogger(__name__)
DIGITS = {0: 0, **codes.SIGNIFICANT_DIGITS}
_ADVISORY_LOCK = 804_008  # "indicators"


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def periods_of(years: Iterable[int]) -> list[Period]:
    out: list[Period] = []
    for year in sorted(set(years)):
        out.extend(Period.all_of_year(year))
    return out


def _level_of_prefix(prefix: str) -> int:
    if not prefix:
        return 0
    return codes.level_of(prefix.ljust(12, "0"))


def _insert_measure(
    cursor: Any,
    run: int,
    indicator: Indicator,
    part: str,
    measure: Measure,
    period: Period,
    period_key: str,
    prefix: str,
) -> None:
    queryset = measure.rows(period)
    if prefix:
        low, high = codes.scope_range(prefix)
        queryset = queryset.filter(
            **{f"{measure.region}__gte": low, f"{measure.region}__lte": high}
        )
    grouped = (
        queryset.order_by()
        .values(r=F(measure.region))
        .annotate(v=measure.aggregate_expression())
        .values_list("r", "v")
    )
    sql, params = grouped.query.sql_with_params()
    cursor.execute(
        f"INSERT INTO {_table(Staging)} (run, indicator, part, period, region, value) "
        f"SELECT %s, %s, %s, %s, sub.r, sub.v FROM ({sql}) sub WHERE sub.r IS NOT NULL",
        [run, indicator.code, part, period_key, *params],
    )


SNAPSHOT_KEY = "*"  # period key of indicators made only of snapshots (same for every period)
_REPLICATE_KEY = "+"  # staging-only: a snapshot part of a mixed indicator, copied to each period


def _insert_by_month(
    cursor: Any,
    run: int,
    indicator: Indicator,
    part: str,
    measure: Measure,
    year: int,
    prefix: str,
) -> None:
    """One grouped scan of a year's rows by (region, month in Asia/Shanghai)."""
    assert measure.month_field is not None
    queryset = measure.rows(Period(year, Kind.YEAR, 1))
    if prefix:
        low, high = codes.scope_range(prefix)
        queryset = queryset.filter(
            **{f"{measure.region}__gte": low, f"{measure.region}__lte": high}
        )
    month = ExtractMonth(
        measure.month_field,
        tzinfo=_zone() if _is_timestamp(queryset.model, measure.month_field) else None,
    )
    grouped = (
        queryset.order_by()
        .values(r=F(measure.region), mo=month)
        .annotate(v=measure.aggregate_expression())
        .values_list("r", "mo", "v")
    )
    sql, params = grouped.query.sql_with_params()
    # One statement writes the month rows and their quarter and year sums, grouped from the
    # scan's small result (regions x 12) instead of from the staging table afterwards.
    months = " ".join(f"WHEN {m} THEN '{year}-{m:02d}'" for m in range(1, 13))
    quarters = " ".join(f"WHEN mo <= {3 * q} THEN '{year}-Q{q}'" for q in range(1, 5))
    staging = _table(Staging)
    columns = "(run, indicator, part, period, region, month, value)"
    cursor.execute(
        f"WITH m AS (SELECT sub.r AS r, sub.mo AS mo, sub.v AS v FROM ({sql}) sub "
        f"WHERE sub.r IS NOT NULL) "
        f"INSERT INTO {staging} {columns} "
        f"SELECT %s, %s, %s, CASE mo {months} END, r, mo, v FROM m "
        f"UNION ALL SELECT %s, %s, %s, CASE {quarters} END, r, NULL, SUM(v) FROM m "
        f"GROUP BY r, CASE {quarters} END "
        f"UNION ALL SELECT %s, %s, %s, '{year}', r, NULL, SUM(v) FROM m GROUP BY r",
        [*params, *([run, indicator.code, part] * 3)],
    )


def _is_timestamp(model: Any, path: str) -> bool:
    field: Any = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model or model
    return isinstance(field, DateTimeField)


def _stage(
    cursor: Any, run: int, indicators: list[Indicator], periods: list[Period], prefix: str
) -> list[str]:
    """Stage every indicator's counts; returns the codes of indicators whose definition failed
    (each runs in a savepoint, so one broken module's definition does not stop the others).

    An indicator made only of snapshot measures is staged once under period "*"; a snapshot
    part of a mixed indicator is copied to every period."""
    latest = max(periods, key=lambda p: (p.end, p.kind != "year"))
    failed: list[str] = []
    for indicator in indicators:
        try:
            with transaction.atomic():
                for part, measure in indicator.measures():
                    if indicator.is_snapshot:
                        key = SNAPSHOT_KEY
                    elif measure.over == Over.SNAPSHOT:
                        key = _REPLICATE_KEY
                    elif measure.by_month:
                        for year in sorted({p.year for p in periods}):
                            _insert_by_month(cursor, run, indicator, part, measure, year, prefix)
                        continue
                    else:
                        for period in periods:
                            _insert_measure(
                                cursor, run, indicator, part, measure, period, period.key, prefix
                            )
                        continue
                    _insert_measure(cursor, run, indicator, part, measure, latest, key, prefix)
        except Exception:
            logger.exception("indicator %s failed to compute", indicator.code)
            failed.append(indicator.code)
    staging = _table(Staging)
    for period in periods:
        cursor.execute(
            f"INSERT INTO {staging} (run, indicator, part, period, region, value) "
            f"SELECT run, indicator, part, %s, region, value FROM {staging} "
            f"WHERE run = %s AND period = %s",
            [period.key, run, _REPLICATE_KEY],
        )
    cursor.execute(f"DELETE FROM {staging} WHERE run = %s AND period = %s", [run, _REPLICATE_KEY])
    return failed


def _temp(name: str) -> str:
    return connection.ops.quote_name(f"wushe_ind_{name}")


def _drop_temps(cursor: Any) -> None:
    for name in ("upper", *(f"lv{k}" for k in range(1, 5))):
        cursor.execute(f"DROP TABLE IF EXISTS {_temp(name)}")


_LEAF = max(DIGITS)
_NUMERATOR = "CASE WHEN part = 'n' THEN COALESCE(value, 0) ELSE 0 END"
_DENOMINATOR = "CASE WHEN part = 'd' THEN COALESCE(value, 0) ELSE 0 END"


def _roll_up_subtree(
    cursor: Any, run: int, prefix: str, period_keys: list[str], *, into: str | None = None
) -> int:
    """Replace the subtree's stored values by the staged counts summed at every level.

    `into` names a fresh table to fill instead (a full rebuild on PostgreSQL, see _swap).
    The large staging table is read twice: once grouped by leaf region (communities: most of
    the rows, written straight into the values), once grouped by the leaf's parent (townships)
    with the rows staged on a region above the leaf kept apart as that region's direct counts.
    Every level above is then grouped from the level below plus those direct counts."""
    staging = _table(Staging)
    values = into or _table(IndicatorValue)
    level = max(_level_of_prefix(prefix), 1)
    if into:
        pass  # a fresh table: nothing to delete
    elif prefix:
        low, high = codes.scope_range(prefix)
        cursor.execute(
            f"DELETE FROM {values} WHERE region >= %s AND region <= %s "
            f"AND period IN ({_placeholders(period_keys)})",
            [low, high, *period_keys],
        )
    else:
        cursor.execute(
            f"DELETE FROM {values} WHERE period IN ({_placeholders(period_keys)})", period_keys
        )
    columns = (
        f"{values} (indicator, period, region, numerator, denominator, "
        f"direct_numerator, direct_denominator)"
    )
    parent = DIGITS[_LEAF - 1]
    leaf_zeros = "0" * (DIGITS[_LEAF] - parent)
    cursor.execute(
        f"INSERT INTO {columns} "
        f"SELECT indicator, period, region, SUM({_NUMERATOR}), SUM({_DENOMINATOR}), "
        f"SUM({_NUMERATOR}), SUM({_DENOMINATOR}) "
        f"FROM {staging} WHERE run = %s AND substr(region, {parent + 1}) <> '{leaf_zeros}' "
        f"GROUP BY region, period, indicator "
        # Index order (region, period, indicator): sequential B-tree inserts.
        f"ORDER BY region, period, indicator",
        [run],
    )
    inserted = max(cursor.rowcount, 0)
    if level == _LEAF:
        return inserted
    _drop_temps(cursor)
    # Keyed by the parent level's digits: a leaf row counts towards its parent; a row staged
    # on a region above the leaf (its leaf digits are zero) is that region's own direct count.
    own = f"substr(region, {parent + 1}) = '{leaf_zeros}'"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_temp('upper')} AS "
        f"SELECT indicator, period, substr(region, 1, {parent}) || '{leaf_zeros}' AS region, "
        f"SUM({_NUMERATOR}) AS n, SUM({_DENOMINATOR}) AS d, "
        f"SUM(CASE WHEN {own} THEN {_NUMERATOR} ELSE 0 END) AS dn, "
        f"SUM(CASE WHEN {own} THEN {_DENOMINATOR} ELSE 0 END) AS dd "
        f"FROM {staging} WHERE run = %s GROUP BY indicator, period, substr(region, 1, {parent})",
        [run],
    )
    for k in range(_LEAF - 1, level - 1, -1):
        size = DIGITS[k]
        rest = "0" * (12 - size)
        # A region of exactly level k: zeros after its own digits, its own segment not zero
        # (level 1: only the zeros, as a row on "000000000000" was always counted there).
        exact = f"substr(region, {size + 1}) = '{rest}'"
        if k > 1:
            segment = size - DIGITS[k - 1]
            exact += f" AND substr(region, {DIGITS[k - 1] + 1}, {segment}) <> '{'0' * segment}'"
        if k == _LEAF - 1:
            select = f"SELECT * FROM {_temp('upper')} WHERE {exact}"
        else:
            select = (
                f"SELECT indicator, period, region, SUM(n) AS n, SUM(d) AS d, SUM(dn) AS dn, "
                f"SUM(dd) AS dd FROM ("
                f"SELECT indicator, period, substr(region, 1, {size}) || '{rest}' AS region, "
                f"n, d, 0 AS dn, 0 AS dd FROM {_temp(f'lv{k + 1}')} "
                f"UNION ALL SELECT indicator, period, region, dn, dd, dn, dd "
                f"FROM {_temp('upper')} WHERE {exact}"
                f") t GROUP BY indicator, period, region"
            )
        cursor.execute(f"CREATE TEMPORARY TABLE {_temp(f'lv{k}')} AS {select}")
        cursor.execute(
            f"INSERT INTO {columns} SELECT indicator, period, region, n, d, dn, dd "
            f"FROM {_temp(f'lv{k}')} ORDER BY region, period, indicator"
        )
        inserted += max(cursor.rowcount, 0)
    _drop_temps(cursor)
    return inserted


_FRESH = "indicators_indicatorvalue_fresh"


def _fresh_table(cursor: Any, period_keys: list[str]) -> str:
    """PostgreSQL full rebuild: a new, index-free values table holding the rows of the periods
    this run does not recompute (other years). Filling a table without indexes and indexing
    it once is about twice as fast as deleting and re-inserting 2 million indexed rows, and
    leaves no dead rows behind."""
    fresh, values = connection.ops.quote_name(_FRESH), _table(IndicatorValue)
    cursor.execute(f"DROP TABLE IF EXISTS {fresh}")
    cursor.execute(
        f"CREATE TABLE {fresh} (LIKE {values} INCLUDING DEFAULTS INCLUDING IDENTITY "
        f"INCLUDING STORAGE)"
    )
    cursor.execute(
        f"INSERT INTO {fresh} (indicator, period, region, numerator, denominator, "
        f"direct_numerator, direct_denominator) "
        f"SELECT indicator, period, region, numerator, denominator, direct_numerator, "
        f"direct_denominator FROM {values} "
        f"WHERE period NOT IN ({_placeholders(period_keys)})",
        period_keys,
    )
    return fresh


def _swap(cursor: Any) -> None:
    """Index the fresh table and put it in the place of the values table, under the names
    the migrations know. Readers keep the old rows until commit; a query waiting on the
    lock then resolves the name again and reads the new table."""
    fresh, values = connection.ops.quote_name(_FRESH), _table(IndicatorValue)
    table = IndicatorValue._meta.db_table
    qn = connection.ops.quote_name
    cursor.execute(f"ALTER TABLE {fresh} ADD CONSTRAINT {qn(_FRESH + '_pkey')} PRIMARY KEY (id)")
    cursor.execute(
        f"ALTER TABLE {fresh} ADD CONSTRAINT {qn(_FRESH + '_unique')} "
        f"UNIQUE (region, period, indicator)"
    )
    cursor.execute(f"LOCK TABLE {values} IN ACCESS EXCLUSIVE MODE")
    cursor.execute(f"DROP TABLE {values}")
    cursor.execute(f"ALTER TABLE {fresh} RENAME TO {values}")
    cursor.execute(
        f"ALTER TABLE {values} RENAME CONSTRAINT {qn(_FRESH + '_pkey')} TO {qn(table + '_pkey')}"
    )
    cursor.execute(
        f"ALTER TABLE {values} RENAME CONSTRAINT {qn(_FRESH + '_unique')} "
        f"TO {qn('indicator_value_unique')}"
    )
    # The identity's sequence was named after the fresh table; the old one went with its.
    cursor.execute(
        f"ALTER SEQUENCE IF EXISTS {qn(_FRESH + '_id_seq')} RENAME TO {qn(table + '_id_seq')}"
    )


def _refresh_ancestors(cursor: Any, run: int, prefix: str, period_keys: list[str]) -> None:
    """Recompute each ancestor of the subtree (deepest first) from its own direct counts and
    its children's totals."""
    values, staging = _table(IndicatorValue), _table(Staging)
    in_periods = f"period IN ({_placeholders(period_keys)})"
    for ancestor in reversed(codes.ancestor_codes(prefix.ljust(12, "0"))):
        level = codes.level_of(ancestor)
        low, high = codes.scope_range(ancestor[: DIGITS[level]])
        child_size = DIGITS[level + 1]
        segment = child_size - DIGITS[level]
        rest = "0" * (12 - child_size)
        child_filter = (
            f"region >= %s AND region <= %s "
            f"AND substr(region, {DIGITS[level] + 1}, {segment}) <> '{'0' * segment}'"
            + (f" AND substr(region, {child_size + 1}) = '{rest}'" if rest else "")
        )
        cursor.execute(
            f"INSERT INTO {staging} (run, indicator, part, period, region, value) "
            f"SELECT %s, indicator, 'N', period, region, direct_numerator FROM {values} "
            f"WHERE region = %s AND {in_periods} "
            f"UNION ALL SELECT %s, indicator, 'D', period, region, direct_denominator "
            f"FROM {values} WHERE region = %s AND {in_periods}",
            [run, ancestor, *period_keys, run, ancestor, *period_keys],
        )
        cursor.execute(
            f"DELETE FROM {values} WHERE region = %s AND {in_periods}", [ancestor, *period_keys]
        )
        cursor.execute(
            f"INSERT INTO {values} (indicator, period, region, numerator, denominator, "
            f"direct_numerator, direct_denominator) "
            f"SELECT indicator, period, %s, SUM(n), SUM(d), SUM(dn), SUM(dd) FROM ("
            f"SELECT indicator, period, numerator AS n, denominator AS d, 0 AS dn, 0 AS dd "
            f"FROM {values} WHERE {child_filter} AND {in_periods} "
            f"UNION ALL SELECT indicator, period, "
            f"CASE WHEN part = 'N' THEN value ELSE 0 END, "
            f"CASE WHEN part = 'D' THEN value ELSE 0 END, "
            f"CASE WHEN part = 'N' THEN value ELSE 0 END, "
            f"CASE WHEN part = 'D' THEN value ELSE 0 END "
            f"FROM {staging} WHERE run = %s AND region = %s AND part IN ('N', 'D')"
            f") t GROUP BY indicator, period",
            [ancestor, low, high, *period_keys, run, ancestor],
        )


def _work_mem() -> str:
    return str(settings.WUSHE.get("INDICATORS_WORK_MEM", "512MB"))


def _analyze_staging(cursor: Any) -> None:
    """Give the planner the staged row counts (the table is empty whenever autovacuum looks,
    so it would plan the roll-up's grouping for a few thousand rows and spill to disk)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {_table(Staging)}")


def _empty_staging(cursor: Any) -> None:
    """Runs never overlap (the lock), so staging holds nothing another run needs. On
    PostgreSQL TRUNCATE (transactional) also drops the dead rows of earlier runs, which a
    DELETE would leave for the next scans to wade through until autovacuum comes by."""
    if connection.vendor == "postgresql":
        cursor.execute(f"TRUNCATE {_table(Staging)}")
    else:
        cursor.execute(f"DELETE FROM {_table(Staging)}")


def _lock(cursor: Any) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        # Roll-ups sort and hash a few million rows at province scale.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [_work_mem()])


def compute(
    *,
    years: Iterable[int],
    prefix: str = "",
    indicators: list[Indicator] | None = None,
    kind: str = RefreshRun.Kind.REFRESH,
) -> RefreshRun:
    """Recompute every indicator for the subtree under `prefix` (significant digits of a
    region code, "" for everything) and every month, quarter and year of `years`."""
    chosen = indicators if indicators is not None else all_indicators()
    years = sorted(set(years))
    periods = periods_of(years)
    period_keys = [p.key for p in periods] + [SNAPSHOT_KEY]
    run = RefreshRun.objects.create(
        kind=kind,
        prefix=prefix,
        years=",".join(str(y) for y in years),
        started_at=timezone.now(),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        _empty_staging(cursor)
        failed = _stage(cursor, run.pk, chosen, periods, prefix)
        _analyze_staging(cursor)
        if not prefix and connection.vendor == "postgresql":
            fresh = _fresh_table(cursor, period_keys)
            rows = _roll_up_subtree(cursor, run.pk, prefix, period_keys, into=fresh)
            _swap(cursor)
        else:
            rows = _roll_up_subtree(cursor, run.pk, prefix, period_keys)
        if prefix:
            _refresh_ancestors(cursor, run.pk, prefix, period_keys)
        _empty_staging(cursor)
    run.finished_at = timezone.now()
    run.rows = rows
    run.failed = failed
    run.save(update_fields=["finished_at", "rows", "failed"])
    return run


def default_years(today: dt.date | None = None) -> list[int]:
    """The years a refresh recomputes: this year, and last year during January (reports on
    the past year are still being completed then)."""
    day = today or timezone.localdate()
    return [day.year - 1, day.year] if day.month == 1 else [day.year]
