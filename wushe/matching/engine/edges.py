"""Eligible edges (need, supplier) and their explainable scores, vectorised with numpy.

A supplier is eligible for a need when all of these hold (docs/matching.md §Eligibility):
- kind: the need lists no kinds, or the supplier's kind is listed; not in `need.exclude`;
- what: the need has neither skills nor category, or they share a skill, or the supplier
  serves the need's category;
- when: the need has no slots, or the supplier is available in at least one of them;
- where: both have coordinates and the great-circle distance is within the need's radius
  (else the instance radius); a supplier with `coverage` must also cover the need's region;
  a supplier without coordinates is eligible by coverage only (coverage defaults to its own
  region; with neither it is never eligible); a need without coordinates can only be served
  by coverage;
- capacity: capacity − load > 0;
- grade: a need with `min_grade` takes organisations of at least that grade (others kinds are
  not graded and stay eligible);
- restricted funds: a supplier with `restrict_*` takes only needs of those categories, in
  those regions, of residents with one of those tags.

Score components are in [0, 1], higher is better; the score is their weighted mean and the
edge cost is 1 + round(1000 × (1 − score)), a positive integer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .instance import COMPONENTS, GRADES, Instance

EARTH_KM = 6371.0088
COST_SCALE = 1000
UNKNOWN = 0.6  # neutral value of an unknown rating or reliability

IntArr = NDArray[np.int64]
FloatArr = NDArray[np.float64]


@dataclass
class Edges:
    need: IntArr
    supplier: IntArr
    distance: FloatArr  # km, nan when one side has no coordinates
    components: FloatArr  # (E, len(COMPONENTS))
    score: FloatArr
    cost: IntArr

    def __len__(self) -> int:
        return int(self.need.shape[0])

    def take(self, keep: NDArray[np.bool_] | IntArr) -> Edges:
        return Edges(
            self.need[keep],
            self.supplier[keep],
            self.distance[keep],
            self.components[keep],
            self.score[keep],
            self.cost[keep],
        )


def haversine(lat1: FloatArr, lon1: FloatArr, lat2: FloatArr, lon2: FloatArr) -> FloatArr:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: FloatArr = 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return out


def _bits(values: tuple[str, ...], vocab: dict[str, int]) -> int:
    out = 0
    for v in values:
        out |= 1 << vocab.setdefault(v, len(vocab))
    return out


class Arrays:
    """Column arrays of an instance, computed once."""

    def __init__(self, inst: Instance) -> None:
        needs, sups = inst.needs, inst.suppliers
        skills: dict[str, int] = {}
        cats: dict[str, int] = {}
        self.s_skill = np.array([_bits(s.skills, skills) for s in sups], dtype=object)
        self.s_cat = np.array([_bits(s.categories, cats) for s in sups], dtype=object)
        self.n_skill = np.array([_bits(n.skills, skills) for n in needs], dtype=object)
        self.n_cat = np.array(
            [_bits((n.category,) if n.category else (), cats) for n in needs], dtype=object
        )
        if len(skills) <= 62 and len(cats) <= 62:  # fast path: machine integers
            for name in ("s_skill", "s_cat", "n_skill", "n_cat"):
                setattr(self, name, getattr(self, name).astype(np.int64))
        self.skill_codes = skills
        self.s_lat = np.array([np.nan if s.lat is None else s.lat for s in sups], dtype=float)
        self.s_lon = np.array([np.nan if s.lon is None else s.lon for s in sups], dtype=float)
        self.n_lat = np.array([np.nan if n.lat is None else n.lat for n in needs], dtype=float)
        self.n_lon = np.array([np.nan if n.lon is None else n.lon for n in needs], dtype=float)
        self.s_avail = np.array([s.availability for s in sups], dtype=np.int64)
        self.n_slots = np.array([n.slots for n in needs], dtype=np.int64)
        self.s_cap = np.array([s.capacity for s in sups], dtype=np.int64)
        self.s_remaining = np.array([s.remaining for s in sups], dtype=np.int64)
        self.s_rating = np.array([np.nan if s.rating is None else s.rating for s in sups])
        self.s_rel = np.array([np.nan if s.reliability is None else s.reliability for s in sups])
        self.s_grade = np.array([GRADES.index(s.grade) for s in sups], dtype=np.int64)
        self.s_is_org = np.array([s.kind == "organization" for s in sups])
        self.n_min_grade = np.array([GRADES.index(n.min_grade) for n in needs], dtype=np.int64)
        self.n_radius = np.array(
            [inst.limits.radius_km if n.radius_km is None else n.radius_km for n in needs]
        )
        self.n_any = np.array([n.any_skill for n in needs], dtype=bool)
        self.n_priority = np.array([n.priority for n in needs], dtype=np.int64)
        self.s_index = {s.id: j for j, s in enumerate(sups)}
        # Suppliers that need per-pair checks in Python (few: organisations, funds).
        self.special = np.array([s.lat is None or bool(s.coverage) for s in sups], dtype=bool)
        self.restricted = np.array(
            [bool(s.restrict_categories or s.restrict_regions or s.restrict_tags) for s in sups]
        )
        self.n_has_pair_rules = np.array(
            [bool(n.kinds or n.familiar or n.exclude) for n in needs], dtype=bool
        )


def _filter(inst: Instance, a: Arrays, ni: IntArr, sj: IntArr) -> tuple[IntArr, IntArr, FloatArr]:
    """Keep the eligible pairs of (ni, sj); returns them with their distances."""
    if ni.size == 0:
        return ni, sj, np.zeros(0)
    keep = a.s_remaining[sj] > 0
    nsk, ssk = a.n_skill[ni], a.s_skill[sj]
    ncat, scat = a.n_cat[ni], a.s_cat[sj]
    keep &= ((nsk == 0) & (ncat == 0)) | ((nsk & ssk) != 0) | ((ncat & scat) != 0)
    slots = a.n_slots[ni]
    keep &= (slots == 0) | ((slots & a.s_avail[sj]) != 0)
    keep &= (a.n_min_grade[ni] == 0) | ~a.s_is_org[sj] | (a.s_grade[sj] >= a.n_min_grade[ni])
    ni, sj = ni[keep], sj[keep]
    dist = haversine(a.n_lat[ni], a.n_lon[ni], a.s_lat[sj], a.s_lon[sj])
    known = ~np.isnan(dist)
    # Distance where both sides have coordinates; coverage-only suppliers are checked below.
    keep = np.where(known, dist <= a.n_radius[ni] + 1e-9, a.special[sj])
    ni, sj, dist = ni[keep], sj[keep], dist[keep]
    check = a.special[sj] | a.restricted[sj] | a.n_has_pair_rules[ni]
    if check.any():
        ok = np.ones(ni.size, dtype=bool)
        for e in np.flatnonzero(check):
            ok[e] = _pair_ok(inst, int(ni[e]), int(sj[e]))
        ni, sj, dist = ni[ok], sj[ok], dist[ok]
    return ni, sj, dist


def _pair_ok(inst: Instance, i: int, j: int) -> bool:
    n, s = inst.needs[i], inst.suppliers[j]
    if n.kinds and s.kind not in n.kinds:
        return False
    if s.id in n.exclude:
        return False
    coverage = s.coverage or ((s.region,) if s.lat is None and s.region else ())
    if s.lat is None and not coverage:
        return False  # nowhere known: never eligible
    if coverage and not any(n.region.startswith(p) for p in coverage):
        return False
    if s.restrict_categories and n.category not in s.restrict_categories:
        return False
    if s.restrict_regions and not any(n.region.startswith(p) for p in s.restrict_regions):
        return False
    return not (s.restrict_tags and not set(n.tags) & set(s.restrict_tags))


def _spatial_pairs(
    inst: Instance, a: Arrays, need_idx: IntArr, *, k: int | None, chunk: int = 256
) -> Iterator[tuple[IntArr, IntArr, FloatArr]]:
    """Eligible pairs with spatial suppliers found through k-d trees, one tree per skill or
    category key (a need looks only where a supplier could match it), filtered chunk by chunk
    so that the full edge set of a city never exists unfiltered."""
    spatial = np.flatnonzero(~a.special & (a.s_remaining > 0))
    if spatial.size == 0:
        return
    has_xy = ~np.isnan(a.n_lat[need_idx])
    need_idx = need_idx[has_xy]
    if need_idx.size == 0:
        return
    lat0 = float(np.nanmean(np.concatenate([a.n_lat[need_idx], a.s_lat[spatial]])))
    kx, ky = 111.32 * np.cos(np.radians(lat0)), 110.57
    sxy = np.column_stack([a.s_lon[spatial] * kx, a.s_lat[spatial] * ky])
    nxy = np.column_stack([a.n_lon[need_idx] * kx, a.n_lat[need_idx] * ky])
    # Planar distances at this latitude differ from great-circle ones by far less than 2 %.
    slack = 1.02
    keys: dict[tuple[str, int], list[int]] = {}
    nsk, ncat = a.n_skill[need_idx], a.n_cat[need_idx]
    for pos in range(need_idx.size):
        bits_s, bits_c = int(nsk[pos]), int(ncat[pos])
        if bits_s == 0 and bits_c == 0:
            keys.setdefault(("all", 0), []).append(pos)
        for kind, bits in (("s", bits_s), ("c", bits_c)):
            b = 0
            while bits:
                if bits & 1:
                    keys.setdefault((kind, b), []).append(pos)
                bits >>= 1
                b += 1
    ssk, scat = a.s_skill[spatial], a.s_cat[spatial]
    for (kind, b), positions in keys.items():
        if kind == "all":
            members = np.arange(spatial.size)
        else:
            col = ssk if kind == "s" else scat
            if col.dtype != object:
                members = np.flatnonzero((col >> b) & 1)
            else:
                members = np.array(
                    [p for p, v in enumerate(col) if (int(v) >> b) & 1], dtype=np.int64
                )
        if members.size == 0:
            continue
        tree = cKDTree(sxy[members])
        all_pos = np.asarray(positions, dtype=np.int64)
        for start in range(0, all_pos.size, chunk):
            batch = all_pos[start : start + chunk]
            radius = float(a.n_radius[need_idx[batch]].max()) * slack
            if k is None:
                hits = tree.query_ball_point(nxy[batch], r=radius, return_sorted=False)
                lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
                if lengths.sum() == 0:
                    continue
                flat = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h])
                rows = np.repeat(batch, lengths)
            else:
                kk = min(k, members.size)
                _d, idx = tree.query(nxy[batch], k=kk, distance_upper_bound=radius)
                idx = idx.reshape(batch.size, kk)
                found = idx < members.size
                rows = np.broadcast_to(batch[:, None], idx.shape)[found]
                flat = idx[found]
            yield _filter(inst, a, need_idx[rows], spatial[members[flat]])


def build_edges(
    inst: Instance, *, candidates: int | None = -1, need_idx: IntArr | None = None
) -> Edges:
    """The eligible edges of `need_idx` (default: every need). `candidates`: keep that many
    cheapest edges per need (None: all; -1: the instance's `limits.candidates`)."""
    a = Arrays(inst)
    if candidates == -1:
        candidates = inst.limits.candidates
    if need_idx is None:
        need_idx = np.arange(len(inst.needs), dtype=np.int64)
    # Look at several times more spatial neighbours than we keep: some are not available at
    # the needed times, and the cheapest edge is not always the nearest one.
    k = None if candidates is None else max(4 * candidates, 32)
    parts = list(_spatial_pairs(inst, a, need_idx, k=k))
    special = np.flatnonzero(a.special & (a.s_remaining > 0))
    if special.size and need_idx.size:
        parts.append(
            _filter(inst, a, np.repeat(need_idx, special.size), np.tile(special, need_idx.size))
        )
    if parts:
        ni = np.concatenate([p[0] for p in parts])
        sj = np.concatenate([p[1] for p in parts])
        dist = np.concatenate([p[2] for p in parts])
        # A pair found through two keys (two shared skills) is one edge.
        _u, first = np.unique(ni * len(inst.suppliers) + sj, return_index=True)
        ni, sj, dist = ni[first], sj[first], dist[first]
    else:
        ni = sj = np.zeros(0, dtype=np.int64)
        dist = np.zeros(0)
    edges = score_edges(inst, a, ni, sj, dist)
    if candidates is not None and len(edges):
        order = np.lexsort((edges.supplier, edges.cost, edges.need))
        edges = edges.take(order)
        starts = np.r_[0, np.flatnonzero(np.diff(edges.need)) + 1]
        rank = np.arange(len(edges)) - np.repeat(starts, np.diff(np.r_[starts, len(edges)]))
        edges = edges.take(rank < candidates)
    return edges


def _popcount(x: IntArr) -> IntArr:
    if x.dtype == object:
        return np.array([int(v).bit_count() for v in x], dtype=np.int64)
    return np.bitwise_count(x.astype(np.uint64)).astype(np.int64)


def score_edges(inst: Instance, a: Arrays, ni: IntArr, sj: IntArr, dist: FloatArr) -> Edges:
    comp = np.empty((ni.size, len(COMPONENTS)))
    known = ~np.isnan(dist)
    comp[:, 0] = np.where(known, 1 - np.clip(np.nan_to_num(dist) / a.n_radius[ni], 0, 1), 0.5)
    nsk = a.n_skill[ni]
    want = _popcount(nsk)
    have = _popcount(nsk & a.s_skill[sj])
    cat_ok = (a.n_cat[ni] & a.s_cat[sj]) != 0
    fit = np.where(a.n_any[ni] & (have > 0), 1.0, have / np.maximum(want, 1))
    comp[:, 1] = np.where(want > 0, fit, np.where(cat_ok, 1.0, 0.5))
    comp[:, 1] = np.maximum(comp[:, 1], np.where(cat_ok, 1.0, 0.0))
    rating = a.s_rating[sj]
    comp[:, 2] = np.where(np.isnan(rating), UNKNOWN, np.clip(rating / 5, 0, 1))
    rel = a.s_rel[sj]
    comp[:, 3] = np.where(np.isnan(rel), UNKNOWN, np.clip(rel, 0, 1))
    comp[:, 4] = a.s_remaining[sj] / np.maximum(a.s_cap[sj], 1)
    comp[:, 5] = 0.0
    for e in np.flatnonzero(_has_familiar(inst, ni)):
        if inst.suppliers[int(sj[e])].id in inst.needs[int(ni[e])].familiar:
            comp[e, 5] = 1.0
    w = np.asarray(inst.weights.vector(), dtype=float)
    score = comp @ w / w.sum()
    cost = 1 + np.rint(COST_SCALE * (1 - score)).astype(np.int64)
    return Edges(ni.astype(np.int64), sj.astype(np.int64), dist, comp, score, cost)


def _has_familiar(inst: Instance, ni: IntArr) -> NDArray[np.bool_]:
    flags = np.array([bool(n.familiar) for n in inst.needs], dtype=bool)
    return flags[ni] if ni.size else np.zeros(0, dtype=bool)
