"""The residents demo step: every Haining community, plausible people, deterministic and
idempotent."""

from __future__ import annotations

import random

import pytest

from wushe.accounts.roles import Role
from wushe.core.identifiers import age_on, parse_id_number
from wushe.core.personal import unseal
from wushe.demo.services import STEPS, DemoContext
from wushe.regions.models import Region
from wushe.residents.demo import REFERENCE_DAY, demo_residents
from wushe.residents.models import Household, Resident, ResidentTag
from wushe.testing import NANGUANXIANG, make_user

pytestmark = pytest.mark.django_db


def _ctx(seed: int = 1, scale: float = 0.2) -> DemoContext:
    return DemoContext(seed=seed, scale=scale, rng=random.Random(seed), password="x")


def _snapshot():
    return (
        sorted(Resident.objects.values_list("region_id", "name", "id_number_hash", "birth_date")),
        sorted(Household.objects.values_list("region_id", "number", "head__id_number_hash")),
        sorted(ResidentTag.objects.values_list("resident__id_number_hash", "tag", "start_date")),
    )


def test_step_is_registered_after_the_logins():
    names = [name for name, _step in STEPS]
    assert names.index("residents") > names.index("logins")


def test_demo_covers_every_community_with_valid_people_and_links_demo_resident(regions):
    ctx = _ctx(scale=0.2)
    ctx.users["demo_resident"] = make_user("demo_resident", Role.RESIDENT, NANGUANXIANG)
    demo_residents(ctx)
    communities = Region.objects.filter(
        code__gte="330481000000", code__lte="330481999999", level=5
    ).count()
    assert communities == 236
    assert Resident.objects.values("region").distinct().count() == 236
    total = Resident.objects.count()
    assert total >= 236 * 6
    elders = sum(
        1
        for b in Resident.objects.values_list("birth_date", flat=True)
        if age_on(b, REFERENCE_DAY) >= 60
    )
    assert 0.08 < elders / total < 0.30
    tags = set(ResidentTag.objects.values_list("tag", flat=True))
    assert {"alone_elder", "empty_nest_elder", "dibao", "disabled"} <= tags
    disabled = ResidentTag.objects.filter(tag="disabled")
    assert not disabled.filter(disability_category="").exists()
    for resident in Resident.objects.order_by("id")[:50]:
        parsed = parse_id_number(unseal(resident, "id_number"))
        assert parsed.address_code == "330481" and parsed.birth_date == resident.birth_date
    linked = Resident.objects.get(user=ctx.users["demo_resident"])
    assert linked.region_id == NANGUANXIANG and linked.name == "张秀英"
    assert ctx.data["residents"]["demo_resident"] == linked.pk
    assert Household.objects.filter(head__isnull=False).count() == Household.objects.count()


def test_second_run_creates_nothing_and_a_seed_gives_the_same_people(regions):
    demo_residents(_ctx(seed=5, scale=0.1))
    first = _snapshot()
    demo_residents(_ctx(seed=5, scale=0.1))
    assert _snapshot() == first
    ResidentTag.objects.all().delete()
    Household.objects.update(head=None)
    Resident.objects.all().delete()
    Household.objects.all().delete()
    demo_residents(_ctx(seed=5, scale=0.1))
    assert _snapshot() == first
    demo_residents(_ctx(seed=6, scale=0.1))
    assert len(_snapshot()[0]) > len(first[0])  # another seed: other people, added beside


def test_demo_resident_login_made_later_is_linked_on_the_next_run(regions):
    demo_residents(_ctx(scale=0.05))
    assert not Resident.objects.filter(user__isnull=False).exists()
    ctx = _ctx(scale=0.05)
    ctx.users["demo_resident"] = make_user("demo_resident", Role.RESIDENT, NANGUANXIANG)
    demo_residents(ctx)
    assert Resident.objects.get(user=ctx.users["demo_resident"]).name == "张秀英"
