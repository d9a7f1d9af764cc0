"""Limits and tunables of the import engine. Each is read at call time from
`settings.WUSHE["<NAME>"]` when present (tests override them there), else from the environment
variable `WUSHE_<NAME>`, else the default below. settings.py does not list them, so that this
app owns its knobs; `.env.example` documents the environment variables."""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS: dict[str, int] = {
    # Largest upload accepted (bytes): answered with 413 `import.file_too_large`.
    "IMPORT_MAX_BYTES": 20 * 1024 * 1024,
    # Most data rows in one file (`import.too_many_rows`).
    "IMPORT_MAX_ROWS": 200_000,
    # .xlsx zip-bomb guard (`import.zip_bomb`), checked before openpyxl opens the file: sum of
    # the declared uncompressed sizes, one entry's size, compression ratio of any entry above
    # 1 MiB, entries.
    "IMPORT_MAX_UNCOMPRESSED_BYTES": 512 * 1024 * 1024,
    # Largest declared size of one entry (a 200 000-row, 30-column sheet is ~260 MiB of XML).
    "IMPORT_MAX_MEMBER_BYTES": 384 * 1024 * 1024,
    "IMPORT_MAX_COMPRESSION_RATIO": 250,
    "IMPORT_MAX_ZIP_ENTRIES": 5_000,
    # Files with more rows than this validate and commit in a Celery task with a progress bar.
    "IMPORT_BACKGROUND_ROWS": 2_000,
    # Rows per batch of `existing()` lookups and of `write()` calls.
    "IMPORT_BATCH_ROWS": 2_000,
    # Progress is saved every this many rows.
    "IMPORT_PROGRESS_EVERY": 5_000,
    # Issues stored per job (all are counted; the error report lists the stored ones).
    "IMPORT_MAX_ISSUES": 20_000,
    # Issues returned with the preview by the API.
    "IMPORT_PREVIEW_ISSUES": 200,
    # Rows searched for the header.
    "IMPORT_HEADER_SCAN_ROWS": 10,
    # Most records in one export.
    "EXPORT_MAX_ROWS": 500_000,
}


def limit(name: str) -> int:
    platform = getattr(settings, "WUSHE", {})
    if name in platform:
        return int(platform[name])
    env = os.environ.get(f"WUSHE_{name}", "").strip()
    if env:
        return int(env)
    return DEFAULTS[name]
