"""Every model whose personal data can be revealed declares who may see it and who may reveal
it, and its sealed columns are covered by key rotation."""

from __future__ import annotations

import rules

from wushe.core import crypto
from wushe.privacy.registry import _models, reveal_permission


def test_every_revealable_model_declares_view_and_reveal_permissions() -> None:
    assert _models, "no register has registered a revealable model"
    missing = []
    for label, model in _models.items():
        view = f"{model._meta.app_label}.view_{model._meta.model_name}"
        for perm in (view, reveal_permission(model)):
            if not rules.perm_exists(perm):
                missing.append(f"{label}: {perm}")
    assert not missing, "permissions missing: " + ", ".join(missing)


def test_every_revealable_model_is_covered_by_key_rotation() -> None:
    rotated = {entry.model_label.lower() for entry in crypto.encrypted_fields()}
    assert set(_models) <= rotated, set(_models) - rotated
