"""Batch assignment: maximise the priority-weighted number of needs served, then minimise the
total cost, under capacity and fairness limits.

The objective of an assignment is Σ over served needs of (priority × U − edge cost) minus the
fairness cost step × k(k−1)/2 of each supplier given k needs, where U exceeds any possible
total cost, so serving more priority always wins over a cheaper assignment (lexicographic).
Each supplier takes at most min(capacity − load, limits.max_per_supplier) needs.

- `solve_ours`: builds the k cheapest eligible edges per need (k-d trees), expands each
  supplier into as many unit slots as it may take (slot t costs t × step more, so the convex
  fairness cost is exact), adds one "unserved" slot per need priced at priority × U, and
  solves the sparse assignment problem exactly (LAPJVsp, scipy). It is exact on its edge set;
  with `limits.candidates = None` on the full eligible set.
- `solve_greedy`: the baseline: needs by priority, each takes the nearest eligible supplier
  with room left.
- `solve_brute_force`: enumeration for tests (tiny instances only)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from .edges import COST_SCALE, Edges, build_edges
from .instance import COMPONENTS, Instance

IntArr = NDArray[np.int64]


def batch_caps(inst: Instance) -> IntArr:
    caps = np.array([s.remaining for s in inst.suppliers], dtype=np.int64)
    if inst.limits.max_per_supplier is not None:
        caps = np.minimum(caps, inst.limits.max_per_supplier)
    return caps


def priority_unit(inst: Instance) -> int:
    """U: larger than any total cost of an assignment."""
    caps = batch_caps(inst)
    step = inst.limits.fairness_step
    worst_fair = int((step * caps * np.maximum(caps - 1, 0) // 2).sum()) if caps.size else 0
    return (COST_SCALE + 2) * max(len(inst.needs), 1) + worst_fair + 1


@dataclass
class Solution:
    method: str
    chosen: Edges
    unserved: list[int]
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    def objective(self, inst: Instance) -> dict[str, int]:
        return evaluate(inst, self.chosen)

    def to_json(self, inst: Instance) -> dict[str, Any]:
        c = self.chosen
        rows = []
        for e in range(len(c)):
            need, sup = inst.needs[int(c.need[e])], inst.suppliers[int(c.supplier[e])]
            dist = float(c.distance[e])
            rows.append(
                {
                    "need": need.id,
                    "supplier": sup.id,
                    "kind": sup.kind,
                    "distance_km": None if np.isnan(dist) else round(dist, 3),
                    "score": round(float(c.score[e]), 4),
                    "cost": int(c.cost[e]),
                    "components": {
                        k: round(float(c.components[e, i]), 4) for i, k in enumerate(COMPONENTS)
                    },
                }
            )
        return {
            "method": self.method,
            "objective": self.objective(inst),
            "seconds": round(self.seconds, 3),
            "assignments": rows,
            "unserved": [inst.needs[i].id for i in self.unserved],
        }


def evaluate(inst: Instance, chosen: Edges) -> dict[str, int]:
    unit = priority_unit(inst)
    pri = np.array([inst.needs[int(i)].priority for i in chosen.need], dtype=np.int64)
    counts = np.bincount(chosen.supplier, minlength=len(inst.suppliers)).astype(np.int64)
    fair = int((inst.limits.fairness_step * counts * np.maximum(counts - 1, 0) // 2).sum())
    cost = int(chosen.cost.sum()) + fair
    served_priority = int(pri.sum())
    return {
        "value": served_priority * unit - cost,
        "served": len(chosen),
        "served_priority": served_priority,
        "cost": cost,
        "priority_unit": unit,
    }


def _solution(method: str, inst: Instance, edges: Edges, pick: IntArr, t0: float) -> Solution:
    pick = np.sort(pick)
    chosen = edges.take(pick)
    served = set(chosen.need.tolist())
    unserved = [i for i in range(len(inst.needs)) if i not in served]
    return Solution(method, chosen, unserved, time.perf_counter() - t0)


def solve_ours(inst: Instance, edges: Edges | None = None) -> Solution:
    t0 = time.perf_counter()
    if edges is None:
        edges = build_edges(inst)
    caps = batch_caps(inst)
    positive = np.array([n.priority > 0 for n in inst.needs], dtype=bool)
    edges = edges.take((caps[edges.supplier] > 0) & positive[edges.need])
    if not len(edges):
        return _solution("ours", inst, edges, np.zeros(0, dtype=np.int64), t0)
    unit = priority_unit(inst)
    step = inst.limits.fairness_step
    needs, row_of = np.unique(edges.need, return_inverse=True)
    m = needs.size
    degree = np.bincount(edges.supplier, minlength=len(inst.suppliers))
    copies = np.minimum(caps, degree)
    col_start = np.r_[0, np.cumsum(copies)][:-1]
    total_slots = int(copies.sum())
    # Expand every edge over its supplier's slots.
    reps = copies[edges.supplier]
    edge_of = np.repeat(np.arange(len(edges)), reps)
    offsets = np.arange(edge_of.size) - np.repeat(np.cumsum(reps) - reps, reps)
    rows = row_of[edge_of]
    cols = col_start[edges.supplier[edge_of]] + offsets
    weights = edges.cost[edge_of].astype(float) + step * offsets
    # One unserved slot per need, priced at what serving it is worth.
    pri = np.array([inst.needs[int(i)].priority for i in needs], dtype=float)
    rows = np.r_[rows, np.arange(m)]
    cols = np.r_[cols, total_slots + np.arange(m)]
    weights = np.r_[weights, pri * unit]
    matrix = csr_matrix((weights, (rows, cols)), shape=(m, total_slots + m))
    r, c = min_weight_full_bipartite_matching(matrix)
    served = c < total_slots
    r, c = r[served], c[served]
    # Map (row, slot) back to the edge: the slot's supplier and the row's need.
    slot_sup = np.repeat(np.arange(len(inst.suppliers)), copies)
    key = needs[r] * len(inst.suppliers) + slot_sup[c]
    edge_key = edges.need * len(inst.suppliers) + edges.supplier
    order = np.argsort(edge_key)
    pick = order[np.searchsorted(edge_key[order], key)]
    return _solution("ours", inst, edges, pick, t0)


def solve_greedy(inst: Instance, edges: Edges | None = None) -> Solution:
    """Needs in priority order (then instance order) each take the nearest eligible supplier
    that still has room (suppliers without coordinates after those with, by cost)."""
    t0 = time.perf_counter()
    if edges is None:
        edges = build_edges(inst, candidates=None)
    caps = batch_caps(inst).copy()
    pri = np.array([n.priority for n in inst.needs], dtype=np.int64)
    dist = np.where(np.isnan(edges.distance), np.inf, edges.distance)
    order = np.lexsort((edges.cost, dist, edges.need, -pri[edges.need]))
    sup, need = edges.supplier[order], edges.need[order]
    done = np.zeros(len(inst.needs), dtype=bool)
    picked: list[int] = []
    for pos in range(order.size):
        i, j = need[pos], sup[pos]
        if done[i] or caps[j] <= 0 or pri[i] <= 0:
            continue
        done[i] = True
        caps[j] -= 1
        picked.append(int(order[pos]))
    return _solution("greedy", inst, edges, np.asarray(picked, dtype=np.int64), t0)


def solve_brute_force(inst: Instance, edges: Edges | None = None) -> Solution:
    """Every feasible assignment on the full eligible edge set (tests: a few needs only)."""
    t0 = time.perf_counter()
    if edges is None:
        edges = build_edges(inst, candidates=None)
    caps = batch_caps(inst).copy()
    by_need: list[list[int]] = [[] for _ in inst.needs]
    for e in range(len(edges)):
        by_need[int(edges.need[e])].append(e)
    best: tuple[int, list[int]] = (-(1 << 62), [])

    def walk(i: int, picked: list[int]) -> None:
        nonlocal best
        if i == len(inst.needs):
            value = evaluate(inst, edges.take(np.asarray(picked, dtype=np.int64)))["value"]
            if value > best[0]:
                best = (value, list(picked))
            return
        walk(i + 1, picked)
        for e in by_need[i]:
            j = int(edges.supplier[e])
            if caps[j] > 0:
                caps[j] -= 1
                picked.append(e)
                walk(i + 1, picked)
                picked.pop()
                caps[j] += 1

    walk(0, [])
    return _solution("brute_force", inst, edges, np.asarray(best[1], dtype=np.int64), t0)


def violations(inst: Instance, solution: Solution) -> list[str]:
    """Broken rules of a solution: a need served twice, a supplier over its batch limit, an
    edge that is not eligible. Empty when the solution is valid."""
    out: list[str] = []
    c = solution.chosen
    if np.unique(c.need).size != len(c):
        out.append("a need is served more than once")
    counts = np.bincount(c.supplier, minlength=len(inst.suppliers))
    over = np.flatnonzero(counts > batch_caps(inst))
    out += [f"supplier {inst.suppliers[int(j)].id} over capacity" for j in over]
    full = build_edges(inst, candidates=None)
    eligible = set((full.need * len(inst.suppliers) + full.supplier).tolist())
    for i, j in zip(c.need.tolist(), c.supplier.tolist(), strict=True):
        if i * len(inst.suppliers) + j not in eligible:
            out.append(f"{inst.needs[i].id} → {inst.suppliers[j].id} is not eligible")
    return out
