"""`wushe matching solve INSTANCE.json -o RESULT.json` solves an instance file without the
database (format: docs/matching.md); `wushe matching refresh [COUNTY]` rebuilds the supply
index the suggestions read."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wushe.matching.engine.cli import solve_file
from wushe.matching.engine.instance import Instance, InstanceError
from wushe.matching.engine.solve import Solution


def _reasons(inst: Instance, sol: Solution, out: dict[str, Any]) -> None:
    """Add the Chinese reason to every assignment of the result."""
    from wushe.matching.reasons import reason_text

    for row, e in zip(out["assignments"], range(len(sol.chosen)), strict=True):
        need = inst.needs[int(sol.chosen.need[e])]
        sup = inst.suppliers[int(sol.chosen.supplier[e])]
        row["reason"] = reason_text(
            need=need,
            supplier=sup,
            distance_km=row["distance_km"],
            components=row["components"],
            load=sup.load,
        )


class Command(BaseCommand):
    help = "供需对接：离线求解派单实例（solve），重建志愿者供给索引（refresh）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        solve = sub.add_parser("solve", help="solve an instance JSON file")
        solve.add_argument("instance")
        solve.add_argument("-o", "--output", required=True)
        solve.add_argument("--method", choices=("ours", "greedy"), default="ours")
        solve.add_argument("--check", action="store_true", help="verify the result")
        solve.add_argument("--no-reasons", action="store_true")
        refresh = sub.add_parser("refresh", help="rebuild the supply index of counties")
        refresh.add_argument("county", nargs="*", help="6-digit county codes (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "solve":
            try:
                summary = solve_file(
                    options["instance"],
                    options["output"],
                    method=options["method"],
                    check=options["check"],
                    annotate=None if options["no_reasons"] else _reasons,
                )
            except (InstanceError, OSError) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            if summary.get("violations"):
                raise CommandError("the result breaks the rules")
            return
        from wushe.matching.services import supply_rebuild
        from wushe.volunteers.models import Volunteer

        counties = options["county"] or sorted(
            set(Volunteer.objects.values_list("county_code", flat=True).distinct())
        )
        for county in counties:
            n = supply_rebuild(county_code=county)
            self.stdout.write(f"{county}: {n}")
