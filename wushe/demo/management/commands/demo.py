from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wushe.core.errors import DomainError
from wushe.demo.services import demo_load


class Command(BaseCommand):
    help = "Demo data for Haining: `wushe demo load [--seed N] [--scale F]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Build (or refresh) the Haining demo.")
        load.add_argument("--seed", type=int, default=1)
        load.add_argument("--scale", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive")
        try:
            log = demo_load(seed=options["seed"], scale=options["scale"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        for line in log:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("demo data ready"))
