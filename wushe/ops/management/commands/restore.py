"""`wushe restore FOLDER [--force] [--no-media]`: a backup of `wushe backup` back into the
configured database and file folder (wushe.ops.backup; procedure in docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wushe.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a folder written by `wushe backup` into the configured database (which must "
        "be empty unless --force) and file folder. Checks the SHA-256 of every file first and "
        "the migrations and row counts afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite a database and file folder that already hold data",
        )
        parser.add_argument("--no-media", action="store_true", help="skip the uploaded files")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_restore(
                folder=Path(options["folder"]),
                database=options["database"],
                force=options["force"],
                include_media=not options["no_media"],
                log=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        rows = sum(report.row_counts.values())
        self.stdout.write(
            f"restored: {len(report.row_counts)} key tables, {rows} rows as in the manifest"
        )
        if report.media_files is not None:
            self.stdout.write(f"uploaded files: {report.media_files}")
        if report.extra_tables:
            self.stdout.write(
                "tables not in the backup (left from before --force): "
                + ", ".join(report.extra_tables)
            )
        if report.unknown_migrations:
            self.stdout.write(
                "WARNING: the backup has migrations this code does not know (made by newer "
                "code?): " + ", ".join(report.unknown_migrations)
            )
        if report.pending_migrations:
            self.stdout.write(
                f"{len(report.pending_migrations)} migration(s) of this code are not applied "
                "yet: run `wushe migrate` before starting the platform."
            )
        else:
            self.stdout.write("migrations: up to date with this code")
