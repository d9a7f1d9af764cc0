"""Benchmark harness: HTTP endpoints of the platform under wrk, anchored by pgbench.

One run:

1. creates a fresh PostgreSQL database on the local server, migrates it and loads the Haining
   demo data (`wushe migrate`, `wushe demo load`) with production settings (DEBUG=0);
2. collects static files and starts gunicorn (`wushe.wsgi`) on a free port of 127.0.0.1 and
   waits for `GET /healthz`;
3. gets a bearer token for a demo login from `POST /api/v1/auth/token`;
4. drives each selected endpoint with wrk (a second process) and a Lua script that adds the
   token and counts non-2xx responses;
5. runs pgbench TPC-B against a separate scratch database on the same server, as the anchor
   (after the HTTP runs, so the two loads do not compete for the same cores);
6. prints a table and writes the same figures to bench/results/<timestamp>.json.

gunicorn is stopped and the databases are dropped at the end, also on errors and on Ctrl-C.
All traffic goes to 127.0.0.1. See bench/README.md.

Adding an endpoint: add a row to ENDPOINTS.

    .venv/bin/python bench/harness.py [--duration 20] [--connections 32] [--threads 2]
                                      [--workers N] [--endpoint me] ...
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
WRK_DIR = BENCH_DIR / "wrk"
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent

HOST = "127.0.0.1"
PG_SERVER_URL = "postgres://postgres@127.0.0.1:5432"
PG_MAINTENANCE_DB = "postgres"
DEMO_PASSWORD = "wushe-demo"  # noqa: S105 - the public password of the demo logins
PGBENCH_SCALE = 10
MAX_DURATION = 600  # seconds per measured run: keeps a run bounded
SERVER_START_TIMEOUT = 60  # seconds to wait for /healthz


@dataclass(frozen=True)
class Endpoint:
    """One row of the benchmark: what wrk sends, as which demo login."""

    method: str
    path: str
    body: dict[str, Any] | None = None
    script: str = "authed.lua"  # under bench/wrk/
    username: str = "demo_county"
    description: str = ""


# The endpoints the harness knows. Later issues add rows here.
ENDPOINTS: dict[str, Endpoint] = {
    "me": Endpoint("GET", "/api/v1/me", description="current user's roles and regions"),
}


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


# --------------------------------------------------------------------------------------------
# Prerequisites and small helpers


REQUIRED_TOOLS = {
    "wrk": "wrk is missing: install the Debian package with `apt-get install wrk`.",
    "pgbench": (
        "pgbench is missing: install it with `apt-get install postgresql-contrib` "
        "(or `postgresql-client`, which ships pgbench on newer Debian releases)."
    ),
}


def check_tools() -> dict[str, str]:
    """Absolute paths of the external programs, or exit with the package to install."""
    paths: dict[str, str] = {}
    for tool, advice in REQUIRED_TOOLS.items():
        path = shutil.which(tool)
        if path is None:
            sys.exit(f"error: {advice}")
        paths[tool] = path
    for tool in ("wushe", "gunicorn"):
        path = VENV_BIN / tool
        if not path.exists():
            sys.exit(f"error: {path} not found; run with the project venv (make build).")
        paths[tool] = str(path)
    return paths


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run a command, return its stdout; raise BenchError with its output when it fails."""
    try:
        done = subprocess.run(
            cmd, env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`{' '.join(cmd)}` did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-4000:]
        raise BenchError(f"`{' '.join(cmd)}` failed with exit code {done.returncode}:\n{output}")
    return done.stdout


def http_json(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    timeout: float = 10,
) -> tuple[int, Any]:
    """A small JSON request to the local server; returns (status, decoded body)."""
    if not url.startswith(f"http://{HOST}:"):
        raise BenchError(f"refusing to send a request anywhere but {HOST}: {url}")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


class Terminated(Exception):
    """SIGTERM/SIGHUP: unwinds like Ctrl-C so the cleanup in `finally` runs."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(f"received signal {signum}")


# --------------------------------------------------------------------------------------------
# PostgreSQL


def _pg_admin(sql: str) -> None:
    import psycopg  # the project's driver, installed in the venv

    with psycopg.connect(f"{PG_SERVER_URL}/{PG_MAINTENANCE_DB}", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def pg_server_version() -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER_URL}/{PG_MAINTENANCE_DB}", autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def _check_db_name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise BenchError(f"unsafe database name: {name!r}")
    return name


def create_database(name: str) -> None:
    name = _check_db_name(name)
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {name}")


def drop_database(name: str) -> None:
    _pg_admin(f"DROP DATABASE IF EXISTS {_check_db_name(name)} WITH (FORCE)")


@contextlib.contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh database, dropped on the way out whatever happens."""
    try:
        create_database(name)
        yield f"{PG_SERVER_URL}/{name}"
    finally:
        try:
            drop_database(name)
        except Exception as exc:  # never hide the original error behind the cleanup's
            print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# The application server


def app_environment(database_url: str, var_dir: Path, redis_url: str) -> dict[str, str]:
    """Production settings for every `wushe` and gunicorn process of the run."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WUSHE_VAR_DIR=str(var_dir),  # static files and media of the run, not the tree's var/
        STATIC_ROOT=str(var_dir / "static"),
        REDIS_URL=redis_url,
        WUSHE_DEMO_PASSWORD=DEMO_PASSWORD,
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="wushe.settings",
    )
    for name in ("WUSHE_TESTING", "WUSHE_BEHIND_PROXY", "PYTHONDEVMODE"):
        env.pop(name, None)
    return env


def prepare_application(tools: dict[str, str], env: dict[str, str]) -> None:
    wushe = tools["wushe"]
    print("  migrate ...", flush=True)
    run([wushe, "migrate", "--noinput", "-v0"], env=env)
    print("  demo load ...", flush=True)
    run([wushe, "demo", "load"], env=env)
    print("  collectstatic ...", flush=True)
    run([wushe, "collectstatic", "--noinput", "-v0"], env=env)


@contextlib.contextmanager
def gunicorn_server(
    tools: dict[str, str],
    env: dict[str, str],
    workers: int,
    log_path: Path,
    *,
    threads: int = 1,
) -> Iterator[str]:
    """Start gunicorn, wait for /healthz, yield the base URL; always stop it afterwards.
    `threads` > 1 runs the gthread worker class with that many threads per worker."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    cmd = [
        tools["gunicorn"],
        "wushe.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]
    if threads > 1:
        cmd += ["--worker-class", "gthread", "--threads", str(threads)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            cmd, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_healthy(base_url, process, log_path)
            yield base_url
        finally:
            stop_process(process)


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with code {process.returncode}:\n{tail(log_path)}")
        try:
            status, body = http_json("GET", f"{base_url}/healthz", timeout=2)
            if status == 200:
                return
            last = f"HTTP {status}: {body}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.25)
    raise BenchError(f"/healthz did not answer 200 within {SERVER_START_TIMEOUT} s ({last})")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process (gunicorn stops its workers), SIGKILL to the group if stuck."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def server_log_problems(log_path: Path) -> list[str]:
    """Lines of the gunicorn log that point at a problem (errors, tracebacks, timeouts)."""
    pattern = re.compile(r"ERROR|CRITICAL|Traceback|WORKER TIMEOUT|Exception", re.IGNORECASE)
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if pattern.search(line)]


def obtain_token(base_url: str, username: str) -> str:
    status, body = http_json(
        "POST",
        f"{base_url}/api/v1/auth/token",
        {"username": username, "password": DEMO_PASSWORD},
    )
    if status != 200 or not isinstance(body, dict) or "token" not in body:
        raise BenchError(f"POST /api/v1/auth/token as {username} answered {status}: {body}")
    return str(body["token"])


# --------------------------------------------------------------------------------------------
# wrk

_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _parse_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise BenchError(f"cannot read wrk time value {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def parse_wrk_output(output: str) -> dict[str, Any]:
    """Requests/s and the --latency percentiles from wrk's text, counts from the Lua line."""
    result_line = next(
        (line for line in output.splitlines() if line.startswith("BENCH_RESULT ")), None
    )
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    if result_line is None or rps is None or not {"50", "99"} <= percentiles.keys():
        raise BenchError(f"unexpected wrk output:\n{output[-3000:]}")
    counts = json.loads(result_line.removeprefix("BENCH_RESULT "))
    socket_errors = sum(counts["socket_errors"].values())
    return {
        "requests": counts["requests"],
        "duration_s": round(counts["duration_us"] / 1e6, 3),
        "requests_per_s": float(rps.group(1)),
        "latency_ms": {f"p{key}": _parse_ms(value) for key, value in percentiles.items()},
        "non2xx": counts["non2xx"],
        "statuses": counts["statuses"],
        "socket_errors": counts["socket_errors"],
        "errors": counts["non2xx"] + socket_errors,
    }


def run_wrk(
    tools: dict[str, str],
    base_url: str,
    endpoint: Endpoint,
    token: str,
    *,
    duration: int,
    connections: int,
    threads: int,
) -> dict[str, Any]:
    script = WRK_DIR / endpoint.script
    if not script.exists():
        raise BenchError(f"wrk script {script} not found")
    env = dict(os.environ)
    env.update(WRK_TOKEN=token, WRK_METHOD=endpoint.method)
    env.pop("WRK_BODY", None)
    if endpoint.body is not None:
        env["WRK_BODY"] = json.dumps(endpoint.body)
    cmd = [
        tools["wrk"],
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=10s",
        "--latency",
        f"--script={script}",
        f"{base_url}{endpoint.path}",
    ]
    output = run(cmd, env=env, timeout=duration + 60)
    result = parse_wrk_output(output)
    result["raw_output"] = output
    return result


def check_endpoint_once(base_url: str, endpoint: Endpoint, token: str) -> None:
    """One request before the load, so a broken endpoint fails loudly instead of fast."""
    status, body = http_json(
        endpoint.method, f"{base_url}{endpoint.path}", endpoint.body, token=token
    )
    if not 200 <= status <= 299:
        raise BenchError(f"{endpoint.method} {endpoint.path} answered {status}: {body}")


# --------------------------------------------------------------------------------------------
# pgbench


def run_pgbench(
    tools: dict[str, str], database: str, *, duration: int, connections: int, threads: int
) -> dict[str, Any]:
    common = ["--host", HOST, "--port", "5432", "--username", "postgres"]
    env = dict(os.environ)
    for name in ("PGPASSWORD", "PGSERVICE", "PGOPTIONS"):
        env.pop(name, None)
    print(f"  pgbench -i -s {PGBENCH_SCALE} ...", flush=True)
    run([tools["pgbench"], *common, "-i", "-s", str(PGBENCH_SCALE), "-q", database], env=env)
    print(f"  pgbench -c {connections} -j {threads} -T {duration} ...", flush=True)
    output = run(
        [
            tools["pgbench"], *common,
            "-c", str(connections), "-j", str(threads), "-T", str(duration),
            database,
        ],
        env=env,
        timeout=duration + 120,
    )  # fmt: skip
    tps = re.search(r"^tps = ([\d.]+)", output, re.MULTILINE)
    latency = re.search(r"^latency average = ([\d.]+) ms", output, re.MULTILINE)
    transactions = re.search(r"^number of transactions actually processed: (\d+)", output, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", output, re.MULTILINE)
    if tps is None:
        raise BenchError(f"unexpected pgbench output:\n{output[-3000:]}")
    return {
        "mode": f"TPC-B (built-in), scale {PGBENCH_SCALE}",
        "tps": float(tps.group(1)),
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "transactions": int(transactions.group(1)) if transactions else None,
        "failed": int(failed.group(1)) if failed else None,
        "raw_output": output,
    }


# --------------------------------------------------------------------------------------------
# Report


def print_table(rows: list[dict[str, Any]], pgbench_tps: float | None) -> None:
    headers = ["endpoint", "requests/s", "p50 ms", "p99 ms", "errors", "pgbench TPS", "ratio"]
    lines = [
        [
            f"{row['method']} {row['path']}",
            f"{row['requests_per_s']:.1f}",
            f"{row['latency_ms']['p50']:.2f}",
            f"{row['latency_ms']['p99']:.2f}",
            f"{row['errors']}",
            "-" if pgbench_tps is None else f"{pgbench_tps:.1f}",
            "-" if row["ratio_to_pgbench"] is None else f"{row['ratio_to_pgbench']:.3f}",
        ]
        for row in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    print()
    print(fmt(headers))
    print("  ".join("-" * width for width in widths))
    for line in lines:
        print(fmt(line))
    print()
    for row in rows:
        if row["errors"]:
            print(
                f"  {row['name']}: {row['non2xx']} non-2xx {row['statuses']}, "
                f"socket errors {row['socket_errors']}"
            )


def machine_info(tools: dict[str, str]) -> dict[str, Any]:
    wrk_version = subprocess.run(
        [tools["wrk"], "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    pgbench_version = run([tools["pgbench"], "--version"]).strip()
    return {
        "cpu_cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg_server_version(),
        "pgbench": pgbench_version,
        "wrk": wrk_version[0] if wrk_version else "?",
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        description="Benchmark platform endpoints with wrk against gunicorn, anchored by pgbench."
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per run (default 20)")
    parser.add_argument(
        "--connections", type=int, default=32, help="wrk connections and pgbench clients"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk and pgbench threads")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * cores + 1,
        help=f"gunicorn workers (default 2*cores+1 = {2 * cores + 1})",
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        choices=sorted(ENDPOINTS),
        help="endpoint to drive (repeatable; default: all)",
    )
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of unmeasured load first (default 3)"
    )
    parser.add_argument(
        "--db-name",
        default=f"wushe_bench_{os.getpid()}",
        help="application database (the pgbench one gets the suffix _pgbench)",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="REDIS_URL for the application (default: none, local-memory cache)",
    )
    parser.add_argument("--skip-pgbench", action="store_true", help="no pgbench anchor")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 1 and {MAX_DURATION} seconds")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60 seconds")
    if args.connections < 1 or args.threads < 1 or args.workers < 1:
        parser.error("--connections, --threads and --workers must be positive")
    if args.threads > args.connections:
        parser.error("--threads cannot exceed --connections")
    args.db_name = _check_db_name(args.db_name)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = check_tools()
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGHUP, _raise_terminated)

    started = dt.datetime.now(dt.UTC).astimezone()
    names = args.endpoint or list(ENDPOINTS)
    rows: list[dict[str, Any]] = []
    work_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-"))
    log_path = work_dir / "gunicorn.log"
    try:
        report: dict[str, Any] = {
            "started_at": started.isoformat(timespec="seconds"),
            "machine": machine_info(tools),
            "parameters": {
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "connections": args.connections,
                "threads": args.threads,
                "gunicorn_workers": args.workers,
                "gunicorn_worker_class": "sync",
                "redis": bool(args.redis_url),
            },
        }
        load_1min = report["machine"]["load_average_at_start"][0]
        if load_1min > 0.5 * (os.cpu_count() or 1):
            print(
                f"warning: the machine is busy (1-minute load {load_1min}); "
                "the figures will be noisy",
                file=sys.stderr,
            )
        print(f"database {args.db_name} (migrate + Haining demo data)", flush=True)
        with scratch_database(args.db_name) as database_url:
            env = app_environment(database_url, work_dir, args.redis_url)
            prepare_application(tools, env)
            print(f"gunicorn wushe.wsgi, {args.workers} workers", flush=True)
            with gunicorn_server(tools, env, args.workers, log_path) as base_url:
                tokens: dict[str, str] = {}
                for name in names:
                    endpoint = ENDPOINTS[name]
                    if endpoint.username not in tokens:
                        tokens[endpoint.username] = obtain_token(base_url, endpoint.username)
                    token = tokens[endpoint.username]
                    check_endpoint_once(base_url, endpoint, token)
                    load = {"connections": args.connections, "threads": args.threads}
                    if args.warmup:
                        print(f"  wrk {name}: warm-up {args.warmup} s", flush=True)
                        run_wrk(tools, base_url, endpoint, token, duration=args.warmup, **load)
                    print(f"  wrk {name}: {endpoint.method} {endpoint.path}", flush=True)
                    result = run_wrk(
                        tools, base_url, endpoint, token, duration=args.duration, **load
                    )
                    rows.append(
                        {"name": name, "method": endpoint.method, "path": endpoint.path,
                         "username": endpoint.username, **result}
                    )  # fmt: skip
        report["machine"]["load_average_after_http"] = [
            round(value, 2) for value in os.getloadavg()
        ]
        problems = server_log_problems(log_path)
        report["server_log_problems"] = problems[:200]

        pgbench: dict[str, Any] | None = None
        if not args.skip_pgbench:
            print(f"database {args.db_name}_pgbench (pgbench anchor)", flush=True)
            with scratch_database(f"{args.db_name}_pgbench") as _url:
                pgbench = run_pgbench(
                    tools,
                    f"{args.db_name}_pgbench",
                    duration=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                )
        tps = pgbench["tps"] if pgbench else None
        for row in rows:
            row["ratio_to_pgbench"] = round(row["requests_per_s"] / tps, 4) if tps else None
        report["endpoints"] = rows
        report["pgbench"] = pgbench

        print_table(rows, tps)
        if problems:
            print(f"gunicorn log: {len(problems)} problem line(s), e.g. {problems[0]!r}")
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%S')}.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"results: {out.relative_to(PROJECT_DIR)}")
        return 1 if any(row["errors"] for row in rows) else 0
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if log_path.exists() and log_path.stat().st_size:
            print(f"gunicorn log (tail):\n{tail(log_path)}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated):
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
