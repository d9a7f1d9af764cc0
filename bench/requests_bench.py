"""Request submission under load (issue 4): POST /api/v1/requests as a resident with 32
concurrent connections, one request in ten a client retry with the same Idempotency-Key,
against gunicorn and PostgreSQL with production settings; pgbench TPC-B in the same run as the
anchor. Afterwards the rows created during the measured run are counted and compared with the
number of 201 answers: nothing lost, nothing doubled.

    .venv/bin/python bench/requests_bench.py [--duration 20] [--connections 32] [--workers N]
        [--gunicorn-threads T]

`--threads` is wrk's thread count; `--gunicorn-threads T` (> 1) runs gunicorn's gthread worker
class with T threads per worker (default 1: sync workers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

ENDPOINT = harness.Endpoint(
    "POST", "/api/v1/requests", script="submit.lua", username="demo_resident"
)


def count_requests(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM requests_request").fetchone()
    return int(row[0]) if row else 0


def doubled_keys(database_url: str) -> int:
    """Idempotency keys that made more than one request (must be 0)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM requests_request WHERE idempotency_key <> ''"
            " GROUP BY county_code, submitted_by_id, idempotency_key HAVING count(*) > 1) d"
        ).fetchone()
    return int(row[0]) if row else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--gunicorn-threads", type=int, default=1)
    args = parser.parse_args(argv)

    tools = harness.check_tools()
    name = f"wushe_bench_requests_{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-"))
    results: dict[str, Any] = {
        "connections": args.connections,
        "workers": args.workers,
        "gunicorn_threads": args.gunicorn_threads,
    }
    with harness.scratch_database(name) as database_url:
        env = harness.app_environment(database_url, var_dir, "")
        print("prepare (migrate, demo load, collectstatic) ...", flush=True)
        harness.prepare_application(tools, env)
        log_path = var_dir / "gunicorn.log"
        with harness.gunicorn_server(
            tools, env, args.workers, log_path, threads=args.gunicorn_threads
        ) as base_url:
            token = harness.obtain_token(base_url, ENDPOINT.username)
            os.environ["WRK_RUN"] = "warmup"
            harness.run_wrk(
                tools, base_url, ENDPOINT, token, duration=3,
                connections=args.connections, threads=args.threads,
            )  # fmt: skip
            before = count_requests(database_url)
            os.environ["WRK_RUN"] = f"run{os.getpid()}"
            print(f"  wrk {args.duration}s, {args.connections} connections ...", flush=True)
            load = harness.run_wrk(
                tools, base_url, ENDPOINT, token, duration=args.duration,
                connections=args.connections, threads=args.threads,
            )  # fmt: skip
            after = count_requests(database_url)
            doubled = doubled_keys(database_url)
            problems = harness.server_log_problems(log_path)
        raw = load.pop("raw_output")
        p95 = json.loads(
            next(line for line in raw.splitlines() if line.startswith("BENCH_RESULT "))[13:]
        ).get("p95_ms")
        created = load["statuses"].get("201", 0)
        replayed = load["statuses"].get("200", 0)
        results.update(
            load=load,
            p95_ms=p95,
            created_201=created,
            replayed_200=replayed,
            rows_created=after - before,
            doubled_keys=doubled,
            # wrk stops with up to one request per connection in flight: the server finishes
            # those (a real client would retry them with their key and get 200), so the rows may
            # exceed the 201s by at most the number of connections, never fall short.
            in_flight_at_stop=(after - before) - created,
            consistent=doubled == 0 and 0 <= (after - before) - created <= args.connections,
            server_log_problems=problems,
        )
    with harness.scratch_database(f"{name}_pgbench") as _url:
        pgbench = harness.run_pgbench(
            tools, f"{name}_pgbench", duration=args.duration,
            connections=args.connections, threads=args.threads,
        )  # fmt: skip
    pgbench.pop("raw_output", None)
    results["pgbench"] = pgbench
    rps = results["load"]["requests_per_s"]
    ratio = rps / pgbench["tps"] if pgbench["tps"] else 0
    results["ratio"] = round(ratio, 3)
    lat = results["load"]["latency_ms"]
    print()
    print(f"submissions/s        {rps:10.1f}   (target ≥ 500 and ≥ 10% of pgbench)")
    print(f"p50 / p95 / p99 ms   {lat['p50']:.1f} / {p95:.1f} / {lat['p99']:.1f}   (p99 < 250)")
    print(
        f"errors               {results['load']['errors']}   statuses {results['load']['statuses']}"
    )
    print(
        f"201 created          {created}   rows created {after - before}   "
        f"(in flight at stop: {(after - before) - created}; doubled keys: {doubled})   "
        f"{'consistent' if results['consistent'] else 'MISMATCH'}"
    )
    print(f"200 replays          {replayed}")
    print(f"pgbench TPS          {pgbench['tps']:10.1f}   ratio {ratio:.3f}")
    harness.RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = harness.RESULTS_DIR / f"requests-{stamp}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written {out}")
    ok = results["consistent"] and results["load"]["errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
