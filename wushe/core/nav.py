"""Navigation and home-page actions that apps register for themselves (in AppConfig.ready),
so later modules extend the menu without touching the core. Each entry names the permission
(a django-rules name) that decides who sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any
    url_name: str
    permission: str
    description: Any = ""
    order: int = 100


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _items[item.key] = item


def items_for(user: Any) -> list[NavItem]:
    return sorted(
        (item for item in _items.values() if user.has_perm(item.permission)),
        key=lambda item: (item.order, item.key),
    )
