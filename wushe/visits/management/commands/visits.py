from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.visits.services import enrolments_sync, last_visits_rebuild, visits_sweep


class Command(BaseCommand):
    help = (
        "Visits (探访关爱): `wushe visits sweep` enrols residents by the rules and alerts "
        "visitors once per missed period about overdue people; `wushe visits sync` only "
        "enrols; `wushe visits check` rebuilds each enrolment's last visit day from the "
        "visits. Idempotent: running one twice changes nothing more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="Enrol by the rules, then send overdue alerts.")
        sync = sub.add_parser("sync", help="Enrol by the rules (and end what no longer applies).")
        sync.add_argument("--region", default="", help="significant prefix, e.g. 330481")
        check = sub.add_parser("check", help="Rebuild last visit days from the visits.")
        check.add_argument("--region", default="", help="significant prefix, e.g. 330481")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sweep":
            report = visits_sweep()
            self.stdout.write(
                f"enrolled {report.sync.enrolled}, updated {report.sync.updated}, "
                f"ended {report.sync.ended}; overdue {report.overdue}, "
                f"newly alerted {report.alerted}, users notified {report.notified_users}"
            )
        elif action == "sync":
            sync = enrolments_sync(prefix=options["region"])
            self.stdout.write(
                f"enrolled {sync.enrolled}, updated {sync.updated}, ended {sync.ended}"
            )
        else:
            changed = last_visits_rebuild(prefix=options["region"])
            self.stdout.write(f"{changed} enrolment(s) had a stale last visit day")
