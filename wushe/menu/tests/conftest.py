"""A small world for menu tests: the role users of wushe.testing, the resident's own record
(an 独居老人 in 南关厢), a second resident without tags, and one offering of the org staff's
organisation on the township's menu."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.test import Client

from wushe.menu import services
from wushe.menu.models import ServiceOffering
from wushe.residents.models import Resident, ResidentTag
from wushe.testing import NANGUANXIANG, PASSWORD, XIASHI, make_user

TODAY = date(2026, 3, 2)  # a Monday


@dataclass
class World:
    users: dict[str, Any]
    organization: Any
    resident: Resident
    other: Resident
    offering: ServiceOffering

    def offer(self, **extra: Any) -> ServiceOffering:
        values: dict[str, Any] = {"category": "elderly_care", "title": "上门助浴", "capacity": 3}
        region = extra.pop("region", XIASHI)
        values.update(extra)
        return services.offering_create(
            actor=self.users["org_staff"],
            region_code=region,
            provider_kind="organization",
            provider_id=self.organization.pk,
            spec=services.OfferingSpec(**values),
        )


def resident_record(name: str, user: Any, tags: list[str], region: str = NANGUANXIANG) -> Resident:
    resident = Resident(name=name, birth_date=date(1946, 3, 2), user=user)
    resident.place(region)
    resident.save()
    for tag in tags:
        row = ResidentTag(resident=resident, tag=tag, start_date=date(2023, 1, 1))
        row.place(region)
        row.save()
    return resident


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to("2026-03-02 09:00:00+08:00", tick=False)
    return TODAY


@pytest.fixture
def world(role_users, frozen) -> World:
    users = dict(role_users)
    users["other_resident"] = make_user("u_other_resident", "resident", NANGUANXIANG)
    users["other_org"] = make_user("u_other_org", "org_staff", XIASHI)
    organization = users["org_staff"].grants.get().organization
    resident = resident_record("张阿姨", users["resident"], ["alone_elder"])
    other = resident_record("李大伯", users["other_resident"], [])
    w = World(users, organization, resident, other, None)  # type: ignore[arg-type]
    w.offering = w.offer()
    return w


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
