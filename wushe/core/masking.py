"""Masking of personal data for display, exports, logs and the audit log (domain.md §10)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keys whose values never reach the audit log or a log line in full.
SECRET_KEYS = frozenset({"password", "password1", "password2", "token", "secret", "key_hash"})
ID_KEYS = frozenset({"id_number", "id_card", "identity_number"})
PHONE_KEYS = frozenset({"phone", "mobile", "contact_phone", "telephone"})


def mask_id_number(value: str) -> str:
    """'330481199001011234' -> '3304**********1234' (first 4 and last 4 shown)."""
    value = value or ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """'13812345678' -> '138****5678'; '+8613812345678' is masked on its national part."""
    value = value or ""
    national = value[3:] if value.startswith("+86") else value
    if len(national) < 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def mask_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in SECRET_KEYS:
        return "******"
    if isinstance(value, str):
        if lowered in ID_KEYS:
            return mask_id_number(value)
        if lowered in PHONE_KEYS:
            return mask_phone(value)
    if isinstance(value, Mapping):
        return mask_mapping(value)
    if isinstance(value, list):
        return [mask_value(key, item) for item in value]
    return value


def mask_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): mask_value(str(k), v) for k, v in data.items()}
