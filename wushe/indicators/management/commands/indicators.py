from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.indicators import engine, refresh
from wushe.indicators.models import RefreshRun
from wushe.regions import codes


class Command(BaseCommand):
    help = (
        "Indicators: `wushe indicators rebuild [--year Y ...] [--region CODE]` recomputes every "
        "indicator for every month, quarter and year; `wushe indicators sweep` recomputes the "
        "counties whose records changed (what the indicators.sweep task does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="Recompute all indicators.")
        rebuild.add_argument("--year", type=int, action="append", dest="years")
        rebuild.add_argument("--region", default="", help="Only this region's subtree.")
        sub.add_parser("sweep", help="Recompute the counties marked as changed.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["action"] == "sweep":
            runs = refresh.sweep()
            self.stdout.write(
                f"refreshed {len(runs)} subtree(s) in {time.perf_counter() - started:.2f} s"
            )
            return
        years = options["years"] or engine.default_years()
        prefix = (
            codes.significant_prefix(codes.normalize(options["region"]))
            if options["region"]
            else ""
        )
        run = engine.compute(years=years, prefix=prefix, kind=RefreshRun.Kind.REBUILD)
        self.stdout.write(
            f"rebuilt {run.rows} value(s) for {run.years} in {time.perf_counter() - started:.2f} s"
        )
