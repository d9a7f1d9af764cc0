"""Fixtures of the time-bank tests: two coin schemes and a points scheme in Haining, a family
(an elderly head and the child who volunteers) in 南关厢 and a stranger in 东山."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from wushe.core.identifiers import id_number_check_char
from wushe.residents.models import Resident
from wushe.residents.services import resident_create
from wushe.testing import DONGSHAN, HAINING, NANGUANXIANG, XIASHI
from wushe.timebank import services
from wushe.timebank.models import Account, Scheme, SchemeKind


def make_id(birth: str, sequence: int) -> str:
    body = f"330481{birth}{sequence:03d}"
    return body + id_number_check_char(body)


@dataclass
class World:
    admin: Any
    coin: Scheme
    other: Scheme
    points: Scheme
    parent: Account
    child: Account
    stranger: Account
    child_points: Account
    child_other: Account


def person(
    admin: Any, scheme: Scheme, name: str, birth: str, seq: int, **kw: Any
) -> tuple[Resident, Account]:
    resident = resident_create(
        region_code=kw.pop("region", NANGUANXIANG),
        name=name,
        id_number=make_id(birth, seq),
        actor=admin,
        **kw,
    )
    return resident, services.account_for_resident(scheme=scheme, resident=resident)


def build_world(role_users: dict[str, Any], **rules: Any) -> World:
    admin = role_users["admin"]
    coin = services.scheme_create(
        region_code=HAINING,
        code="hn-coin",
        name="海宁时间币",
        kind=SchemeKind.COIN,
        actor=admin,
        **rules,
    )
    other = services.scheme_create(
        region_code=XIASHI,
        code="xs-coin",
        name="硖石时间币",
        kind=SchemeKind.COIN,
        actor=admin,
        **rules,
    )
    points = services.scheme_create(
        region_code=HAINING,
        code="hn-points",
        name="海宁积分",
        kind=SchemeKind.POINTS,
        actor=admin,
        redeem_min_age=0,
        daily_earn_cap=None,
        earn_per_hour=10,
    )
    services.rate_set(source=coin, target=other, numerator=1, denominator=1, actor=admin)
    services.rate_set(source=coin, target=points, numerator=1, denominator=6, actor=admin)
    _parent_r, parent = person(
        admin, coin, "王老伯", "19480312", 11, household_number="0101", relation_to_head="head"
    )
    child_r, child = person(
        admin,
        coin,
        "王小明",
        "19850101",
        13,
        household_number="0101",
        relation_to_head="child",
        user=role_users["volunteer"],
    )
    _s, stranger = person(admin, coin, "李建国", "19500101", 15, region=DONGSHAN)
    child_points = services.account_for_resident(scheme=points, resident=child_r)
    child_other = services.account_for_resident(scheme=other, resident=child_r)
    return World(admin, coin, other, points, parent, child, stranger, child_points, child_other)


@pytest.fixture
def world(role_users: dict[str, Any]) -> World:
    return build_world(role_users)
