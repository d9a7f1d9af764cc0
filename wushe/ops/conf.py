"""Knobs of the ops app. Each is read at call time from `settings.WUSHE["<NAME>"]` when present
(tests override them there), else from the environment variable `WUSHE_<NAME>`, else the
default below (the pattern of wushe/imports/limits.py: this app owns its knobs;
`.env.example` documents the variables)."""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS: dict[str, str] = {
    # Client addresses or networks (CIDR) that may read /metrics, comma separated.
    "METRICS_ALLOWED_IPS": "127.0.0.1,::1",
    # A bearer token that also opens /metrics (from anywhere); empty: no token accepted.
    "METRICS_TOKEN": "",
    # Folder holding pg_dump/pg_restore when they are not on PATH or in /usr/lib/postgresql.
    "PG_BIN_DIR": "",
    # Commit recorded in backup manifests when the code is not a git checkout.
    "GIT_COMMIT": "",
}


def value(name: str) -> str:
    platform = getattr(settings, "WUSHE", {})
    if name in platform:
        return str(platform[name])
    return os.environ.get(f"WUSHE_{name}", DEFAULTS[name])


def value_list(name: str) -> list[str]:
    return [item.strip() for item in value(name).split(",") if item.strip()]
