"""`wushe crypto genkey|rotate|check`: keys for personal data encrypted at rest
(wushe.core.crypto; procedure in docs/key-rotation.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wushe.core import crypto

MAX_LISTED_IDS = 100


class Command(BaseCommand):
    help = (
        "Encryption keys for personal data: `genkey` prints new keys, `rotate` re-encrypts "
        "values made with an older key, `check` verifies every encrypted value decrypts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["genkey", "rotate", "check"])
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (rotate, check)"
        )
        parser.add_argument(
            "--require-current",
            action="store_true",
            help="check: also fail while any value is still encrypted with an older key",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "genkey":
            self.genkey()
        elif action == "rotate":
            self.rotate(options["batch_size"])
        else:
            self.check_values(options["batch_size"], options["require_current"])

    def genkey(self) -> None:
        key_id = crypto.new_key_id()
        self.stdout.write(
            f"# Data key: put this entry FIRST in {crypto.DATA_KEYS_ENV}, keep the old entries "
            "after it until `wushe crypto rotate` and `wushe crypto check` have run."
        )
        self.stdout.write(f"{key_id}:{crypto.new_key()}")
        self.stdout.write(
            f"# Lookup key for {crypto.LOOKUP_KEY_ENV}: new installations only; replacing it "
            "means recomputing every lookup hash (docs/key-rotation.md)."
        )
        self.stdout.write(crypto.new_key())

    def rotate(self, batch_size: int) -> None:
        self.stdout.write(f"current key: {crypto.current_key_id()}")
        try:
            counts = crypto.rotate_all(batch_size=batch_size)
        except crypto.DecryptionError as exc:
            raise CommandError(
                f"rotation stopped: {exc}. Run `wushe crypto check` for the full list.",
                returncode=1,
            ) from None
        if not counts:
            self.stdout.write("no encrypted fields registered")
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} re-encrypted")
        self.stdout.write(f"total: {sum(counts.values())} re-encrypted")

    def check_values(self, batch_size: int, require_current: bool) -> None:
        # Both keys load and the current data key works, even with no field registered.
        probe = crypto.encrypt("probe", purpose="wushe.crypto.check")
        crypto.decrypt(probe, purpose="wushe.crypto.check")
        crypto.lookup_hash("probe", purpose="wushe.crypto.check")
        self.stdout.write(f"current key: {crypto.current_key_id()}")

        reports = crypto.check_all(batch_size=batch_size)
        if not reports:
            self.stdout.write("no encrypted fields registered")
        failed = stale = 0
        for report in reports:
            self.stdout.write(
                f"{report.label}: {report.checked} checked, {report.failed} failed, "
                f"{report.stale} on an older key"
            )
            for code, pks in sorted(report.failures.items()):
                listed = ", ".join(str(pk) for pk in pks[:MAX_LISTED_IDS])
                more = (
                    f" … and {len(pks) - MAX_LISTED_IDS} more" if len(pks) > MAX_LISTED_IDS else ""
                )
                self.stderr.write(f"{report.label} [{code}] ids: {listed}{more}")
            failed += report.failed
            stale += report.stale
        if failed:
            raise CommandError(f"{failed} values do not decrypt", returncode=1)
        if stale and require_current:
            raise CommandError(
                f"{stale} values are still on an older key: run `wushe crypto rotate`",
                returncode=1,
            )
        self.stdout.write("all encrypted values decrypt")
