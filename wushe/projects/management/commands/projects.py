from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.projects.models import Project
from wushe.projects.services import project_recount


class Command(BaseCommand):
    help = (
        "Project database: `wushe projects recount` recomputes the sums cached on every "
        "project (spent, beneficiaries) from its expenditures and activities and reports the "
        "projects whose cache was wrong. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("recount", help="Recompute spent and beneficiaries from their rows.")

    def handle(self, *args: Any, **options: Any) -> None:
        fixed = 0
        for pk, spent, people in Project.objects.values_list("pk", "spent_fen", "beneficiaries"):
            project = project_recount(project_id=pk)
            if (project.spent_fen, project.beneficiaries) != (spent, people):
                fixed += 1
                self.stdout.write(f"  project {pk}: spent {spent} → {project.spent_fen}")
        self.stdout.write(f"recounted projects, {fixed} corrected")
