"""Solve an instance file and write the result file (docs/matching.md)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from .edges import build_edges
from .instance import Instance, InstanceError, load_instance
from .solve import Solution, solve_greedy, solve_ours, violations


def solve_file(
    source: str,
    target: str,
    *,
    method: str = "ours",
    check: bool = False,
    annotate: Callable[[Instance, Solution, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Read, solve, write; returns the result's summary (objective, timings)."""
    marks: dict[str, float] = {}
    t = time.perf_counter()
    inst = load_instance(source)
    marks["load"] = time.perf_counter() - t
    t = time.perf_counter()
    edges = build_edges(inst) if method == "ours" else build_edges(inst, candidates=None)
    marks["edges"] = time.perf_counter() - t
    t = time.perf_counter()
    sol = solve_ours(inst, edges) if method == "ours" else solve_greedy(inst, edges)
    marks["solve"] = time.perf_counter() - t
    t = time.perf_counter()
    out = sol.to_json(inst)
    if check:
        out["violations"] = violations(inst, sol)
    if annotate is not None:
        annotate(inst, sol, out)
    with open(target, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False)
    marks["store"] = time.perf_counter() - t
    summary = {"objective": out["objective"], "seconds": marks, "edges": len(edges)}
    if check:
        summary["violations"] = out["violations"]
    return summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m wushe.matching.engine")
    parser.add_argument("instance")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--method", choices=("ours", "greedy"), default="ours")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    try:
        summary = solve_file(args.instance, args.output, method=args.method, check=args.check)
    except (InstanceError, OSError) as exc:
        print(f"error: {exc}")
        return 2
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if summary.get("violations") else 0
