"""Registry list pages with a big register (issue 3): seeds N residents (default 1,000,000,
all in Haining, with real encrypted ID numbers and phones, ~15% with a vulnerable-group tag)
into a fresh PostgreSQL database by COPY, starts gunicorn with production settings, and times
list pages and API lists as a county civil-affairs officer (the whole register in scope) and as
a community worker. Requests are sequential (one client), so each figure is the latency a user
sees, not queueing. Reports p50/p95/p99 per URL against the 200 ms p95 target.

    .venv/bin/python bench/registry_bench.py [--residents 1000000] [--requests 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

import datagen  # noqa: E402
import harness  # noqa: E402

PASSWORD = "bench-password-1"  # noqa: S105 - scratch database only


def seed(n: int, seed_value: int) -> dict[str, Any]:
    """COPY n residents (+ tags) straight into the tables, values sealed as the services do."""
    from django.db import connection
    from django.utils import timezone

    from wushe.core.personal import seal_id_number, seal_phone
    from wushe.regions.models import Region
    from wushe.residents.models import Resident, ResidentTag

    communities = list(
        Region.objects.filter(code__startswith="330481", level=5).values_list("code", flat=True)
    )
    rng = random.Random(seed_value)
    now = timezone.now()
    fields = [f for f in Resident._meta.concrete_fields if not f.primary_key]
    defaults = {}
    for f in fields:
        default = f.get_default()
        if f.attname in ("created_at", "updated_at"):
            default = now
        defaults[f.attname] = default
    columns = [f.column for f in fields]
    sample_ids: list[str] = []
    start = time.perf_counter()
    probe = Resident()
    with connection.cursor() as cur:
        raw = cur.connection
        with (
            raw.cursor() as pg,
            pg.copy(f"COPY residents_resident ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            seen: set[str] = set()
            for i in range(n):
                while True:
                    number = datagen.id_number(rng, datagen.birth_date(rng))
                    if number not in seen:
                        seen.add(number)
                        break
                seal_id_number(probe, number)
                seal_phone(probe, datagen.phone(rng))
                values = dict(defaults)
                region = communities[i % len(communities)]
                values.update(
                    name=datagen.name(rng),
                    region_id=region,
                    county_code=region[:6],
                    sex=probe.sex,
                    birth_date=probe.birth_date,
                    id_number_token=probe.id_number_token,
                    id_number_hash=probe.id_number_hash,
                    id_number_masked=probe.id_number_masked,
                    phone_token=probe.phone_token,
                    phone_hash=probe.phone_hash,
                    phone_masked=probe.phone_masked,
                )
                copy.write_row([values[f.attname] for f in fields])
                if i % (n // 20 or 1) == 0:
                    sample_ids.append(number)
        cur.execute("ANALYZE residents_resident")
        seeded = time.perf_counter() - start
        # Tags for ~15% of them, in SQL.
        tag_fields = [f for f in ResidentTag._meta.concrete_fields if not f.primary_key]
        assert {f.attname for f in tag_fields} >= {"resident_id", "tag", "start_date"}
        cur.execute(
            """
            INSERT INTO residents_residenttag
                (resident_id, region_id, county_code, tag, disability_category,
                 disability_grade, start_date, end_date, source, notes, created_at)
            SELECT id, region_id, county_code,
                   (ARRAY['dibao','tekun','alone_elder','empty_nest_elder','left_behind_child'])
                       [1 + (id % 5)],
                   '', '', DATE '2024-01-05', NULL, 'community_survey', '', now()
            FROM residents_resident WHERE id % 7 = 0
            """
        )
        cur.execute("ANALYZE residents_residenttag")
    return {
        "residents": n,
        "seed_seconds": round(seeded, 1),
        "sample_ids": sample_ids,
        "communities": communities,
    }


def login_opener(base_url: str, username: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "login page has no CSRF token"
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        f"{base_url}/accounts/login/", data=data, headers={"Referer": f"{base_url}/"}
    )
    response = opener.open(request)
    assert "/accounts/login" not in response.geturl(), f"login failed for {username}"
    return opener


def time_url(
    opener: urllib.request.OpenerDirector, url: str, count: int, headers: dict[str, str]
) -> dict[str, Any]:
    samples = []
    status = 0
    for _ in range(count + 2):
        request = urllib.request.Request(url, headers=headers)  # noqa: S310
        t0 = time.perf_counter()
        with opener.open(request) as response:
            response.read()
            status = response.status
        samples.append((time.perf_counter() - t0) * 1000)
    samples = sorted(samples[2:])  # first two warm caches

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, round(p / 100 * (len(samples) - 1)))]

    return {
        "status": status,
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    tools = harness.check_tools()
    db_name = f"wushe_bench_registry_{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-"))
    harness.create_database(db_name)
    database_url = f"{harness.PG_SERVER_URL}/{db_name}"
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
        from wushe.accounts.models import User
        from wushe.accounts.roles import Role
        from wushe.accounts.services import grant_create, token_issue
        from wushe.regions.services import regions_load

        regions_load(prefix="330481")
        county = User.objects.create_user(username="bench_county", password=PASSWORD)
        grant_create(user=county, role=Role.CIVIL_AFFAIRS, region_code="330481000000")
        community = User.objects.create_user(username="bench_community", password=PASSWORD)
        grant_create(user=community, role=Role.COMMUNITY_WORKER, region_code="330481001007")
        print(f"seed {args.residents} residents ...", flush=True)
        info = seed(args.residents, args.seed)
        print(f"  seeded in {info['seed_seconds']} s", flush=True)
        token, _ = token_issue(user=county, name="bench")
        from django.db import connections

        connections.close_all()

        sample = info["sample_ids"][len(info["sample_ids"]) // 2]
        pages = [
            ("county", "page: list, first page", "/residents/"),
            ("county", "page: list, page 40", "/residents/?page=40"),
            ("county", "page: one township", "/residents/?region=330481001"),
            ("county", "page: tag 低保", "/residents/?tag=dibao"),
            ("county", "page: age 80+", "/residents/?age_min=80"),
            ("county", "page: name starts 王芳", "/residents/?name=%E7%8E%8B%E8%8A%B3"),
            ("county", "page: ID number search", f"/residents/?id_number={sample}"),
            ("community", "page: list (one community)", "/residents/"),
            ("county", "API: list limit 50", "/api/v1/residents?limit=50"),
            ("county", "API: list offset 5000", "/api/v1/residents?limit=50&offset=5000"),
            ("county", "API: tag filter", "/api/v1/residents?limit=50&tag=dibao"),
        ]
        results = []
        log_path = var_dir / "gunicorn.log"
        with harness.gunicorn_server(tools, env, args.workers, log_path) as base_url:
            openers = {
                "county": login_opener(base_url, "bench_county"),
                "community": login_opener(base_url, "bench_community"),
            }
            for who, label, path in pages:
                headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
                opener = openers[who] if not headers else urllib.request.build_opener()
                row = time_url(opener, f"{base_url}{path}", args.requests, headers)
                row.update(who=who, what=label, path=path)
                results.append(row)
                mark = "ok" if row["p95_ms"] < 200 and row["status"] == 200 else "SLOW"
                print(
                    f"  {label:<32}{row['status']:>5}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
                    f"{row['p99_ms']:>9.1f}  {mark}",
                    flush=True,
                )
        summary = {
            "residents": args.residents,
            "seed_seconds": info["seed_seconds"],
            "results": results,
            "postgres": harness.pg_server_version(),
            "cores": os.cpu_count(),
        }
        harness.RESULTS_DIR.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = harness.RESULTS_DIR / f"registry-{stamp}.json"
        out.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
        print(f"written {out}")
        return 0 if all(r["status"] == 200 for r in results) else 1
    finally:
        from django.db import connections

        connections.close_all()
        harness.drop_database(db_name)


if __name__ == "__main__":
    sys.exit(main())
