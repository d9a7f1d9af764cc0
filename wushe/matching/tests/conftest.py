"""Matching tests reuse the request loop's small world (wushe/requests/tests/conftest.py) and
add volunteers with locations and skills around 南关厢."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from wushe.matching.services import supply_rebuild
from wushe.requests.tests.conftest import private_storage, world  # noqa: F401
from wushe.taxonomy.models import Term, Vocabulary
from wushe.testing import DONGSHAN, NANGUANXIANG
from wushe.volunteers.models import Volunteer, VolunteerSkill

CENTRE = (Decimal("30.512000"), Decimal("120.683000"))
KM = Decimal("0.009")  # ~1 km of latitude


def add_volunteer(
    name: str, *, north_km: float, skills: tuple[str, ...], region: str = NANGUANXIANG, **kw: Any
) -> Volunteer:
    v = Volunteer(
        name=name,
        number=f"330481-2024-{Volunteer.objects.count() + 100:04d}",
        registered_on=date(2024, 1, 1),
        latitude=(CENTRE[0] + KM * Decimal(str(north_km))).quantize(Decimal("0.000001")),
        longitude=CENTRE[1],
        coord_source="wgs84",
        availability=kw.pop("availability", (1 << 21) - 1),
        **kw,
    )
    v.place(region)
    v.save()
    for code in skills:
        term = Term.objects.get(vocabulary=Vocabulary.SKILL, code=code)
        VolunteerSkill.objects.create(volunteer=v, term=term, county_code="330481")
    return v


@pytest.fixture
def crowd(world):  # noqa: F811 - the imported fixture
    """Volunteers near and far; only some can help with 生活照料 (housekeeping …); the org
    staff's organisation offers elderly care."""
    world.organization.service_categories.add(
        Term.objects.get(vocabulary=Vocabulary.SERVICE_CATEGORY, code="elderly_care")
    )
    people = {
        "near": add_volunteer("近邻家政", north_km=0.3, skills=("housekeeping",)),
        "middle": add_volunteer("隔壁理发", north_km=1.2, skills=("haircut", "photography"),
                                region=DONGSHAN),
        "far": add_volunteer("远方家政", north_km=8.0, skills=("housekeeping",)),
        "lawyer": add_volunteer("律师志愿者", north_km=0.1, skills=("legal",)),
        "weekend": add_volunteer("周末家政", north_km=0.2, skills=("housekeeping",),
                                 availability=0),
        "suspended": add_volunteer("暂停家政", north_km=0.2, skills=("housekeeping",)),
    }  # fmt: skip
    supply_rebuild(county_code="330481")
    # Suspended after the index was built: the live check must still keep them out.
    Volunteer.objects.filter(pk=people["suspended"].pk).update(status="suspended")
    return people


def signed_in_client(user: Any) -> Any:
    from wushe.requests.tests.conftest import signed_in

    return signed_in(user)
