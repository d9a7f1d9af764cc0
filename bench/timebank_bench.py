"""Time-bank transfers under load (issue 6): POST /api/v1/timebank/transfers (gifts of one
unit around a ring of 64 accounts of a bench scheme, as the county worker) with 32 concurrent
connections, one request in ten a client retry with the same Idempotency-Key, against gunicorn
and PostgreSQL with production settings; pgbench TPC-B in the same run as the anchor.
Afterwards: `wushe timebank verify` must pass and the gift transfers created during the run
must equal the 201 answers (up to the requests in flight when wrk stops), no key doubled.

    .venv/bin/python bench/timebank_bench.py [--duration 20] [--connections 32] [--workers N]

Not done yet: the fault run (a worker SIGKILLed and a private PostgreSQL cluster restarted
during the load, clients retrying with their keys)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

ENDPOINT = harness.Endpoint(
    "POST", "/api/v1/timebank/transfers", script="transfer.lua", username="demo_county"
)
RING = 64

# Run inside `wushe shell`: a bench scheme without caps where anyone may receive gifts, RING
# accounts of demo volunteers, each credited through coins_earn; prints the account ids.
SEED = """
from datetime import date
from wushe.accounts.models import User
from wushe.timebank import services as tb
from wushe.timebank.models import Scheme
from wushe.volunteers.models import Volunteer
admin = User.objects.get(username="demo_county")
scheme = Scheme.objects.filter(code="bench-coin").first() or tb.scheme_create(
    region_code="330481000000", code="bench-coin", name="压测时间币", kind="coin", actor=admin,
    daily_earn_cap=None, storage_cap=None, gift_policy="anyone")
ids = []
for n, v in enumerate(Volunteer.objects.filter(county_code="330481").order_by("pk")[:RING_SIZE]):
    a = tb.account_for_volunteer(scheme=scheme, volunteer=v)
    tb.coins_earn(account=a, minutes=6000, value_date=date(2026, 1, 1), actor=admin,
                  source_ref=f"bench:{a.pk}")
    ids.append(a.pk)
print("ACCOUNTS=" + ",".join(map(str, ids)))
""".replace("RING_SIZE", str(RING))


def gifts(database_url: str) -> tuple[int, int]:
    """(gift transfers, keys used by more than one transfer)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM timebank_transfer WHERE kind='gift'").fetchone()
        doubled = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM timebank_transfer WHERE idempotency_key <> ''"
            " GROUP BY created_by_id, idempotency_key HAVING count(*) > 1) d"
        ).fetchone()
    return (int(row[0]) if row else 0), (int(doubled[0]) if doubled else 0)


def verify(tools: dict[str, str], env: dict[str, str]) -> tuple[bool, str]:
    done = subprocess.run(
        [tools["wushe"], "timebank", "verify"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return done.returncode == 0, (done.stdout + done.stderr).strip()[-2000:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    args = parser.parse_args(argv)

    tools = harness.check_tools()
    name = f"wushe_bench_timebank_{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-"))
    results: dict[str, Any] = {
        "connections": args.connections,
        "workers": args.workers,
        "load_average_before": os.getloadavg(),
    }
    with harness.scratch_database(name) as database_url:
        env = harness.app_environment(database_url, var_dir, "")
        print("prepare (migrate, demo load, collectstatic) ...", flush=True)
        harness.prepare_application(tools, env)
        seeded = harness.run([tools["wushe"], "shell", "-c", SEED], env=env)
        line = next(x for x in seeded.splitlines() if x.startswith("ACCOUNTS="))
        os.environ["WRK_ACCOUNTS"] = line.removeprefix("ACCOUNTS=")
        log_path = var_dir / "gunicorn.log"
        with harness.gunicorn_server(tools, env, args.workers, log_path) as base_url:
            token = harness.obtain_token(base_url, ENDPOINT.username)
            os.environ["WRK_RUN"] = "warmup"
            harness.run_wrk(
                tools, base_url, ENDPOINT, token, duration=3,
                connections=args.connections, threads=args.threads,
            )  # fmt: skip
            before, _d = gifts(database_url)
            os.environ["WRK_RUN"] = f"run{os.getpid()}"
            print(f"  wrk {args.duration}s, {args.connections} connections ...", flush=True)
            load = harness.run_wrk(
                tools, base_url, ENDPOINT, token, duration=args.duration,
                connections=args.connections, threads=args.threads,
            )  # fmt: skip
            results["load_average_after"] = os.getloadavg()
            after, doubled = gifts(database_url)
            problems = harness.server_log_problems(log_path)
        ok_verify, verify_output = verify(tools, env)
        raw = load.pop("raw_output")
        p95 = json.loads(
            next(line for line in raw.splitlines() if line.startswith("BENCH_RESULT "))[13:]
        ).get("p95_ms")
        created = load["statuses"].get("201", 0)
        results.update(
            load=load,
            p95_ms=p95,
            created_201=created,
            replayed_200=load["statuses"].get("200", 0),
            transfers_created=after - before,
            doubled_keys=doubled,
            in_flight_at_stop=(after - before) - created,
            verify_ok=ok_verify,
            verify_output=verify_output,
            consistent=ok_verify
            and doubled == 0
            and 0 <= (after - before) - created <= args.connections,
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
    print(f"transfers/s          {rps:10.1f}   (target ≥ 10% of pgbench)")
    print(f"p50 / p95 / p99 ms   {lat['p50']:.1f} / {p95:.1f} / {lat['p99']:.1f}   (p99 < 250)")
    print(f"errors               {results['load']['errors']}   statuses {load['statuses']}")
    print(
        f"201 created          {created}   transfers created {after - before}   "
        f"(in flight at stop: {(after - before) - created}; doubled keys: {doubled})   "
        f"verify {'OK' if ok_verify else 'FAILED'}   "
        f"{'consistent' if results['consistent'] else 'MISMATCH'}"
    )
    print(f"pgbench TPS          {pgbench['tps']:10.1f}   ratio {ratio:.3f}")
    print(
        f"load average         before {results['load_average_before']}  "
        f"after {results['load_average_after']}"
    )
    harness.RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = harness.RESULTS_DIR / f"timebank-{stamp}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written {out}")
    ok = results["consistent"] and results["load"]["errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
