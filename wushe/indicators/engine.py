"""Computation of every registered indicator, entirely in the database.

A run (`compute`) covers a region subtree (a code prefix; "" is everything) and a set of
periods:

1. each measure's queryset, filtered to the subtree's code range and grouped by the record's
   region code, is inserted into `Staging` with `INSERT … SELECT` (no row reaches Python);
   snapshot measures are computed once and copied to every period;
2. the stored values of the subtree for those periods are replaced by the staging counts summed
   per region at every level below the prefix (one `INSERT … SELECT … GROUP BY` per level);
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
    # The month's period key is written here (not by a later UPDATE of every row): `month`
    # marks the row as one of a by-month scan for _spread_months.
    months = " ".join(f"WHEN {m} THEN '{year}-{m:02d}'" for m in range(1, 13))
    cursor.execute(
        f"INSERT INTO {_table(Staging)} (run, indicator, part, period, region, month, value) "
        f"SELECT %s, %s, %s, CASE sub.mo {months} END, sub.r, sub.mo, sub.v "
        f"FROM ({sql}) sub WHERE sub.r IS NOT NULL",
        [run, indicator.code, part, *params],
    )


def _is_timestamp(model: Any, path: str) -> bool:
    field: Any = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model or model
    return isinstance(field, DateTimeField)


def _spread_months(cursor: Any, run: int, years: list[int]) -> None:
    """Turn by-month rows into month rows plus quarter and year rows (their sums)."""
    staging = _table(Staging)
    for year in years:
        by_month = f"month IS NOT NULL AND period >= '{year}-01' AND period <= '{year}-12'"
        quarter = (
            "CASE "
            + " ".join(f"WHEN month <= {3 * q} THEN '{year}-Q{q}'" for q in range(1, 5))
            + " END"
        )
        for expression, grouping in ((quarter, f", {quarter}"), (f"'{year}'", "")):
            cursor.execute(
                f"INSERT INTO {staging} (run, indicator, part, period, region, value) "
                f"SELECT run, indicator, part, {expression}, region, SUM(value) "
                f"FROM {staging} WHERE run = %s AND {by_month} "
                f"GROUP BY run, indicator, part, region{grouping}",
                [run],
            )


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
    _spread_months(cursor, run, sorted({p.year for p in periods}))
    for period in periods:
        cursor.execute(
            f"INSERT INTO {staging} (run, indicator, part, period, region, value) "
            f"SELECT run, indicator, part, %s, region, value FROM {staging} "
            f"WHERE run = %s AND period = %s",
            [period.key, run, _REPLICATE_KEY],
        )
    cursor.execute(f"DELETE FROM {staging} WHERE run = %s AND period = %s", [run, _REPLICATE_KEY])
    return failed


def _roll_up_subtree(cursor: Any, run: int, prefix: str, period_keys: list[str]) -> int:
    values, staging = _table(IndicatorValue), _table(Staging)
    level = _level_of_prefix(prefix)
    if prefix:
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
    inserted = 0
    for k in range(max(level, 1), 6):
        size = DIGITS[k]
        rest = "0" * (12 - size)
        segment = DIGITS[k] - DIGITS[k - 1]
        at_or_below = (
            ""
            if k == 1
            else f" AND substr(region, {DIGITS[k - 1] + 1}, {segment}) <> '{'0' * segment}'"
        )
        direct = f"substr(region, {size + 1}) = '{rest}'" if rest else "1 = 1"
        cursor.execute(
            f"INSERT INTO {values} (indicator, period, region, numerator, denominator, "
            f"direct_numerator, direct_denominator) "
            f"SELECT indicator, period, substr(region, 1, {size}) || '{rest}', "
            f"SUM(CASE WHEN part = 'n' THEN COALESCE(value, 0) ELSE 0 END), "
            f"SUM(CASE WHEN part = 'd' THEN COALESCE(value, 0) ELSE 0 END), "
            f"SUM(CASE WHEN part = 'n' AND {direct} THEN COALESCE(value, 0) ELSE 0 END), "
            f"SUM(CASE WHEN part = 'd' AND {direct} THEN COALESCE(value, 0) ELSE 0 END) "
            f"FROM {staging} WHERE run = %s{at_or_below} "
            f"GROUP BY indicator, period, substr(region, 1, {size}) "
            # Index order (region, period, indicator): sequential B-tree inserts.
            f"ORDER BY 3, 2, 1",
            [run],
        )
        inserted += max(cursor.rowcount, 0)
    return inserted


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


def _lock(cursor: Any) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        # Roll-ups sort and hash a few hundred thousand rows per level at province scale.
        cursor.execute("SET LOCAL work_mem = '128MB'")


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
        failed = _stage(cursor, run.pk, chosen, periods, prefix)
        rows = _roll_up_subtree(cursor, run.pk, prefix, period_keys)
        if prefix:
            _refresh_ancestors(cursor, run.pk, prefix, period_keys)
        cursor.execute(f"DELETE FROM {_table(Staging)} WHERE run = %s", [run.pk])
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
