"""Fixtures of the residents tests: valid ID numbers, residents in 南关厢 and 东山."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from wushe.core.identifiers import id_number_check_char
from wushe.residents import services
from wushe.residents.models import Resident
from wushe.testing import DONGSHAN, NANGUANXIANG


def make_id(birth: str = "19560312", sequence: int = 2, address: str = "330481") -> str:
    """A valid 18-character ID number (sequence odd = male, even = female)."""
    body = f"{address}{birth}{sequence:03d}"
    return body + id_number_check_char(body)


def make_resident(actor: Any, region: str = NANGUANXIANG, **kwargs: Any) -> Resident:
    kwargs.setdefault("name", "张秀英")
    kwargs.setdefault("id_number", make_id())
    return services.resident_create(region_code=region, actor=actor, **kwargs)


@pytest.fixture
def admin(role_users: dict[str, Any]) -> Any:
    return role_users["admin"]


@pytest.fixture
def people(role_users: dict[str, Any]) -> dict[str, Resident]:
    """One resident in 南关厢 (linked to the resident login, tagged 低保 + 独居老人) and one in
    东山."""
    admin = role_users["admin"]
    nan = make_resident(
        admin,
        name="张秀英",
        id_number=make_id("19560312", 2),
        phone="13912345678",
        user=role_users["resident"],
    )
    services.resident_tag_add(
        resident=nan, tag="dibao", start_date=date(2024, 1, 5), source="civil_affairs", actor=admin
    )
    services.resident_tag_add(
        resident=nan, tag="alone_elder", start_date=date(2024, 1, 5), actor=admin
    )
    dong = make_resident(
        admin,
        region=DONGSHAN,
        name="李建国",
        id_number=make_id("19800101", 11),
        phone="13712345678",
    )
    return {"nanguanxiang": nan, "dongshan": dong}
