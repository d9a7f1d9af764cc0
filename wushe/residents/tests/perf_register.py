"""Speed of the residents register on PostgreSQL with a county-sized register (not a test:
run by hand). It fills a scratch database with N residents in Haining's 236 communities
(SQL `generate_series`, so loading takes seconds), ~12 % of them tagged, then times:

- list requests as each role sends them (the page through Django's test client, and the API),
  p50/p95 over repeated requests;
- `ResidentAdapter.clean` + `existing` + `write` called directly, in rows/s;
- a CSV of the same shape through the import engine (read, convert, clean, write), in rows/s,
  for preview and for commit (rolled back).

    WUSHE_TESTING=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/wushe_res_perf \\
        .venv/bin/python -m wushe.residents.tests.perf_register --residents 1000000

The database named in DATABASE_URL is created (migrated) if needed and its residents replaced.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wushe.settings")
    import django

    django.setup()


FILL_SQL = """
WITH c AS (
  SELECT array_agg(code ORDER BY code) AS a FROM regions_region
  WHERE code BETWEEN '330481000000' AND '330481999999' AND level = 5
)
INSERT INTO residents_resident (
  region_id, county_code, name, sex, birth_date,
  id_number_token, id_number_hash, id_number_masked, phone_token, phone_hash, phone_masked,
  relation_to_head, address, hukou, living_arrangement, ethnicity, notes, status,
  moved_out_to, created_at, updated_at)
SELECT r, '330481',
  (ARRAY['陈','王','张','李','沈','徐','朱','周','吴','钱','顾','许','陆','金'])[1 + g % 14]
    || (ARRAY['伟','芳','强','英','军','秀','明','丽','华','敏','杰','静'])[1 + (g / 14) % 12]
    || (ARRAY['','国','兰','平','红','林','梅'])[1 + (g / 168) % 7],
  CASE WHEN g % 2 = 0 THEN 'female' ELSE 'male' END,
  DATE '1930-01-01' + ((g * 7919) % 33000)::int,
  'v1.perf.' || g, md5('id' || g) || md5('x' || g),
  '3304**********' || lpad((g % 10000)::text, 4, '0'),
  'v1.perf.' || g, md5('ph' || g) || md5('y' || g),
  '138****' || lpad((g % 10000)::text, 4, '0'),
  '', '', 'registered', '', '', '', 'active', '', now(), now()
FROM generate_series(1::bigint, %(n)s) AS g, c,
     LATERAL (SELECT c.a[1 + (g * 104729) %% array_length(c.a, 1)] AS r) x
"""

TAG_SQL = """
INSERT INTO residents_residenttag (resident_id, region_id, county_code, tag, disability_category,
  disability_grade, start_date, end_date, source, notes, created_at)
SELECT id, region_id, county_code,
  (ARRAY['alone_elder','empty_nest_elder','dibao','disabled','left_behind_child',
         'incapacitated_elder'])[1 + id % 6],
  CASE WHEN id % 6 = 3 THEN 'physical' ELSE '' END,
  CASE WHEN id % 6 = 3 THEN '2' ELSE '' END,
  DATE '2023-01-01', NULL, 'community_survey', '', now()
FROM residents_resident WHERE id % 8 = 0
"""


def fill(n: int) -> None:
    from django.db import connection

    from wushe.regions.services import regions_load

    regions_load(prefix="330481")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE residents_residenttag, residents_resident, residents_household CASCADE"
        )
        started = time.perf_counter()
        cursor.execute(FILL_SQL.replace("%(n)s", str(n)).replace("%%", "%"))
        cursor.execute(TAG_SQL)
        cursor.execute("ANALYZE residents_resident")
        cursor.execute("ANALYZE residents_residenttag")
        print(f"filled {n} residents in {time.perf_counter() - started:.1f} s")


def timed(label: str, call: Callable[[], Any], repeat: int) -> None:
    call()  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label:<58} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")


def lists(repeat: int) -> None:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from wushe.accounts.models import User
    from wushe.accounts.roles import Role
    from wushe.testing import DONGSHAN, HAINING, NANGUANXIANG, XIASHI, ZHEJIANG, make_user

    setup_test_environment()  # the test client's host, as in the test suite

    def user(name: str, role: str, region: str | None) -> User:
        found = User.objects.filter(username=name).first()
        return found or make_user(name, role, region)

    people = {
        "community (南关厢)": user("perf_community", Role.COMMUNITY_WORKER, NANGUANXIANG),
        "township (硖石)": user("perf_township", Role.TOWNSHIP_OFFICER, XIASHI),
        "county (海宁)": user("perf_county", Role.CIVIL_AFFAIRS, HAINING),
        "province (浙江)": user("perf_province", Role.CIVIL_AFFAIRS, ZHEJIANG),
        "auditor (海宁)": user("perf_auditor", Role.AUDITOR, HAINING),
    }
    cases = [
        ("", {}),
        ("page 40", {"page": "40"}),
        ("name contains 秀", {"name": "秀"}),
        ("tag 独居老人", {"tag": "alone_elder"}),
        ("tag 低保", {"tag": "dibao"}),
        ("age 60-80", {"age_min": "60", "age_max": "80"}),
        ("community 东山", {"region": DONGSHAN}),
    ]
    for who, account in people.items():
        client = Client()
        client.force_login(account)
        for label, query in cases:
            timed(
                f"page  {who} {label}",
                lambda c=client, q=query: _ok(c.get("/residents/", q, HTTP_HX_REQUEST="true")),
                repeat,
            )
        api = Client()
        api.force_login(account)
        timed(f"api   {who}", lambda a=api: _ok(a.get("/api/v1/residents")), repeat)


def _ok(response: Any) -> None:
    assert response.status_code == 200, response.status_code


def import_write(rows: int) -> None:
    from datetime import date

    from django.db import transaction

    from wushe.accounts.models import User
    from wushe.core.identifiers import id_number_check_char, parse_id_number
    from wushe.imports.adapters import CleanRow
    from wushe.imports.services import import_context
    from wushe.residents.imports import ResidentAdapter
    from wushe.testing import NANGUANXIANG

    adapter = ResidentAdapter()
    ctx = import_context(user=User.objects.get(username="perf_community"))
    raw = []
    for i in range(rows):
        # Injective for i < 16.8 million: year, month, day, then the sequence number.
        year, month, day = 1950 + i % 50, 1 + (i // 50) % 12, 1 + (i // 600) % 28
        body = f"330481{year}{month:02d}{day:02d}{(i // 16800) % 1000:03d}"
        raw.append(
            {
                "name": f"导入{i}",
                "id_number": parse_id_number(body + id_number_check_char(body)),
                "phone": f"+86139{i:08d}",
                "region": NANGUANXIANG,
                "household_number": f"IMP-{i // 3}",
                "address": "南关厢",
                "relation_to_head": "head" if i % 3 == 0 else "spouse",
                "hukou": None,
                "living_arrangement": None,
                "ethnicity": None,
                "tags": ["独居老人"] if i % 10 == 0 else None,
                "disability_category": None,
                "disability_grade": None,
                "tag_start": date(2024, 1, 1) if i % 10 == 0 else None,
                "tag_source": None,
                "notes": None,
            }
        )
    started = time.perf_counter()
    cleaned = [CleanRow(row_number=i + 2, data=adapter.clean(r, ctx)) for i, r in enumerate(raw)]
    keys = [adapter.key(c.data, ctx) for c in cleaned]
    existing = {}
    for offset in range(0, len(keys), 2000):
        existing.update(adapter.existing([k for k in keys[offset : offset + 2000] if k], ctx))
    clean_s = time.perf_counter() - started
    with transaction.atomic():
        written = time.perf_counter()
        for offset in range(0, len(cleaned), 2000):
            adapter.write(cleaned[offset : offset + 2000], ctx)
        write_s = time.perf_counter() - written
        transaction.set_rollback(True)
    total = clean_s + write_s
    print(
        f"import {rows} rows: clean+existing {clean_s:.2f} s, write {write_s:.2f} s, "
        f"{rows / total:,.0f} rows/s overall ({rows / write_s:,.0f} rows/s write only)"
    )


def engine_csv(rows: int) -> None:
    import csv
    import io

    from django.conf import settings
    from django.db import transaction

    from wushe.accounts.models import User
    from wushe.core.identifiers import id_number_check_char
    from wushe.imports import engine
    from wushe.imports.adapters import adapter_for
    from wushe.imports.services import import_context

    settings.WUSHE = {**settings.WUSHE, "IMPORT_MAX_ROWS": max(rows, 200_000)}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    headers = "姓名 身份证号 手机号码 所属社区 户号 住址 与户主关系 困难群体标签 标签开始日期"
    writer.writerow(headers.split())
    for i in range(rows):
        year, month, day = 1950 + i % 50, 1 + (i // 50) % 12, 1 + (i // 600) % 28
        body = f"330481{year}{month:02d}{day:02d}{(i // 16800) % 1000 + 500:03d}"
        writer.writerow(
            [
                f"居民{i}",
                body + id_number_check_char(body),
                f"139{i:08d}",
                "330481001007",
                f"C-{i // 3}",
                "南关厢",
                "户主" if i % 3 == 0 else "配偶",
                "独居老人" if i % 10 == 0 else "",
                "2024/1/5" if i % 10 == 0 else "",
            ]
        )
    data = buffer.getvalue().encode()
    adapter = adapter_for("residents")
    assert adapter is not None
    ctx = import_context(user=User.objects.get(username="perf_community"))
    started = time.perf_counter()
    preview = engine.run(data, adapter, ctx, filename="居民.csv")
    preview_s = time.perf_counter() - started
    assert preview.rows_valid == rows, preview.issues[:3]
    with transaction.atomic():
        started = time.perf_counter()
        committed = engine.run(data, adapter, ctx, filename="居民.csv", write=True)
        commit_s = time.perf_counter() - started
        transaction.set_rollback(True)
    assert committed.created == rows
    print(
        f"engine CSV {rows} rows: preview {rows / preview_s:,.0f} rows/s, "
        f"commit {rows / commit_s:,.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--skip-fill", action="store_true")
    args = parser.parse_args()
    _setup()
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "postgresql", "run against PostgreSQL (DATABASE_URL)"
    call_command("migrate", verbosity=0)
    if not args.skip_fill:
        fill(args.residents)
    lists(args.repeat)
    import_write(args.import_rows)
    engine_csv(args.import_rows)


if __name__ == "__main__":
    main()
