"""Import benchmark (issue 3): 100,000 resident rows from .csv and from .xlsx through the real
import engine (full validation: GB 11643 checks, phones, regions in scope, duplicates against
the database, encryption of ID numbers and phones, bulk writes) into PostgreSQL, next to
PostgreSQL `COPY` of the same rows into a plain table, in the same run.

    .venv/bin/python bench/imports_bench.py [--rows 100000] [--keep-db]

Figures: rows/s of preview (read + validate, nothing written) and of commit (read + validate
again + write, one transaction), end to end (upload → committed), and COPY rows/s; the ratio is
end-to-end ÷ COPY. Results go to stdout and bench/results/imports-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

import datagen  # noqa: E402
import harness  # noqa: E402

HEADERS = [
    "姓名",
    "身份证号",
    "手机号码",
    "所属社区",
    "户号",
    "住址",
    "困难群体标签",
    "标签开始日期",
]


def build_files(rows: list[dict[str, str]]) -> tuple[bytes, bytes]:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HEADERS)
    writer.writeheader()
    writer.writerows(rows)
    csv_bytes = text.getvalue().encode("utf-8-sig")

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民")
    ws.append(HEADERS)
    for row in rows:
        ws.append([row[h] for h in HEADERS])
    out = io.BytesIO()
    wb.save(out)
    return csv_bytes, out.getvalue()


def copy_anchor(database_url: str, rows: list[dict[str, str]]) -> float:
    """Seconds for COPY of the same rows (text columns) into an unlogged-free plain table."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute(
            "CREATE TABLE bench_copy (name text, id_number text, phone text, community text,"
            " household text, address text, tag text, tag_start text)"
        )
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_copy FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[h] for h in HEADERS])
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_copy")
    return elapsed


def import_once(kind_file: tuple[str, bytes], user: Any) -> dict[str, Any]:
    from wushe.imports.services import import_commit, import_upload

    name, data = kind_file
    t0 = time.perf_counter()
    job = import_upload(kind="residents", file_name=name, data=data, actor=user)
    t1 = time.perf_counter()
    job = import_commit(job=job, actor=user)
    t2 = time.perf_counter()
    job.refresh_from_db()
    return {
        "file": name,
        "bytes": len(data),
        "status": job.status,
        "rows_valid": job.rows_valid,
        "rows_invalid": job.rows_invalid,
        "created": job.rows_created,
        "preview_s": round(t1 - t0, 3),
        "commit_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
    }


def reset_residents() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE residents_residenttag, residents_resident, residents_household,"
            " privacy_consent CASCADE"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the csv import")
    args = parser.parse_args(argv)

    db_name = f"wushe_bench_imports_{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-"))
    harness.create_database(db_name)
    database_url = f"{harness.PG_SERVER_URL}/{db_name}"
    try:
        env = harness.app_environment(database_url, var_dir, "")
        env["WUSHE_IMPORT_MAX_BYTES"] = str(200 * 1024 * 1024)
        os.environ.update(env)
        print("migrate ...", flush=True)
        harness.run([str(harness.VENV_BIN / "wushe"), "migrate", "--noinput", "-v0"], env=env)

        import django

        django.setup()
        from wushe.accounts.models import User
        from wushe.accounts.roles import Role
        from wushe.accounts.services import grant_create
        from wushe.regions.models import Region
        from wushe.regions.services import regions_load

        regions_load(prefix="330481")
        user = User.objects.create_user(username="bench_county", password="x" * 12)
        grant_create(user=user, role=Role.CIVIL_AFFAIRS, region_code="330481000000")
        communities = list(
            Region.objects.filter(code__startswith="330481", level=5).values_list("code", flat=True)
        )
        print(f"generate {args.rows} rows over {len(communities)} communities ...", flush=True)
        rows = list(datagen.residents(args.rows, communities, seed=args.seed))
        csv_bytes, xlsx_bytes = build_files(rows)

        print("COPY anchor ...", flush=True)
        copy_s = copy_anchor(database_url, rows)
        results: dict[str, Any] = {"rows": args.rows, "copy_s": round(copy_s, 3)}
        for label, payload in (
            ("csv", ("居民.csv", csv_bytes)),
            ("xlsx", ("居民.xlsx", xlsx_bytes)),
        ):
            reset_residents()
            print(f"import {label} ...", flush=True)
            if args.profile and label == "csv":
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                results[label] = profiler.runcall(import_once, payload, user)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            else:
                results[label] = import_once(payload, user)

        copy_rate = args.rows / copy_s
        print()
        print(f"{'what':<22}{'rows':>9}{'seconds':>10}{'rows/s':>10}{'÷ COPY':>9}")
        print(f"{'PostgreSQL COPY':<22}{args.rows:>9}{copy_s:>10.2f}{copy_rate:>10.0f}{1:>9.3f}")
        for label in ("csv", "xlsx"):
            r = results[label]
            for part in ("preview_s", "commit_s", "total_s"):
                rate = args.rows / r[part]
                name = f"{label} {part[:-2]}"
                print(
                    f"{name:<22}{args.rows:>9}{r[part]:>10.2f}{rate:>10.0f}{rate / copy_rate:>9.3f}"
                )
            r["rows_per_s"] = round(args.rows / r["total_s"])
            r["commit_rows_per_s"] = round(args.rows / r["commit_s"])
            if r["created"] != args.rows:
                print(f"warning: {label}: created {r['created']} of {args.rows}: {r}")
        results["copy_rows_per_s"] = round(copy_rate)
        results["machine"] = {"cores": os.cpu_count(), "postgres": harness.pg_server_version()}
        harness.RESULTS_DIR.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = harness.RESULTS_DIR / f"imports-{stamp}.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
        print(f"\nwritten {out}")
        return 0 if all(results[k]["created"] == args.rows for k in ("csv", "xlsx")) else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            harness.drop_database(db_name)


if __name__ == "__main__":
    sys.exit(main())
