"""A small world for visit tests: the role users of wushe.testing, three tagged residents in
南关厢 (one living alone, one incapacitated, one left-behind woman who is not enrolled by
default) and one living-alone elder in 东山."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.test import Client

from wushe.residents.models import Resident, ResidentTag
from wushe.testing import DONGSHAN, NANGUANXIANG, PASSWORD
from wushe.visits import services
from wushe.visits.models import Enrolment


@dataclass
class World:
    users: dict[str, Any]
    alone: Resident
    incapacitated: Resident
    woman: Resident
    dongshan: Resident

    def enrolment(self, resident: Resident) -> Enrolment:
        return Enrolment.objects.get(resident=resident, ended_on__isnull=True)


def make_resident(name: str, region: str, *tags: str, grade: str = "") -> Resident:
    resident = Resident(name=name, birth_date=date(1940, 5, 6))
    resident.place(region)
    resident.save()
    for tag in tags:
        row = ResidentTag(
            resident=resident,
            tag=tag,
            start_date=date(2024, 1, 1),
            disability_category="physical" if tag == "disabled" else "",
            disability_grade=grade if tag == "disabled" else "",
        )
        row.place(region)
        row.save()
    return resident


@pytest.fixture
def world(role_users) -> World:
    w = World(
        users=dict(role_users),
        alone=make_resident("钱奶奶", NANGUANXIANG, "alone_elder"),
        incapacitated=make_resident("孙爷爷", NANGUANXIANG, "incapacitated_elder", "dibao"),
        woman=make_resident("李阿姨", NANGUANXIANG, "left_behind_woman"),
        dongshan=make_resident("周奶奶", DONGSHAN, "alone_elder"),
    )
    return w


@pytest.fixture
def enrolled(world: World) -> World:
    """Everyone enrolled by the default rules on 2026-09-01."""
    services.enrolments_sync(today=date(2026, 9, 1))
    return world


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
