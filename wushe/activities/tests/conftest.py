"""Fixtures of the activities tests: a coin scheme for Haining, a volunteer with a login in
南关厢 and an activity there."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from wushe.activities import services
from wushe.activities.models import ServiceRecord
from wushe.testing import HAINING, NANGUANXIANG
from wushe.timebank import services as tb
from wushe.timebank.models import SchemeKind
from wushe.volunteers.tests.helpers import register

START = timezone.make_aware(datetime(2026, 11, 2, 9, 0))


@pytest.fixture
def setup(role_users: dict[str, Any]) -> dict[str, Any]:
    admin = role_users["admin"]
    scheme = tb.scheme_create(
        region_code=HAINING, code="hn-coin", name="海宁时间币", kind=SchemeKind.COIN,
        actor=admin, daily_earn_cap=None,
    )  # fmt: skip
    volunteer = register(actor=admin, user=role_users["volunteer"])
    activity = services.activity_create(
        region_code=NANGUANXIANG,
        title="敬老院助餐",
        starts_at=START,
        ends_at=START + timedelta(hours=4),
        actor=role_users["community_a"],
    )
    return {**role_users, "scheme": scheme, "vol": volunteer, "activity": activity}


def submit(s: dict[str, Any], minutes: int = 95, travel: int = 20) -> ServiceRecord:
    return services.record_submit(
        activity=s["activity"],
        volunteer=s["vol"],
        signed_in_at=START,
        signed_out_at=START + timedelta(minutes=minutes, seconds=40),
        travel_minutes=travel,
        actor=s["vol"].user,
    )
