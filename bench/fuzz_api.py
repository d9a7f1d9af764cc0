"""API fuzzing, the long run (issue 9): the same Schemathesis test as `make test`
(wushe/core/tests/test_fuzz_api.py) with many more examples per operation, chosen callers,
optionally negative data (requests that break the schema and must be refused with a 4xx).

Every generated request goes in-process through Django's WSGI handler, once per caller; checks:
no 5xx, a documented status code and content type, a body that matches the declared schema.
Nothing listens on a port and nothing leaves the machine.

    .venv/bin/python bench/fuzz_api.py                          # 25 examples, the six CI callers
    .venv/bin/python bench/fuzz_api.py --max-examples 200 --role county --role anonymous
    .venv/bin/python bench/fuzz_api.py --negative --operation requests
    .venv/bin/python bench/fuzz_api.py --database-url postgres://postgres@127.0.0.1:5432/wushe_fuzz

The exit code is pytest's: 0 when every operation passed, 1 when some failed (each failure
prints the caller, the check and a curl line that reproduces it), 2+ on usage errors.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
TEST_FILE = "wushe/core/tests/test_fuzz_api.py"
TEST_NAME = "test_every_operation_answers_every_role_within_its_schema"
ROLES = (
    "anonymous",
    "resident",
    "volunteer",
    "social_worker",
    "org_staff",
    "charity_staff",
    "community_a",
    "community_b",
    "township",
    "county",
    "province",
    "auditor",
    "admin",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--max-examples",
        type=int,
        default=25,
        help="examples generated per operation (default 25; make test uses 1)",
    )
    parser.add_argument(
        "--role",
        action="append",
        choices=ROLES,
        help="caller (repeatable; default: anonymous, resident, org_staff, community_a, "
        "township, county)",
    )
    parser.add_argument(
        "--negative",
        action="store_true",
        help="also send data that breaks the schema (must be refused with 4xx, never 5xx)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="random seed (default: derandomised, the same examples every run)",
    )
    parser.add_argument(
        "--operation",
        help="only operations whose name matches this pytest -k expression, e.g. 'requests' "
        "or 'POST and residents'",
    )
    parser.add_argument(
        "--database-url",
        help="DATABASE_URL of the test run (default: SQLite); a postgres:// URL names a "
        "database that pytest-django creates as test_<name> and drops afterwards",
    )
    parser.add_argument(
        "--exitfirst", "-x", action="store_true", help="stop at the first failing operation"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.max_examples <= 100_000:
        parser.error("--max-examples must be between 1 and 100000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = {
        **os.environ,
        "WUSHE_TESTING": "1",
        "WUSHE_FUZZ_MAX_EXAMPLES": str(args.max_examples),
        "WUSHE_FUZZ_NEGATIVE": "1" if args.negative else "0",
    }
    env.setdefault("WUSHE_VAR_DIR", tempfile.mkdtemp(prefix="wushe_fuzz_"))
    if args.role:
        env["WUSHE_FUZZ_ROLES"] = ",".join(dict.fromkeys(args.role))
    if args.seed is not None:
        env["WUSHE_FUZZ_SEED"] = str(args.seed)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    selector = f"{TEST_FILE}::{TEST_NAME}"
    command = [
        sys.executable,
        "-m",
        "pytest",
        TEST_FILE,
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::DeprecationWarning",
        "--tb=short",
        "-k",
        TEST_NAME + (f" and ({args.operation})" if args.operation else ""),
    ]
    if args.seed is not None:
        command.append(f"--hypothesis-seed={args.seed}")
    if args.exitfirst:
        command.append("-x")
    print(
        f"fuzzing {selector}: {args.max_examples} examples per operation, callers "
        f"{env.get('WUSHE_FUZZ_ROLES', 'default six')}, negative data "
        f"{'on' if args.negative else 'off'}, database "
        f"{'PostgreSQL' if (args.database_url or '').startswith('postgres') else 'SQLite'}",
        flush=True,
    )
    started = time.monotonic()
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, check=False)
    print(f"fuzz run finished in {time.monotonic() - started:.0f} s, exit code {result.returncode}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
