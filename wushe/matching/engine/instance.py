"""The instance format (docs/matching.md): needs, suppliers, weights and limits.

Everything here is plain data; JSON in, JSON out. Identifiers are strings so that instances
from elsewhere can use their own keys."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

FULL_WEEK = (1 << 21) - 1
GRADES = ("", "1A", "2A", "3A", "4A", "5A")
KINDS = ("volunteer", "organization", "social_worker", "charity", "party_member")


class InstanceError(ValueError):
    """The instance is malformed; the message names the offending entry."""


@dataclass(slots=True)
class Weights:
    """Relative weights of the score components (any non-negative numbers, not all zero)."""

    distance: float = 3.0
    skill: float = 2.0
    rating: float = 1.0
    reliability: float = 1.0
    workload: float = 1.0
    familiarity: float = 1.0

    def vector(self) -> tuple[float, ...]:
        return (
            self.distance,
            self.skill,
            self.rating,
            self.reliability,
            self.workload,
            self.familiarity,
        )


COMPONENTS = ("distance", "skill", "rating", "reliability", "workload", "familiarity")


@dataclass(slots=True)
class Limits:
    """radius_km: default search radius; max_per_supplier: fairness cap on assignments one
    supplier receives in one batch (None = only capacity); fairness_step: extra cost for each
    further assignment to the same supplier in one batch (spreads the work); candidates: how
    many best edges per need our solver keeps (None = all eligible edges, exact)."""

    radius_km: float = 3.0
    max_per_supplier: int | None = None
    fairness_step: int = 50
    candidates: int | None = 16


@dataclass(slots=True)
class Need:
    id: str
    lat: float | None = None
    lon: float | None = None
    region: str = ""
    category: str = ""
    skills: tuple[str, ...] = ()
    any_skill: bool = False  # skills are alternatives: one of them is a full fit
    slots: int = 0  # 21-bit week mask of when the need may be served; 0 = any time
    priority: int = 1
    radius_km: float | None = None
    min_grade: str = ""  # organisations only: at least this assessment grade
    tags: tuple[str, ...] = ()  # the resident's groups, for restricted charity funds
    kinds: tuple[str, ...] = ()  # allowed supplier kinds; empty = any
    familiar: tuple[str, ...] = ()  # supplier ids that served this resident before
    exclude: tuple[str, ...] = ()  # supplier ids never to propose (already assigned)


@dataclass(slots=True)
class Supplier:
    id: str
    kind: str = "volunteer"
    name: str = ""
    lat: float | None = None
    lon: float | None = None
    region: str = ""
    skills: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    availability: int = FULL_WEEK
    capacity: int = 1
    load: int = 0
    rating: float | None = None  # 0–5
    reliability: float | None = None  # 0–1
    coverage: tuple[str, ...] = ()  # region code prefixes served; empty = by distance only
    grade: str = ""
    restrict_categories: tuple[str, ...] = ()  # charity funds: only these need categories
    restrict_regions: tuple[str, ...] = ()  # … only needs in these region prefixes
    restrict_tags: tuple[str, ...] = ()  # … only residents with one of these tags

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.load)


@dataclass
class Instance:
    needs: list[Need]
    suppliers: list[Supplier]
    weights: Weights = field(default_factory=Weights)
    limits: Limits = field(default_factory=Limits)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "weights": asdict(self.weights),
            "limits": asdict(self.limits),
            "needs": [_compact(asdict(n), Need) for n in self.needs],
            "suppliers": [_compact(asdict(s), Supplier) for s in self.suppliers],
        }


def _compact(row: dict[str, Any], cls: type) -> dict[str, Any]:
    defaults = {f.name: f.default for f in fields(cls)}
    out = {}
    for key, value in row.items():
        if key == "id" or value != defaults.get(key):
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


_NUMBERS = {"lat", "lon", "rating", "reliability", "radius_km"}
_KINDS: dict[type, dict[str, str]] = {}


def _kinds(cls: type) -> dict[str, str]:
    """How each field of `cls` is checked (computed once per class: loading an instance of
    200,000 suppliers checks two million values)."""
    if cls not in _KINDS:
        out = {}
        for f in fields(cls):
            d = f.default
            if isinstance(d, tuple):
                out[f.name] = "strings"
            elif f.name == "id":
                out[f.name] = "id"
            elif f.name in _NUMBERS:
                out[f.name] = "number"
            elif isinstance(d, bool):
                out[f.name] = "bool"
            elif isinstance(d, int) or f.name in {"max_per_supplier", "candidates"}:
                out[f.name] = "count"
            elif isinstance(d, float):
                out[f.name] = "amount"
            else:
                out[f.name] = "str"
        _KINDS[cls] = out
    return _KINDS[cls]


def _build(cls: type, row: Any, prefix: str, index: int | None = None) -> Any:
    def where(key: str = "") -> str:
        at = prefix if index is None else f"{prefix}[{index}]"
        return f"{at}.{key}" if key else at

    if not isinstance(row, dict):
        raise InstanceError(f"{where()}: expected an object")
    kinds = _kinds(cls)
    if not kinds.keys() >= row.keys():
        raise InstanceError(f"{where()}: unknown keys {sorted(set(row) - set(kinds))}")
    if "id" in kinds and "id" not in row:
        raise InstanceError(f"{where()}: id is required")
    kwargs: dict[str, Any] = {}
    for key, value in row.items():
        kind = kinds[key]
        if kind == "strings":
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise InstanceError(f"{where(key)}: expected a list of strings")
            value = tuple(value)
        elif kind == "id":
            value = str(value)
        elif kind == "number":
            if value is not None:
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not math.isfinite(value)
                ):
                    raise InstanceError(f"{where(key)}: expected a number")
                value = float(value)
        elif kind == "bool":
            value = bool(value)
        elif kind == "count":
            if value is not None and (not isinstance(value, int) or value < 0):
                raise InstanceError(f"{where(key)}: expected a non-negative integer")
        elif kind == "amount":
            if not isinstance(value, int | float) or value < 0:
                raise InstanceError(f"{where(key)}: expected a non-negative number")
            value = float(value)
        elif not isinstance(value, str):
            raise InstanceError(f"{where(key)}: expected a string")
        kwargs[key] = value
    return cls(**kwargs)


def _build_all(cls: type, rows: Any, prefix: str) -> list[Any]:
    """All rows of one list. Fast path: construct directly and check the values column by
    column; on any doubt, the row-by-row checks find and name the offending entry."""
    if not isinstance(rows, list):
        raise InstanceError(f"{prefix}: expected a list")
    kinds = _kinds(cls)
    allowed = kinds.keys()
    tuples = [k for k, v in kinds.items() if v == "strings"]
    out: list[Any] = []
    try:
        for row in rows:
            if type(row) is not dict or not allowed >= row.keys() or "id" not in row:
                raise ValueError
            for k in tuples:
                v = row.get(k)
                if v is not None:
                    if type(v) is not list:
                        raise ValueError
                    "".join(v)  # TypeError unless all strings
                    row[k] = tuple(v)
            out.append(cls(**row))
        for k, kind in kinds.items():
            if kind == "id":
                for o in out:
                    if type(o.id) is not str:
                        o.id = str(o.id)
            elif kind in ("number", "count", "amount"):
                vals = [getattr(o, k) for o in out]
                if any(type(v) is bool for v in vals):
                    raise ValueError
                arr = np.array([np.nan if v is None else v for v in vals], dtype=float)
                if kind == "number" and np.isinf(arr).any():
                    raise ValueError
                if kind != "number" and (np.nan_to_num(arr) < 0).any():
                    raise ValueError
                if kind == "count" and any(v is not None and type(v) is not int for v in vals):
                    raise ValueError
                if kind == "number":
                    for o, v in zip(out, vals, strict=True):
                        if v is not None and type(v) is not float:
                            setattr(o, k, float(v))
            elif kind == "str" and any(type(getattr(o, k)) is not str for o in out):
                raise ValueError
    except (ValueError, TypeError):
        out = [_build(cls, r, prefix, i) for i, r in enumerate(rows)]
        raise InstanceError(f"{prefix}: invalid values") from None  # pragma: no cover
    return out


def parse_instance(data: Any) -> Instance:
    if not isinstance(data, dict):
        raise InstanceError("instance: expected an object")
    if data.get("version", 1) != 1:
        raise InstanceError("instance: only version 1 is known")
    needs = _build_all(Need, data.get("needs", []), "needs")
    suppliers = _build_all(Supplier, data.get("suppliers", []), "suppliers")
    for what, rows in (("needs", needs), ("suppliers", suppliers)):
        ids = [r.id for r in rows]
        if len(set(ids)) != len(ids):
            raise InstanceError(f"{what}: ids must be unique")
    for i, s in enumerate(suppliers):
        if s.kind not in KINDS:
            raise InstanceError(f"suppliers[{i}].kind: one of {KINDS}")
        if s.grade not in GRADES:
            raise InstanceError(f"suppliers[{i}].grade: one of {GRADES}")
        if (s.lat is None) != (s.lon is None):
            raise InstanceError(f"suppliers[{i}]: lat and lon together")
    for i, n in enumerate(needs):
        if n.min_grade not in GRADES:
            raise InstanceError(f"needs[{i}].min_grade: one of {GRADES}")
        if (n.lat is None) != (n.lon is None):
            raise InstanceError(f"needs[{i}]: lat and lon together")
    weights = _build(Weights, data.get("weights", {}), "weights")
    if sum(weights.vector()) <= 0:
        raise InstanceError("weights: at least one must be positive")
    limits = _build(Limits, data.get("limits", {}), "limits")
    return Instance(needs=needs, suppliers=suppliers, weights=weights, limits=limits)


def load_instance(path: str | Path) -> Instance:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise InstanceError(f"not JSON: {exc}") from exc
    return parse_instance(data)
