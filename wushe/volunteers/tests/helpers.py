"""Test helpers: valid generated ID numbers and registered volunteers."""

from __future__ import annotations

from typing import Any

from wushe.core.identifiers import id_number_check_char
from wushe.testing import NANGUANXIANG
from wushe.volunteers.models import Volunteer
from wushe.volunteers.services import volunteer_register


def id_number(birth: str = "19900307", sequence: int = 2, county: str = "330481") -> str:
    body = f"{county}{birth}{sequence:03d}"
    return body + id_number_check_char(body)


def register(
    *,
    actor: Any = None,
    name: str = "李志愿",
    region: str = NANGUANXIANG,
    birth: str = "19900307",
    sequence: int = 2,
    **extra: Any,
) -> Volunteer:
    extra.setdefault("consent_given", True)
    extra.setdefault("phone", "13812345678")
    return volunteer_register(
        name=name,
        id_number=extra.pop("id_number", None) or id_number(birth, sequence),
        region_code=region,
        actor=actor,
        **extra,
    )
