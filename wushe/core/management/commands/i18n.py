"""`wushe i18n compile`: build .mo files from the committed .po files with polib, so a fresh
machine needs no GNU gettext. (`wushe makemessages` still needs gettext, for developers.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def po_files() -> list[Path]:
    return sorted(p for base in settings.LOCALE_PATHS for p in Path(base).rglob("*.po"))


class Command(BaseCommand):
    help = "Translations: `wushe i18n compile` builds .mo files; `wushe i18n check` lists gaps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["compile", "check"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "compile":
            for po_path in po_files():
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                self.stdout.write(f"compiled {mo_path.relative_to(settings.BASE_DIR)}")
            return
        missing = 0
        for po_path in po_files():
            po = polib.pofile(str(po_path))
            for entry in po.untranslated_entries() + po.fuzzy_entries():
                missing += 1
                self.stdout.write(f"{po_path.name}: {entry.msgid[:60]!r}")
        if missing:
            self.stderr.write(f"{missing} strings lack a translation")
            raise SystemExit(1)
        self.stdout.write("all strings translated")
