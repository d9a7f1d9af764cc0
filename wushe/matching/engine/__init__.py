"""The matching engine: pure Python + numpy/scipy, no Django. It reads an `Instance` (needs,
suppliers, weights, limits; JSON format in docs/matching.md), computes the eligible edges and
their explainable scores, and assigns needs to suppliers. The Django app builds instances from
the database and stores the results; `wushe matching solve` and the benchmark use it directly."""

from .instance import Instance, Limits, Need, Supplier, Weights, load_instance
from .solve import Solution, solve_brute_force, solve_greedy, solve_ours

__all__ = [
    "Instance",
    "Limits",
    "Need",
    "Solution",
    "Supplier",
    "Weights",
    "load_instance",
    "solve_brute_force",
    "solve_greedy",
    "solve_ours",
]
