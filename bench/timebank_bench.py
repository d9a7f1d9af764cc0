"""Time-bank transfers under load (issue 6): POST /api/v1/timebank/transfers (gifts of one
unit around a ring of 64 accounts of a bench scheme, as the county worker) with 32 concurrent
connections, one request in ten a client retry with the same Idempotency-Key, against gunicorn
and PostgreSQL with production settings; pgbench TPC-B in the same run as the anchor.
Afterwards: `wushe timebank verify` must pass and the gift transfers created during the run
must equal the 201 answers (up to the requests in flight when wrk stops), no key doubled.

    .venv/bin/python bench/timebank_bench.py [--duration 20] [--connections 32] [--workers N]

The fault run (`--fault`) puts the same load on the application through a Python client
that retries every request with its own Idempotency-Key until it gets an answer, while one
gunicorn worker is SIGKILLed and the PostgreSQL server is restarted once. It never touches
the shared server on port 5432: it needs a private cluster, e.g.

    pg_createcluster 15 tbbench --port 5433 && pg_ctlcluster 15 tbbench start
    (trust authentication for 127.0.0.1 in /etc/postgresql/15/tbbench/pg_hba.conf)
    .venv/bin/python bench/timebank_bench.py --fault [--fault-port 5433 --fault-cluster 15/tbbench]

After recovery `wushe timebank verify` must pass and the gift transfers created must equal the
keys that were answered 2xx: nothing lost, nothing doubled."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
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


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def gunicorn_cpu_seconds(base_url: str) -> float:
    """CPU time (user + system) of the gunicorn processes serving `base_url`: the cost per
    transfer that does not depend on how busy the shared machine is."""
    bind = base_url.removeprefix("http://")
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "gunicorn" not in cmdline or bind not in cmdline:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


class RetryingClient:
    """`connections` threads, each sending gifts around the ring for `duration` seconds; a
    request that fails (connection refused or reset, timeout, 5xx) is sent again with the same
    key and body until it gets an answer (at most `give_up` seconds after the load stops)."""

    def __init__(
        self, base_url: str, token: str, accounts: list[int], run: str, give_up: float = 90
    ) -> None:
        self.base_url, self.token, self.accounts, self.run = base_url, token, accounts, run
        self.give_up = give_up
        self.lock = threading.Lock()
        self.answered: dict[str, int] = {}
        self.failed: dict[str, str] = {}
        self.retries = 0
        self.latencies: list[float] = []

    def _send(self, key: str, body: dict[str, Any]) -> int:
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
            f"{self.base_url}/api/v1/timebank/transfers",
            data=json.dumps(body).encode(),
            method="POST",
        )
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.read()
            return int(exc.code)

    def worker(self, tid: int, stop_at: float) -> None:
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            i = (n * 7 + tid * 13) % len(self.accounts)
            key = f"{self.run}-{tid}-{n}"
            body = {
                "kind": "gift",
                "source": self.accounts[i],
                "target": self.accounts[(i + 1) % len(self.accounts)],
                "amount": 1,
            }
            started = time.monotonic()
            deadline = stop_at + self.give_up
            while True:
                try:
                    status = self._send(key, body)
                except OSError as exc:
                    status, reason = 0, str(exc)
                else:
                    reason = f"HTTP {status}"
                if 200 <= status < 300:
                    with self.lock:
                        self.answered[key] = status
                        self.latencies.append((time.monotonic() - started) * 1000)
                    break
                if 400 <= status < 500 and status not in (408, 429):
                    with self.lock:
                        self.failed[key] = reason
                    break
                if time.monotonic() > deadline:
                    with self.lock:
                        self.failed[key] = f"gave up: {reason}"
                    break
                with self.lock:
                    self.retries += 1
                time.sleep(0.2)

    def load(self, connections: int, duration: float) -> None:
        stop_at = time.monotonic() + duration
        threads = [
            threading.Thread(target=self.worker, args=(tid, stop_at), daemon=True)
            for tid in range(connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def fault_run(args: argparse.Namespace, tools: dict[str, str]) -> int:
    server = f"postgres://postgres@127.0.0.1:{args.fault_port}"
    if args.fault_port == 5432:
        raise harness.BenchError("the fault run restarts its server: never the shared 5432")
    version, cluster = args.fault_cluster.split("/")
    name = f"wushe_bench_tbfault_{os.getpid()}"
    _pg(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg(server, f"CREATE DATABASE {name}")
    database_url = f"{server}/{name}"
    var_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-fault-"))
    results: dict[str, Any] = {"connections": args.connections, "workers": args.workers}
    try:
        env = harness.app_environment(database_url, var_dir, "")
        print("prepare (migrate, demo load, collectstatic) ...", flush=True)
        harness.prepare_application(tools, env)
        seeded = harness.run([tools["wushe"], "shell", "-c", SEED], env=env)
        line = next(x for x in seeded.splitlines() if x.startswith("ACCOUNTS="))
        accounts = [int(x) for x in line.removeprefix("ACCOUNTS=").split(",")]
        port = harness.free_port()
        base_url = f"http://{harness.HOST}:{port}"
        log_path = var_dir / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [tools["gunicorn"], "wushe.wsgi", "--bind", f"{harness.HOST}:{port}",
                 "--workers", str(args.workers), "--log-level", "warning",
                 "--error-logfile", "-"],
                env=env, cwd=harness.PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            harness.wait_until_healthy(base_url, process, log_path)
            token = harness.obtain_token(base_url, ENDPOINT.username)
            before, _d = gifts(database_url)
            client = RetryingClient(base_url, token, accounts, f"fault{os.getpid()}")
            events: list[str] = []

            def faults() -> None:
                time.sleep(args.duration * 0.3)
                workers = _children(process.pid)
                if workers:
                    os.kill(workers[0], signal.SIGKILL)
                    events.append(f"{time.strftime('%X')} SIGKILL worker {workers[0]}")
                time.sleep(args.duration * 0.3)
                started = time.monotonic()
                subprocess.run(
                    ["pg_ctlcluster", version, cluster, "restart", "-m", "fast"],
                    check=True, timeout=120,
                )  # fmt: skip
                events.append(
                    f"{time.strftime('%X')} PostgreSQL {version}/{cluster} restarted "
                    f"({time.monotonic() - started:.1f} s)"
                )

            results["load_average_before"] = os.getloadavg()
            fault_thread = threading.Thread(target=faults, daemon=True)
            fault_thread.start()
            print(f"  load {args.duration}s, {args.connections} clients, faults ...", flush=True)
            t0 = time.monotonic()
            client.load(args.connections, args.duration)
            elapsed = time.monotonic() - t0
            fault_thread.join()
            results["load_average_after"] = os.getloadavg()
        finally:
            harness.stop_process(process)
        after, doubled = gifts(database_url)
        ok_verify, verify_output = verify(tools, env)
        answered = len(client.answered)
        latencies = sorted(client.latencies)

        def pct(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0

        results.update(
            events=events,
            answered_2xx=answered,
            failed=len(client.failed),
            failed_examples=list(client.failed.items())[:5],
            retries=client.retries,
            transfers_created=after - before,
            doubled_keys=doubled,
            verify_ok=ok_verify,
            verify_output=verify_output,
            transfers_per_s=round(answered / elapsed, 1),
            latency_ms={"p50": round(pct(0.5), 1), "p99": round(pct(0.99), 1)},
            consistent=ok_verify and doubled == 0 and after - before == answered,
        )
    finally:
        with contextlib.suppress(Exception):
            _pg(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print()
    for event in results["events"]:
        print(f"fault                {event}")
    print(
        f"answered 2xx         {results['answered_2xx']}   transfers created "
        f"{results['transfers_created']}   failed {results['failed']}   retries "
        f"{results['retries']}   doubled keys {results['doubled_keys']}"
    )
    print(
        f"verify               {'OK' if results['verify_ok'] else 'FAILED'}   "
        f"{'consistent' if results['consistent'] else 'MISMATCH'}"
    )
    print(
        f"transfers/s          {results['transfers_per_s']}   p50 / p99 ms "
        f"{results['latency_ms']['p50']} / {results['latency_ms']['p99']} (retries included)"
    )
    print(
        f"load average         before {results['load_average_before']}  "
        f"after {results['load_average_after']}"
    )
    harness.RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = harness.RESULTS_DIR / f"timebank-fault-{stamp}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written {out}")
    return 0 if results["consistent"] and not results["failed"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--fault", action="store_true", help="the fault run (see above)")
    parser.add_argument("--fault-port", type=int, default=5433)
    parser.add_argument("--fault-cluster", default="15/tbbench")
    args = parser.parse_args(argv)

    tools = harness.check_tools()
    if args.fault:
        return fault_run(args, tools)
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
            cpu_before = gunicorn_cpu_seconds(base_url)
            os.environ["WRK_RUN"] = f"run{os.getpid()}"
            print(f"  wrk {args.duration}s, {args.connections} connections ...", flush=True)
            load = harness.run_wrk(
                tools, base_url, ENDPOINT, token, duration=args.duration,
                connections=args.connections, threads=args.threads,
            )  # fmt: skip
            results["load_average_after"] = os.getloadavg()
            cpu_used = gunicorn_cpu_seconds(base_url) - cpu_before
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
            gunicorn_cpu_ms_per_request=round(cpu_used * 1000 / max(1, load["requests"]), 2),
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
    print(f"gunicorn CPU         {results['gunicorn_cpu_ms_per_request']} ms per request")
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
