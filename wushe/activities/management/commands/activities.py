from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.activities.services import volunteer_minutes_rebuild


class Command(BaseCommand):
    help = (
        "Activities: `wushe activities rebuild-minutes` recomputes every volunteer's verified "
        "minutes (and so their stars) from the verified service records."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild-minutes", help="Recompute Volunteer.verified_minutes.")

    def handle(self, *args: Any, **options: Any) -> None:
        fixed = volunteer_minutes_rebuild()
        self.stdout.write(f"verified minutes rebuilt: {fixed} corrected")
