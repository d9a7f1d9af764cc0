from __future__ import annotations

from datetime import date

import pytest

from wushe.core.errors import Conflict, NotFound, ValidationFailed
from wushe.needs import services
from wushe.needs.models import Need, Source, Status
from wushe.residents.models import Resident, ResidentTag
from wushe.testing import DONGSHAN, NANGUANXIANG

pytestmark = pytest.mark.django_db


def _resident(tags: list[str]) -> Resident:
    resident = Resident(name="张阿姨", birth_date=date(1946, 3, 2))
    resident.place(NANGUANXIANG)
    resident.save()
    for tag in tags:
        row = ResidentTag(resident=resident, tag=tag, start_date=date(2023, 1, 1))
        row.place(NANGUANXIANG)
        row.save()
    return resident


def test_visit_need_takes_the_residents_current_groups_and_is_raised_once(role_users):
    resident = _resident(["alone_elder", "disabled"])
    worker = role_users["social_worker"]
    need = services.need_create(
        region_code=NANGUANXIANG,
        category="elderly_care",
        title="独居老人需要助餐",
        source=Source.VISIT,
        source_ref="visit-17",
        resident_id=resident.pk,
        actor=worker,
        checked_by_caller=True,
    )
    assert need.people_count == 1
    assert need.vulnerable_count == 1
    assert sorted(need.groups.values_list("tag", flat=True)) == ["alone_elder", "disabled"]
    again = services.need_create(
        region_code=NANGUANXIANG,
        category="elderly_care",
        title="再次登记",
        source=Source.VISIT,
        source_ref="visit-17",
        resident_id=resident.pk,
        actor=worker,
        checked_by_caller=True,
    )
    assert again.pk == need.pk
    assert Need.objects.count() == 1


def test_survey_need_outside_scope_is_not_found(role_users):
    with pytest.raises(NotFound):
        services.need_create(
            region_code=NANGUANXIANG,
            category="elderly_care",
            title="助餐",
            source=Source.SURVEY,
            people_count=12,
            groups={"alone_elder": 5},
            actor=role_users["community_b"],
        )
    need = services.need_create(
        region_code=DONGSHAN,
        category="elderly_care",
        title="助餐",
        source=Source.SURVEY,
        people_count=12,
        groups={"alone_elder": 5, "disabled": 2},
        actor=role_users["community_b"],
    )
    assert need.vulnerable_count == 5


def test_group_larger_than_people_is_refused(role_users):
    with pytest.raises(ValidationFailed) as info:
        services.need_create(
            region_code=NANGUANXIANG,
            category="elderly_care",
            title="助餐",
            source=Source.SURVEY,
            people_count=2,
            groups={"alone_elder": 5},
            actor=role_users["community_a"],
        )
    assert info.value.code == "needs.need.group.too_many"


def test_transitions_repeat_is_noop_and_forbidden_is_conflict(role_users):
    worker = role_users["community_a"]
    need = services.need_create(
        region_code=NANGUANXIANG,
        category="health",
        title="上门体检",
        source=Source.SURVEY,
        people_count=3,
        actor=worker,
    )
    services.need_propose(need_id=need.pk, actor=worker)
    again = services.need_propose(need_id=need.pk, actor=worker)
    assert again.status == Status.PROPOSED
    with pytest.raises(Conflict):
        services.need_dismiss(need_id=need.pk, actor=worker)
    with pytest.raises(NotFound):
        services.need_address(need_id=need.pk, actor=role_users["community_b"])
