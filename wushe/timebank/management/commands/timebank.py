from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wushe.timebank.services import balances_rebuild
from wushe.timebank.verify import ledger_problems


class Command(BaseCommand):
    help = (
        "Time bank: `wushe timebank verify` checks every ledger invariant and exits 1 with a "
        "report when one fails; `wushe timebank rebuild-balances` recomputes cached balances."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every invariant of the ledger.")
        sub.add_parser("rebuild-balances", help="Recompute cached balances from the entries.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild-balances":
            fixed = balances_rebuild()
            self.stdout.write(f"balances rebuilt: {fixed} corrected")
            return
        problems = ledger_problems()
        if problems:
            for line in problems:
                self.stderr.write(line)
            self.stderr.write(f"timebank verify: FAILED ({len(problems)} problems)")
            sys.exit(1)
        self.stdout.write("timebank verify: OK")
