"""Demo data of the project database (filled in below)."""

from __future__ import annotations

from typing import Any


def demo_projects(ctx: Any) -> None:
    return None
