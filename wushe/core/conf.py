"""Typed access to the platform's own settings (`settings.WUSHE`), read at call time so tests
can override them."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def setting(name: str) -> Any:
    return settings.WUSHE[name]
