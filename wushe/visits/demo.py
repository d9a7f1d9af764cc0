from __future__ import annotations

from typing import Any


def demo_visits(ctx: Any) -> None:
    pass
