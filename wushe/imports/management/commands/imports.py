from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.imports.services import import_purge_stale


class Command(BaseCommand):
    help = "Spreadsheet imports: `wushe imports purge [--days 7]` deletes stale uploads."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser(
            "purge", help="Cancel jobs left uncommitted and delete their uploaded files."
        )
        purge.add_argument("--days", type=int, default=7, help="Age in days (default 7).")

    def handle(self, *args: Any, **options: Any) -> None:
        expired = import_purge_stale(days=max(options["days"], 0))
        self.stdout.write(f"expired {expired} import job(s)")
