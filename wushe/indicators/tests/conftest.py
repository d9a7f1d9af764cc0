"""A small world whose indicator values are computed by hand in test_values.py.

Records are created directly (not through the services): these tests check the arithmetic of
the indicator definitions and the roll-up, not the registers' own rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wushe.activities.models import Activity, RecordStatus, ServiceRecord
from wushe.charity.models import CharityFund, Donation, Donor
from wushe.organizations.models import LegalStatus, Organization, OrgKind
from wushe.partymembers.models import PartyMemberCheckin
from wushe.regions.models import Region
from wushe.requests.models import Request
from wushe.requests.services import request_submit
from wushe.residents.models import Household, Resident, ResidentStatus
from wushe.socialworkers.models import EmploymentStatus, SocialWorker
from wushe.stations.models import ServiceStation, StationKind
from wushe.testing import DONGSHAN, HAINING, HAIZHOU, NANGUANXIANG, XIASHI
from wushe.volunteers.models import Volunteer, VolunteerStatus

SH = ZoneInfo("Asia/Shanghai")
C1, C2 = NANGUANXIANG, DONGSHAN  # two urban communities of 硖石街道 (T1)
T1, T2 = XIASHI, HAIZHOU


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SH)


def placed(obj: Any, code: str) -> Any:
    obj.place(code)
    obj.save()
    return obj


@dataclass
class World:
    users: dict[str, Any]
    rural: str  # a rural community of Haining, holding a community org


@pytest.fixture
def world(role_users: dict[str, Any]) -> World:
    admin = role_users["admin"]
    rural = Region.objects.filter(code__startswith="330481", kind=Region.Kind.RURAL).first()
    assert rural is not None

    # Residents: C1 three active (two aged 60+ at the end of 2026) and one moved out;
    # C2 one active aged 66.
    for i, (code, born, status) in enumerate(
        [
            (C1, dt.date(1950, 5, 1), ResidentStatus.ACTIVE),
            (C1, dt.date(1966, 12, 31), ResidentStatus.ACTIVE),  # 60 on 2026-12-31
            (C1, dt.date(1990, 1, 1), ResidentStatus.ACTIVE),
            (C1, dt.date(1940, 1, 1), ResidentStatus.MOVED_OUT),
            (C2, dt.date(1960, 1, 1), ResidentStatus.ACTIVE),
        ]
    ):
        placed(Resident(name=f"居民{i}", birth_date=born, status=status), code)
    for i, code in enumerate([C1, C1, C2]):
        placed(Household(number=f"H{i}"), code)

    # Organisations: C1 two community orgs (one hub) + one deregistered; C2 one 5A community
    # org; the rural community one community org; one registered org at the county.
    Organization.objects.create(name="社区A", region_id=C1, org_kind=OrgKind.COMMUNITY, is_hub=True)
    Organization.objects.create(name="社区B", region_id=C1, org_kind=OrgKind.COMMUNITY)
    Organization.objects.create(
        name="社区C",
        region_id=C1,
        org_kind=OrgKind.COMMUNITY,
        is_hub=True,
        legal_status=LegalStatus.DEREGISTERED,
    )
    Organization.objects.create(
        name="社区D",
        region_id=C2,
        org_kind=OrgKind.COMMUNITY,
        grade="5A",
        grade_awarded_on=dt.date(2025, 1, 1),
        grade_expires_on=dt.date(2029, 12, 31),
    )
    Organization.objects.create(name="村组织", region_id=rural.code, org_kind=OrgKind.COMMUNITY)
    Organization.objects.create(
        name="海宁登记组织",
        region_id=HAINING,
        org_kind=OrgKind.SERVICE_AGENCY,
        legal_status=LegalStatus.REGISTERED,
        credit_code="52330481MJ0000000X",
    )

    # Stations: T1 social-work station (100 m², township level: not a community facility);
    # C1 volunteer post 50 m²; C2 party-mass centre 30 m² and a closed volunteer post.
    sw_station = placed(
        ServiceStation(kind=StationKind.SOCIAL_WORK, name="硖石社工站", service_area_m2=100), T1
    )
    placed(ServiceStation(kind=StationKind.VOLUNTEER, name="南关厢站点", service_area_m2=50), C1)
    placed(ServiceStation(kind=StationKind.PARTY_SERVICE, name="东山党群", service_area_m2=30), C2)
    placed(
        ServiceStation(
            kind=StationKind.VOLUNTEER, name="东山旧站点", service_area_m2=10, active=False
        ),
        C2,
    )

    # Social workers: three active at T1's station (two resident there), one active community
    # worker in C1, one who left.
    def worker(n: int, code: str, **extra: Any) -> SocialWorker:
        return placed(
            SocialWorker(
                name=f"社工{n}",
                certificate_level="assistant",
                certificate_number=f"ZS{n:04d}",
                certificate_date=dt.date(2020, 1, 1),
                registration_due_on=dt.date(2030, 1, 1),
                **extra,
            ),
            code,
        )

    worker(1, T1, station=sw_station, resident_at_station=True)
    worker(2, T1, station=sw_station, resident_at_station=True)
    worker(3, T1, station=sw_station)
    worker(4, C1, is_community_worker=True)
    worker(5, C1, status=EmploymentStatus.LEFT, is_community_worker=True)

    # Requests in C1 (submitted by the resident login there).
    def request(**timestamps: Any) -> None:
        made, _ = request_submit(
            actor=role_users["community_a"],
            region_code=C1,
            category="daily_care",
            description="需要帮助",
            channel="phone",
        )
        values: dict[str, Any] = {
            "accepted_at": None,
            "resolved_at": None,
            "rated_at": None,
            "rating": None,
            **timestamps,
        }
        Request.objects.filter(pk=made.pk).update(**values)

    # Accepted in Oct 2026: on time, on time, late; one accepted in Sep 2026 (other period).
    request(accepted_at=at(2026, 10, 1), accept_due_at=at(2026, 10, 2))
    request(accepted_at=at(2026, 10, 31, 23), accept_due_at=at(2026, 11, 1))
    request(accepted_at=at(2026, 10, 5), accept_due_at=at(2026, 10, 4))
    request(accepted_at=at(2026, 9, 5), accept_due_at=at(2026, 9, 6))
    # Resolved in Oct 2026: two on time, one late. Rated in Oct: 5, 4, 2 stars.
    request(resolved_at=at(2026, 10, 3), resolved_on_time=True, rating=5, rated_at=at(2026, 10, 4))
    request(resolved_at=at(2026, 10, 3), resolved_on_time=True, rating=4, rated_at=at(2026, 10, 4))
    request(resolved_at=at(2026, 10, 3), resolved_on_time=False, rating=2, rated_at=at(2026, 10, 4))
    # 1 Nov 00:30 Shanghai is still 31 Oct in UTC: it belongs to November.
    request(resolved_at=at(2026, 11, 1, 0), resolved_on_time=False)

    # Volunteers: C1 two active, one withdrawn; C2 one active.
    volunteers = [
        placed(
            Volunteer(
                name=f"志愿者{i}", number=f"V{i}", registered_on=dt.date(2025, 1, 1), status=s
            ),
            c,
        )
        for i, (c, s) in enumerate(
            [
                (C1, VolunteerStatus.ACTIVE),
                (C1, VolunteerStatus.ACTIVE),
                (C1, VolunteerStatus.WITHDRAWN),
                (C2, VolunteerStatus.ACTIVE),
            ]
        )
    ]
    activity = placed(
        Activity(title="助老", organiser=admin, starts_at=at(2026, 10, 1), ends_at=at(2026, 10, 2)),
        C1,
    )

    def record(
        volunteer: Volunteer, code: str, when: dt.datetime, minutes: int, status: str
    ) -> None:
        placed(
            ServiceRecord(
                activity=activity,
                volunteer=volunteer,
                signed_in_at=when,
                signed_out_at=when + dt.timedelta(minutes=minutes),
                minutes=minutes,
                status=status,
            ),
            code,
        )

    # Verified in Oct 2026: C1 120 + 60 min, C2 90 min; a submitted one and a September one.
    record(volunteers[0], C1, at(2026, 10, 2), 120, RecordStatus.VERIFIED)
    record(volunteers[1], C1, at(2026, 10, 9), 60, RecordStatus.VERIFIED)
    record(volunteers[3], C2, at(2026, 10, 9), 90, RecordStatus.VERIFIED)
    record(volunteers[0], C1, at(2026, 10, 10), 300, RecordStatus.SUBMITTED)
    record(volunteers[0], C1, at(2026, 9, 10), 30, RecordStatus.VERIFIED)

    # Donations to a C1 fund: 500.00 in Oct, 100.00 reversed in Oct, 80.00 in Nov.
    fund = placed(CharityFund(kind="community", name="南关厢社区基金"), C1)
    donor = placed(Donor(kind="person", name="王先生"), C1)
    first = placed(
        Donation(
            fund=fund, donor=donor, kind="money", amount_fen=50000, received_on=dt.date(2026, 10, 8)
        ),
        C1,
    )
    wrong = placed(
        Donation(
            fund=fund, donor=donor, kind="money", amount_fen=10000, received_on=dt.date(2026, 10, 9)
        ),
        C1,
    )
    placed(
        Donation(
            fund=fund,
            donor=donor,
            kind="money",
            amount_fen=-10000,
            received_on=dt.date(2026, 10, 9),
            reverses=wrong,
            note="录入错误",
        ),
        C1,
    )
    placed(
        Donation(
            fund=fund, donor=donor, kind="money", amount_fen=8000, received_on=dt.date(2026, 11, 1)
        ),
        C1,
    )
    assert first.pk

    # Party members: two active check-ins in C1, one ended in C2.
    for i, (code, status) in enumerate([(C1, "active"), (C1, "active"), (C2, "ended")]):
        placed(
            PartyMemberCheckin(
                name=f"党员{i}",
                work_unit="市局",
                party_organization="机关支部",
                reported_on=dt.date(2026, 3, 1),
                status=status,
            ),
            code,
        )
    return World(users=role_users, rural=rural.code)


def now() -> dt.datetime:
    return timezone.now()
