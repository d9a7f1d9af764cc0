"""`wushe backup [FOLDER] [--no-media]`: the database and the uploaded files into one folder with
a manifest (wushe.ops.backup; procedure in docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wushe.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump --format=custom; SQLite: online backup "
        "API) and the uploaded files into FOLDER (default var/backups/wushe-<UTC time>), with "
        "manifest.json (time, code version, migrations, row counts, SHA-256 of each file)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", nargs="?", help="a new folder (must not exist)")
        parser.add_argument("--no-media", action="store_true", help="skip the uploaded files")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            folder = backup_create(
                folder=Path(options["folder"]) if options["folder"] else None,
                database=options["database"],
                include_media=not options["no_media"],
                log=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(str(folder))
