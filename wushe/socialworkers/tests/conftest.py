from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from wushe.core.identifiers import id_number_check_char
from wushe.socialworkers.services import social_worker_create
from wushe.stations.models import StationKind
from wushe.stations.services import station_create
from wushe.testing import HAIZHOU, NANGUANXIANG, XIASHI


def id_number(serial: int, born: str = "19900307") -> str:
    body = f"330481{born}{serial:03d}"
    return body + id_number_check_char(body)


def years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - timedelta(days=days)


def make_worker(actor: Any, serial: int, **extra: Any):
    values: dict[str, Any] = {
        "name": f"社工{serial}",
        "id_number": id_number(serial),
        "phone": f"1380000{serial:04d}",
        "certificate_level": "assistant",
        "certificate_number": f"ZS2019{serial:04d}",
        "certificate_date": date(2019, 10, 26),
        "registered_on": date(2020, 3, 15),
        "region_code": XIASHI,
    }
    values.update(extra)
    return social_worker_create(actor=actor, **values)


@pytest.fixture
def stations(role_users):
    admin = role_users["admin"]
    return {
        "xiashi": station_create(
            actor=admin,
            kind=StationKind.SOCIAL_WORK,
            name="硖石街道社会工作服务站",
            region_code=XIASHI,
        ),
        "haizhou": station_create(
            actor=admin,
            kind=StationKind.SOCIAL_WORK,
            name="海洲街道社会工作服务站",
            region_code=HAIZHOU,
        ),
    }


@pytest.fixture
def workers(role_users, stations):
    """硖石 (township), 南关厢 (community) and 海洲 (another township)."""
    admin = role_users["admin"]
    return {
        "xiashi": make_worker(
            admin,
            1,
            name="王晓燕",
            station_id=stations["xiashi"].pk,
            resident_at_station=True,
        ),
        "ngx": make_worker(
            admin, 2, name="李丽娟", region_code=NANGUANXIANG, is_community_worker=True
        ),
        "haizhou": make_worker(
            admin, 3, name="张海涛", region_code=HAIZHOU, station_id=stations["haizhou"].pk
        ),
    }
