from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.notifications.services import delivery_sweep


class Command(BaseCommand):
    help = (
        "Notifications: `wushe notifications deliver` sends pending deliveries the task queue "
        "missed (run it from cron or beat when Redis may be lost)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser(
            "deliver", help="Send pending SMS/WeChat/log deliveries that are due."
        )
        deliver.add_argument(
            "--min-age",
            type=int,
            default=60,
            help="Only deliveries older than this many seconds (default 60).",
        )
        deliver.add_argument(
            "--limit", type=int, default=500, help="At most this many (default 500)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = delivery_sweep(
            min_age_seconds=max(options["min_age"], 0), limit=max(options["limit"], 1)
        )
        self.stdout.write(
            f"attempted {result.attempted}: sent {result.sent}, retrying {result.retrying}, "
            f"failed {result.failed}, skipped {result.skipped}; reclaimed {result.reclaimed}"
        )
