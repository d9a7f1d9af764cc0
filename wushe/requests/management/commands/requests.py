from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.requests.services import requests_sweep


class Command(BaseCommand):
    help = (
        "Requests (民呼我为): `wushe requests escalate` climbs overdue requests one level "
        "(community → township → county) and closes resolved ones nobody confirmed in time. "
        "Idempotent: running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "escalate",
            help="Escalate overdue requests one level and auto-close resolved ones.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = requests_sweep()
        self.stdout.write(
            f"escalated {len(report.escalated)} request(s), "
            f"closed {len(report.closed)} request(s) automatically"
        )
        for number in report.escalated:
            self.stdout.write(f"  escalated {number}")
        for number in report.closed:
            self.stdout.write(f"  closed {number}")
