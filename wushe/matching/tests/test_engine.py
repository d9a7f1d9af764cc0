"""The engine without Django: eligibility rules, ours against brute force, capacity, determinism,
the instance format and the solve command."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wushe.matching.engine import (
    Instance,
    Limits,
    Need,
    Supplier,
    solve_brute_force,
    solve_greedy,
    solve_ours,
)
from wushe.matching.engine.edges import build_edges
from wushe.matching.engine.instance import InstanceError, parse_instance
from wushe.matching.engine.solve import violations

LAT, LON = 30.51, 120.68
KM = 1 / 111.0  # ~1 km of latitude in degrees


def need(**kw):
    base = {"id": "n", "lat": LAT, "lon": LON, "region": "330481001007", "skills": ("repair",)}
    base.update(kw)
    return Need(**base)


def volunteer(**kw):
    base = {"id": "v", "lat": LAT + 0.5 * KM, "lon": LON, "skills": ("repair",), "capacity": 2}
    base.update(kw)
    return Supplier(**base)


def eligible_ids(n, sups, **limits):
    inst = Instance([n], sups, limits=Limits(**limits))
    edges = build_edges(inst, candidates=None)
    return {inst.suppliers[int(j)].id for j in edges.supplier}


def test_eligibility_rules():
    n = need(slots=0b1)  # 周一上午
    sups = [
        volunteer(id="ok", availability=0b11),
        volunteer(id="no_skill", skills=("haircut",)),
        volunteer(id="busy", availability=0b10),
        volunteer(id="far", lat=LAT + 5 * KM),
        volunteer(id="full", capacity=2, load=2),
        volunteer(id="nowhere", lat=None, lon=None),
        volunteer(id="already"),
    ]
    got = eligible_ids(replace(n, exclude=("already",)), sups, radius_km=3.0)
    assert got == {"ok"}
    # The need's own radius wins over the instance's.
    assert "far" in eligible_ids(replace(n, radius_km=6.0), sups, radius_km=3.0)


def test_organisations_by_coverage_category_and_grade():
    n = need(category="daily_care", skills=(), min_grade="3A")
    sups = [
        Supplier(id="good", kind="organization", categories=("daily_care",), grade="4A",
                 coverage=("330481001",), capacity=5),
        Supplier(id="low", kind="organization", categories=("daily_care",), grade="2A",
                 coverage=("330481001",), capacity=5),
        Supplier(id="elsewhere", kind="organization", categories=("daily_care",), grade="5A",
                 coverage=("330481101",), capacity=5),
        Supplier(id="other_field", kind="organization", categories=("legal_aid",), grade="5A",
                 coverage=("330481",), capacity=5),
    ]  # fmt: skip
    assert eligible_ids(n, sups) == {"good"}


def test_restricted_charity_funds():
    base = need(category="daily_care", skills=(), tags=("alone_elder",))
    fund = Supplier(
        id="fund",
        kind="charity",
        categories=("daily_care",),
        coverage=("330481",),
        restrict_tags=("alone_elder", "low_income"),
        restrict_regions=("330481001",),
        capacity=3,
    )
    assert eligible_ids(base, [fund]) == {"fund"}
    assert eligible_ids(replace(base, tags=("child",)), [fund]) == set()
    assert eligible_ids(replace(base, region="330481101001"), [fund]) == set()


def test_reasons_components_prefer_near_and_familiar():
    n = need(familiar=("old_friend",))
    sups = [
        volunteer(id="near", lat=LAT + 0.2 * KM),
        volunteer(id="far", lat=LAT + 2.5 * KM),
        volunteer(id="old_friend", lat=LAT + 2.5 * KM),
    ]
    inst = Instance([n], sups)
    edges = build_edges(inst, candidates=None)
    by_id = {inst.suppliers[int(j)].id: e for e, j in enumerate(edges.supplier)}
    assert edges.cost[by_id["near"]] < edges.cost[by_id["far"]]
    assert edges.cost[by_id["old_friend"]] < edges.cost[by_id["far"]]
    assert edges.components[by_id["old_friend"], 5] == 1.0


def random_instance(rng: random.Random, n_needs: int, n_sups: int) -> Instance:
    skills = ("repair", "haircut", "medical")
    needs = [
        Need(
            id=f"n{i}",
            lat=LAT + rng.uniform(0, 3 * KM),
            lon=LON + rng.uniform(0, 3 * KM),
            region="330481001007",
            skills=(rng.choice(skills),),
            slots=rng.choice([0, 0b1, 0b110]),
            priority=rng.randint(1, 3),
        )
        for i in range(n_needs)
    ]
    sups = [
        Supplier(
            id=f"s{j}",
            lat=LAT + rng.uniform(0, 3 * KM),
            lon=LON + rng.uniform(0, 3 * KM),
            skills=tuple(rng.sample(skills, rng.randint(1, 2))),
            availability=rng.choice([0b1, 0b10, 0b111, 0b100]),
            capacity=rng.randint(1, 3),
            load=rng.randint(0, 1),
            rating=rng.choice([None, 3.5, 5.0]),
            reliability=rng.choice([None, 0.5, 1.0]),
        )
        for j in range(n_sups)
    ]
    limits = Limits(
        radius_km=rng.choice([1.5, 3.0]),
        max_per_supplier=rng.choice([None, 1, 2]),
        fairness_step=rng.choice([0, 50, 300]),
    )
    return Instance(needs, sups, limits=limits)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n_needs=st.integers(1, 6), n_sups=st.integers(1, 4))
def test_ours_equals_brute_force_and_keeps_the_rules(seed, n_needs, n_sups):
    inst = random_instance(random.Random(seed), n_needs, n_sups)
    ours, best = solve_ours(inst), solve_brute_force(inst)
    assert ours.objective(inst)["value"] == best.objective(inst)["value"]
    assert violations(inst, ours) == []
    greedy = solve_greedy(inst)
    assert violations(inst, greedy) == []
    assert greedy.objective(inst)["value"] <= best.objective(inst)["value"]


def test_priority_first_then_cost():
    # One volunteer, two needs: the urgent one is served even though it is farther.
    sups = [volunteer(id="only", capacity=1)]
    needs = [
        need(id="near_low", lat=LAT + 0.4 * KM, priority=1),
        need(id="far_high", lat=LAT + 2.0 * KM, priority=3),
    ]
    inst = Instance(needs, sups)
    result = solve_ours(inst).to_json(inst)
    assert [a["need"] for a in result["assignments"]] == ["far_high"]
    assert result["unserved"] == ["near_low"]


def test_fairness_cap_spreads_work():
    sups = [volunteer(id="a", capacity=5), volunteer(id="b", capacity=5, lat=LAT + 2 * KM)]
    needs = [need(id=f"n{i}") for i in range(4)]
    inst = Instance(needs, sups, limits=Limits(max_per_supplier=2))
    counts: dict[str, int] = {}
    for a in solve_ours(inst).to_json(inst)["assignments"]:
        counts[a["supplier"]] = counts.get(a["supplier"], 0) + 1
    assert counts == {"a": 2, "b": 2}


def test_deterministic_and_json_round_trip():
    inst = random_instance(random.Random(42), 40, 25)
    again = parse_instance(json.loads(json.dumps(inst.to_json())))
    first = solve_ours(inst).to_json(inst)
    second = solve_ours(again).to_json(again)
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_candidate_pruning_stays_close_to_full_set():
    inst = random_instance(random.Random(3), 120, 60)
    pruned = replace(inst, limits=replace(inst.limits, candidates=4))
    full = replace(inst, limits=replace(inst.limits, candidates=None))
    a, b = solve_ours(pruned), solve_ours(full)
    assert violations(pruned, a) == []
    assert a.objective(pruned)["value"] <= b.objective(full)["value"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"needs": [{"lat": 1}]}, "id is required"),
        ({"needs": [{"id": "a", "colour": "red"}]}, "unknown keys"),
        ({"needs": [{"id": "a"}, {"id": "a"}]}, "unique"),
        ({"suppliers": [{"id": "s", "kind": "robot"}]}, "kind"),
        ({"needs": [{"id": "a", "lat": 30.1}]}, "together"),
        ({"weights": {"distance": 0, "skill": 0, "rating": 0, "reliability": 0,
                      "workload": 0, "familiarity": 0}}, "positive"),
    ],
)  # fmt: skip
def test_malformed_instances_are_refused(data, message):
    with pytest.raises(InstanceError, match=message):
        parse_instance(data)
