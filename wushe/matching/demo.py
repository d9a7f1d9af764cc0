"""Demo step: build the supply index of Haining from the demo volunteers, so the dispatch
screen shows ranked suggestions at once."""

from __future__ import annotations

from typing import Any

from .services import supply_rebuild

HAINING = "330481"


def demo_matching(ctx: Any) -> None:
    n = supply_rebuild(county_code=HAINING)
    ctx.log.append(f"matching: supply index of {n} volunteers")
