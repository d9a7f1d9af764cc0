"""Indicators at province scale (issue 8): builds a Zhejiang-shaped data set in a fresh
PostgreSQL database (the real ~27,000 divisions of Zhejiang, of which ~25,000 villages and
communities, and generated registers: residents, households, volunteers, service records,
requests, organisations, stations, social workers, community-worker accounts, party members)
with INSERT … SELECT generate_series (no Python loop over rows), then

1. times a full rebuild of every registered indicator for one year (17 periods) — target 60 s;
2. starts gunicorn with production settings and times dashboard pages and the indicators API
   sequentially (one client: each figure is what a user waits) — target p95 < 300 ms;
3. exports the tables the indicator definitions read (COPY … TO csv) into DuckDB and runs the
   *same* computation there (the engine's SQL on a DuckDB cursor), reporting both times, their
   ratio, and whether the two engines agree (row count and sums per indicator).

    .venv/bin/python bench/indicators_bench.py [--scale 1.0] [--requests 30] [--keep]
    .venv/bin/python bench/indicators_bench.py --reuse --db NAME   # a database kept before

`--scale` multiplies the generated row counts (1.0 = 2,000,000 residents, 200,000 volunteers,
5,000,000 service records, 500,000 requests); the divisions are always all of Zhejiang.
Results go to bench/results/indicators-<timestamp>.json. The database is dropped at the end
unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

import harness  # noqa: E402

PASSWORD = "bench-password-1"  # noqa: S105 - scratch database only
YEAR = 2026
FULL = {
    "residents": 2_000_000,
    "households": 700_000,
    "volunteers": 200_000,
    "service_records": 5_000_000,
    "requests": 500_000,
    "organizations": 60_000,
    "social_workers": 30_000,
    "community_workers": 20_000,
    "party_members": 100_000,
}

_FILLER = {
    "character varying": "''",
    "text": "''",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
    "numeric": "0",
    "double precision": "0",
    "boolean": "false",
    "timestamp with time zone": "now()",
    "date": "current_date",
    "jsonb": "'[]'::jsonb",
    "uuid": "gen_random_uuid()",
}


def _columns(cursor: Any, table: str) -> list[tuple[str, str, bool, bool]]:
    cursor.execute(
        "SELECT column_name, data_type, is_nullable = 'YES', "
        "column_default IS NOT NULL OR is_identity = 'YES' "
        "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return list(cursor.fetchall())


def insert_series(
    cursor: Any, table: str, count: int, given: dict[str, str], source: str = ""
) -> float:
    """INSERT count rows into table: columns in `given` from SQL expressions over `g`
    (1..count) and the joined `source`; every other NOT NULL column without a default gets a
    neutral value of its type. Returns seconds."""
    values = dict(given)
    for name, data_type, nullable, has_default in _columns(cursor, table):
        if name in values or nullable or has_default:
            continue
        values[name] = _FILLER[data_type]
    columns = ", ".join(f'"{c}"' for c in values)
    expressions = ", ".join(values.values())
    started = time.perf_counter()
    cursor.execute(
        f'INSERT INTO "{table}" ({columns}) SELECT {expressions} '  # noqa: S608 - bench SQL
        f"FROM generate_series(1::bigint, {int(count)}) g {source}"
    )
    return time.perf_counter() - started


def seed(scale: float, organiser_id: int, category_id: int) -> dict[str, Any]:
    from django.db import connection

    n = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    timings: dict[str, float] = {}
    with connection.cursor() as c:
        # Generated rows are consistent by construction: skip the per-row foreign-key triggers
        # while loading (session only; needs the postgres superuser the harness uses).
        c.execute("SET session_replication_role = replica")
        c.execute("DROP TABLE IF EXISTS bench_comm")
        c.execute(
            "CREATE TABLE bench_comm AS SELECT row_number() OVER (ORDER BY code) AS i, code, kind "
            "FROM regions_region WHERE level = 5"
        )
        c.execute("CREATE UNIQUE INDEX ON bench_comm (i)")
        c.execute("SELECT count(*) FROM bench_comm")
        communities = c.fetchone()[0]
        c.execute("DROP TABLE IF EXISTS bench_town")
        c.execute(
            "CREATE TABLE bench_town AS SELECT row_number() OVER (ORDER BY code) AS i, code "
            "FROM regions_region WHERE level = 4"
        )
        c.execute("CREATE UNIQUE INDEX ON bench_town (i)")
        c.execute("SELECT count(*) FROM bench_town")
        townships = c.fetchone()[0]
        comm = f"JOIN bench_comm b ON b.i = 1 + (g * 7919) % {communities}"
        town = f"JOIN bench_town t ON t.i = 1 + g % {townships}"
        year_start = f"timestamptz '{YEAR}-01-01 00:00:00+08'"
        placed = {"region_id": "b.code", "county_code": "left(b.code, 6)"}

        timings["residents"] = insert_series(
            c,
            "residents_resident",
            n["residents"],
            {
                **placed,
                "name": "'居民' || g",
                "birth_date": "date '1930-01-01' + ((g * 104729) % 33000)::int",
                "status": "CASE WHEN g % 40 = 0 THEN 'moved_out' ELSE 'active' END",
                "created_at": "now()",
                "updated_at": "now()",
            },
            comm,
        )
        timings["households"] = insert_series(
            c, "residents_household", n["households"], {**placed, "number": "'H' || g"}, comm
        )
        timings["volunteers"] = insert_series(
            c,
            "volunteers_volunteer",
            n["volunteers"],
            {
                **placed,
                "name": "'志愿者' || g",
                "number": "'V' || g",
                "registered_on": "date '2024-01-01' + (g % 700)::int",
                "status": "CASE WHEN g % 25 = 0 THEN 'withdrawn' ELSE 'active' END",
            },
            comm,
        )
        timings["activities"] = insert_series(
            c,
            "activities_activity",
            communities,
            {
                **placed,
                "title": "'活动' || g",
                "organiser_id": str(organiser_id),
                "starts_at": year_start,
                "ends_at": f"{year_start} + interval '1 year'",
            },
            "JOIN bench_comm b ON b.i = g",
        )
        c.execute("SELECT min(id) FROM activities_activity")
        first_activity = c.fetchone()[0]
        second_of_year = "((g * 2654435761) % 31536000)"
        c.execute("SELECT min(id), count(*) FROM volunteers_volunteer")
        first_volunteer, volunteers = c.fetchone()
        timings["service_records"] = insert_series(
            c,
            "activities_servicerecord",
            n["service_records"],
            {
                **placed,
                "activity_id": f"{first_activity} + (g * 7919) % {communities}",
                "volunteer_id": f"{first_volunteer} + g % {volunteers}",
                "signed_in_at": f"{year_start} + {second_of_year} * interval '1 second'",
                "signed_out_at": f"{year_start} + ({second_of_year} + 3600) * interval '1 second'",
                "minutes": "30 + g % 150",
                "status": "CASE WHEN g % 10 = 0 THEN 'submitted' ELSE 'verified' END",
            },
            comm,
        )
        at = f"{year_start} + ((g * 40503) % 31000000) * interval '1 second'"
        timings["requests"] = insert_series(
            c,
            "requests_request",
            n["requests"],
            {
                **placed,
                "number": "'B' || g",
                "category_id": str(category_id),
                "description": "'诉求'",
                "status": "'closed'",
                "submitted_at": at,
                "accepted_at": at + " + interval '2 hours'",
                "accept_due_at": at
                + " + (CASE WHEN g % 9 = 0 THEN 1 ELSE 4 END) * interval '1 hour'",
                "resolved_at": f"CASE WHEN g % 5 = 0 THEN NULL ELSE {at} + interval '3 days' END",
                "resolved_on_time": "g % 7 <> 0",
                "rating": "CASE WHEN g % 3 = 0 THEN 1 + g % 5 ELSE NULL END",
                "rated_at": f"CASE WHEN g % 3 = 0 THEN {at} + interval '4 days' ELSE NULL END",
                "updated_at": "now()",
            },
            comm,
        )
        timings["organizations"] = insert_series(
            c,
            "organizations_organization",
            n["organizations"],
            {
                "region_id": "b.code",
                "name": "'社区组织' || g",
                "legal_status": "CASE WHEN g % 20 = 0 THEN 'deregistered' ELSE 'filed' END",
                "org_kind": "'community'",
                "is_hub": "g % 9 = 0",
                "grade": "''",
                "created_at": "now()",
                "updated_at": "now()",
            },
            comm,
        )
        timings["stations"] = insert_series(
            c,
            "stations_servicestation",
            townships,
            {
                "region_id": "t.code",
                "county_code": "left(t.code, 6)",
                "kind": "'social_work'",
                "name": "'社工站' || g",
                "active": "g % 10 <> 0",
                "service_area_m2": "200",
            },
            "JOIN bench_town t ON t.i = g",
        )
        timings["stations"] += insert_series(
            c,
            "stations_servicestation",
            communities,
            {
                **placed,
                "kind": "CASE WHEN g % 5 = 0 THEN 'party_service' ELSE 'volunteer' END",
                "name": "'站点' || g",
                "active": "true",
                "service_area_m2": "80 + g % 400",
            },
            "JOIN bench_comm b ON b.i = g",
        )
        c.execute(
            "SELECT min(id), count(*) FROM stations_servicestation WHERE kind = 'social_work'"
        )
        first_station, stations = c.fetchone()
        timings["social_workers"] = insert_series(
            c,
            "socialworkers_socialworker",
            n["social_workers"],
            {
                "region_id": "CASE WHEN g % 2 = 0 THEN t.code ELSE b.code END",
                "county_code": "left(CASE WHEN g % 2 = 0 THEN t.code ELSE b.code END, 6)",
                "name": "'社工' || g",
                "certificate_level": "'assistant'",
                "certificate_number": "'ZS' || g",
                "certificate_date": "date '2020-01-01'",
                "registration_due_on": "date '2030-01-01'",
                "station_id": f"CASE WHEN g % 2 = 0 THEN {first_station} + g % {stations} END",
                "resident_at_station": "g % 3 <> 0",
                "is_community_worker": "g % 2 = 1",
                "status": "CASE WHEN g % 30 = 0 THEN 'left' ELSE 'active' END",
            },
            f"{comm} {town}",
        )
        timings["community_workers"] = insert_series(
            c,
            "accounts_user",
            n["community_workers"],
            {
                "username": "'bench_cw_' || g",
                "password": "'!'",
                "is_active": "true",
                "is_staff": "false",
                "is_superuser": "false",
                "date_joined": "now()",
            },
        )
        c.execute("SELECT min(id) FROM accounts_user WHERE username LIKE 'bench_cw_%%'")
        first_user = c.fetchone()[0]
        timings["community_workers"] += insert_series(
            c,
            "accounts_rolegrant",
            n["community_workers"],
            {
                "user_id": f"{first_user} + g - 1",
                "role": "'community_worker'",
                "region_id": "b.code",
                "granted_at": "now()",
            },
            comm,
        )
        timings["party_members"] = insert_series(
            c,
            "partymembers_partymembercheckin",
            n["party_members"],
            {
                **placed,
                "name": "'党员' || g",
                "work_unit": "'机关'",
                "party_organization": "'支部'",
                "reported_on": "date '2025-03-01'",
                "status": "CASE WHEN g % 8 = 0 THEN 'ended' ELSE 'active' END",
            },
            comm,
        )
        c.execute("SET session_replication_role = origin")
        c.execute("DROP TABLE bench_comm")
        c.execute("DROP TABLE bench_town")
        started = time.perf_counter()
        c.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - started
    return {
        "counts": {**n, "communities": communities, "townships": townships},
        "seconds": {k: round(v, 1) for k, v in timings.items()},
    }


# ---- DuckDB ---------------------------------------------------------------------------------

_DUCK_TYPES = {
    "character varying": "VARCHAR",
    "text": "VARCHAR",
    "integer": "BIGINT",
    "bigint": "BIGINT",
    "smallint": "BIGINT",
    "numeric": "DECIMAL(24,4)",
    "double precision": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp with time zone": "TIMESTAMPTZ",
    "date": "DATE",
    "jsonb": "VARCHAR",
    "uuid": "VARCHAR",
}


class DuckCursor:
    """Enough of a DB-API cursor for the engine: %s placeholders become ?."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.rowcount = -1

    def execute(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
        sql = re.sub(r"::[a-z]+(\(\d+(,\s*\d+)?\))?", "", sql) if "::" in sql else sql
        self.con.execute(sql.replace("%s", "?"), list(params))
        self.rowcount = -1

    def fetchall(self) -> list[Any]:
        return self.con.fetchall()


def measure_tables() -> list[str]:
    """Tables the registered measures read (from the SQL Django generates for them)."""
    from wushe.indicators.periods import Period
    from wushe.indicators.registry import all_indicators

    tables: set[str] = set()
    for indicator in all_indicators():
        for _part, m in indicator.measures():
            sql, _params = m.rows(Period.parse(str(YEAR))).query.sql_with_params()
            tables.update(re.findall(r'(?:FROM|JOIN) "([a-z0-9_]+)"', sql))
    return sorted(tables)


def export_to_duckdb(path: Path, tables: list[str]) -> tuple[Any, float]:
    import duckdb
    from django.db import connection

    started = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    export_dir = Path(tempfile.mkdtemp(prefix="wushe-duck-"))
    with connection.cursor() as c:
        raw = c.connection  # psycopg connection
        for table in tables:
            cols = _columns(c, table)
            target = export_dir / f"{table}.csv"
            with (
                raw.cursor() as pc,
                target.open("wb") as out,
                pc.copy(f'COPY "{table}" TO STDOUT (FORMAT csv, HEADER)') as copy,
            ):
                for data in copy:
                    out.write(data)
            spec = ", ".join(
                f"'{name}': '{_DUCK_TYPES.get(t, 'VARCHAR')}'" for name, t, _n, _d in cols
            )
            con.execute(
                f"CREATE TABLE \"{table}\" AS SELECT * FROM read_csv('{target}', header = true, "  # noqa: S608
                f"columns = {{{spec}}})"
            )
            target.unlink()
    con.execute(
        'CREATE TABLE "indicators_staging" (id BIGINT, run BIGINT, indicator VARCHAR, '
        "part VARCHAR, period VARCHAR, region VARCHAR, value DECIMAL(24,4), month BIGINT)"
    )
    con.execute(
        'CREATE TABLE "indicators_indicatorvalue" (id BIGINT, indicator VARCHAR, period VARCHAR, '
        "region VARCHAR, numerator DECIMAL(24,4), denominator DECIMAL(24,4), "
        "direct_numerator DECIMAL(24,4), direct_denominator DECIMAL(24,4))"
    )
    return con, time.perf_counter() - started


def duckdb_compute(con: Any) -> tuple[float, list[str]]:
    from wushe.indicators import engine
    from wushe.indicators.registry import all_indicators

    cursor = DuckCursor(con)
    periods = engine.periods_of([YEAR])
    started = time.perf_counter()
    failed = engine._stage(cursor, 1, all_indicators(), periods, "")
    engine._roll_up_subtree(cursor, 1, "", [p.key for p in periods] + [engine.SNAPSHOT_KEY])
    con.execute('DELETE FROM "indicators_staging"')
    return time.perf_counter() - started, failed


def checksums_pg() -> dict[str, tuple[int, str, str]]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "SELECT indicator, count(*), sum(numerator), sum(denominator) "
            "FROM indicators_indicatorvalue GROUP BY indicator"
        )
        return {
            r[0]: (int(r[1]), f"{Decimal(r[2]):.2f}", f"{Decimal(r[3]):.2f}") for r in c.fetchall()
        }


def checksums_duck(con: Any) -> dict[str, tuple[int, str, str]]:
    rows = con.execute(
        "SELECT indicator, count(*), sum(numerator), sum(denominator) "
        'FROM "indicators_indicatorvalue" GROUP BY indicator'
    ).fetchall()
    return {r[0]: (int(r[1]), f"{Decimal(r[2]):.2f}", f"{Decimal(r[3]):.2f}") for r in rows}


# ---- HTTP -----------------------------------------------------------------------------------


def login_opener(base_url: str, username: str) -> urllib.request.OpenerDirector:
    import registry_bench

    registry_bench.PASSWORD = PASSWORD
    return registry_bench.login_opener(base_url, username)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database --db kept by an earlier --keep run as it is (no seeding) "
        "and keep it",
    )
    parser.add_argument("--rebuilds", type=int, default=1, help="timed full rebuilds")
    parser.add_argument("--db", default=f"wushe_bench_indicators_{os.getpid()}")
    args = parser.parse_args(argv)

    tools = harness.check_tools()
    db_name = args.db
    var_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-ind-"))
    if args.reuse:
        args.keep = True
    else:
        harness.create_database(db_name)
    database_url = f"{harness.PG_SERVER_URL}/{db_name}"
    summary: dict[str, Any] = {"scale": args.scale, "started": dt.datetime.now().isoformat()}
    try:
        from wushe.core.crypto import new_key

        env = harness.app_environment(database_url, var_dir, "")
        env["WUSHE_DATA_KEYS"] = f"kbench:{new_key()}"
        env["WUSHE_LOOKUP_KEY"] = new_key()
        os.environ.update(env)
        print("migrate ...", flush=True)
        harness.run([tools["wushe"], "migrate", "--noinput", "-v0"], env=env)
        harness.run([tools["wushe"], "collectstatic", "--noinput", "-v0"], env=env)
        import django

        django.setup()
        from django.db import connections

        from wushe.accounts.models import User
        from wushe.accounts.roles import Role
        from wushe.accounts.services import grant_create, token_issue
        from wushe.indicators import engine
        from wushe.indicators.models import RefreshRun
        from wushe.regions.services import regions_load
        from wushe.taxonomy.models import Term

        if args.reuse:
            print(f"reusing database {db_name} (no seeding)", flush=True)
            province = User.objects.get(username="bench_province")
            county = User.objects.get(username="bench_county")
        else:
            started = time.perf_counter()
            regions_load(prefix="33")
            summary["regions_seconds"] = round(time.perf_counter() - started, 1)
            province = User.objects.create_user(username="bench_province", password=PASSWORD)
            grant_create(user=province, role=Role.CIVIL_AFFAIRS, region_code="330000000000")
            county = User.objects.create_user(username="bench_county", password=PASSWORD)
            grant_create(user=county, role=Role.CIVIL_AFFAIRS, region_code="330481000000")
            category = (
                Term.objects.filter(vocabulary="request_category").first() or Term.objects.first()
            )
            assert category is not None
            print(f"seed (scale {args.scale}) ...", flush=True)
            started = time.perf_counter()
            summary["seed"] = seed(args.scale, province.pk, category.pk)
            summary["seed"]["total_seconds"] = round(time.perf_counter() - started, 1)
            print(f"  {json.dumps(summary['seed'], ensure_ascii=False)}", flush=True)
        print("full rebuild (PostgreSQL) ...", flush=True)
        summary["load_before_rebuild"] = loadavg()
        rebuilds = []
        for _attempt in range(args.rebuilds):
            started = time.perf_counter()
            run = engine.compute(years=[YEAR], kind=RefreshRun.Kind.REBUILD)
            rebuilds.append(round(time.perf_counter() - started, 2))
        summary["rebuild_seconds"] = rebuilds
        summary["rebuild_rows"] = run.rows
        summary["rebuild_failed"] = run.failed
        summary["load_after_rebuild"] = loadavg()
        print(f"  rebuild {rebuilds} s, {run.rows} values, failed {run.failed}", flush=True)
        started = time.perf_counter()
        engine.compute(years=[YEAR], prefix="330481")
        summary["refresh_one_county_seconds"] = round(time.perf_counter() - started, 2)
        pg_sums = checksums_pg()

        token, _ = token_issue(user=county, name="bench")
        ptoken, _ = token_issue(user=province, name="bench")
        connections.close_all()
        pages = [
            (
                "province",
                "dashboard: province (11 cities)",
                f"/indicators/?region=330000000000&period={YEAR}-10",
            ),
            (
                "province",
                "dashboard: province, year",
                f"/indicators/?region=330000000000&period={YEAR}",
            ),
            (
                "province",
                "dashboard: city 嘉兴",
                f"/indicators/?region=330400000000&period={YEAR}-10",
            ),
            (
                "province",
                "dashboard: county 海宁",
                f"/indicators/?region=330481000000&period={YEAR}-Q4",
            ),
            (
                "province",
                "dashboard: township 硖石",
                f"/indicators/?region=330481001000&period={YEAR}-10",
            ),
            (
                "province",
                "dashboard: community",
                f"/indicators/?region=330481001007&period={YEAR}-10",
            ),
            (
                "province",
                "indicator: province ranking",
                f"/indicators/requests.resolved_on_time/?region=330000000000&period={YEAR}-10",
            ),
            (
                "province",
                "indicator: county ranking",
                f"/indicators/activities.verified_volunteer_hours/?region=330481000000&period={YEAR}-10",
            ),
            (
                "province",
                "report: county, year",
                f"/indicators/report/?region=330481000000&year={YEAR}",
            ),
            ("county", "dashboard: county (own scope)", f"/indicators/?period={YEAR}-10"),
            (
                "county",
                "API: indicators county",
                f"/api/v1/indicators?region=330481000000&period={YEAR}-10",
            ),
            (
                "county",
                "API: breakdown county",
                f"/api/v1/indicators/requests.satisfaction/breakdown?region=330481000000&period={YEAR}-Q4",
            ),
            (
                "province",
                "API: breakdown province",
                f"/api/v1/indicators/socialworkers.per_10k_residents/breakdown?region=330000000000&period={YEAR}",
            ),
        ]
        import registry_bench

        results = []
        summary["load_before_http"] = loadavg()
        log_path = var_dir / "gunicorn.log"
        with harness.gunicorn_server(tools, env, args.workers, log_path) as base_url:
            openers = {
                "county": login_opener(base_url, "bench_county"),
                "province": login_opener(base_url, "bench_province"),
            }
            tokens = {"county": token, "province": ptoken}
            for who, label, path in pages:
                headers = (
                    {"Authorization": f"Bearer {tokens[who]}"} if path.startswith("/api/") else {}
                )
                opener = openers[who] if not headers else urllib.request.build_opener()
                row = registry_bench.time_url(opener, f"{base_url}{path}", args.requests, headers)
                row.update(who=who, what=label, path=path)
                results.append(row)
                mark = "ok" if row["p95_ms"] < 300 and row["status"] == 200 else "SLOW"
                print(
                    f"  {label:<34}{row['status']:>5}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
                    f"{row['p99_ms']:>9.1f}  {mark}",
                    flush=True,
                )
        summary["http"] = results
        summary["load_after_http"] = loadavg()

        print("DuckDB: export and compute ...", flush=True)
        tables = measure_tables()
        duck_path = var_dir / "bench.duckdb"
        con, export_seconds = export_to_duckdb(duck_path, tables)
        duck_seconds, duck_failed = duckdb_compute(con)
        duck_sums = checksums_duck(con)
        agree = {
            code: pg_sums.get(code) == duck_sums.get(code)
            for code in sorted(set(pg_sums) | set(duck_sums))
        }
        summary["duckdb"] = {
            "tables": tables,
            "export_seconds": round(export_seconds, 1),
            "compute_seconds": round(duck_seconds, 2),
            "failed": duck_failed,
            "ratio_postgres_to_duckdb": round(min(rebuilds) / duck_seconds, 2)
            if duck_seconds
            else None,
            "agree": agree,
            "disagree": {
                c: [pg_sums.get(c), duck_sums.get(c)] for c, ok in agree.items() if not ok
            },
        }
        summary["load_at_end"] = loadavg()
        ratio = summary["duckdb"]["ratio_postgres_to_duckdb"]
        print(
            f"  DuckDB compute {duck_seconds:.2f} s (export {export_seconds:.1f} s); PostgreSQL "
            f"rebuild {min(rebuilds):.2f} s; ratio {ratio}; "
            f"agree on {sum(agree.values())}/{len(agree)} indicators",
            flush=True,
        )
        summary["postgres"] = harness.pg_server_version()
        summary["cores"] = os.cpu_count()
        harness.RESULTS_DIR.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = harness.RESULTS_DIR / f"indicators-{stamp}.json"
        out.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        print(f"written {out}")
        print(f"load average now {loadavg()}")
        return 0 if all(r["status"] == 200 for r in results) else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            harness.drop_database(db_name)


if __name__ == "__main__":
    raise SystemExit(main())
