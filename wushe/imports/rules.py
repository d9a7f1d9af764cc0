"""Who may import and export: each register names its own django-rules permissions on its
adapter (`import_permission`, `export_permission`); this app only adds the menu permission."""

from __future__ import annotations

from typing import Any

import rules

from .adapters import all_adapters


@rules.predicate
def may_import_some_kind(user: Any) -> bool:
    return any(user.has_perm(adapter.import_permission) for adapter in all_adapters())


# The "表格导入" menu entry and page: the user may import at least one registered kind.
rules.add_perm("imports.use_imports", may_import_some_kind)
