"""The party members demo step: deterministic for a seed, idempotent, 3–10 per community."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count

from wushe.demo.services import DemoContext
from wushe.partymembers.demo import demo_party_members
from wushe.partymembers.models import CheckinCategory, CheckinSkill, PartyMemberCheckin

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        sorted(
            PartyMemberCheckin.objects.values_list(
                "id_number_hash", "name", "region_id", "status", "reported_on"
            )
        ),
        CheckinCategory.objects.count(),
        CheckinSkill.objects.count(),
    )


def test_party_members_step_is_idempotent(regions):
    ctx = DemoContext(seed=4, scale=1.0, rng=random.Random(4), password="x")
    demo_party_members(ctx)
    first = _snapshot()
    demo_party_members(DemoContext(seed=4, scale=1.0, rng=random.Random(99), password="x"))
    assert _snapshot() == first
    counts = PartyMemberCheckin.objects.values("region_id").annotate(n=Count("id"))
    assert len(counts) == 236 and {row["n"] for row in counts} <= set(range(3, 11))
    assert CheckinCategory.objects.count() >= len(first[0])  # one category at least each
    assert not PartyMemberCheckin.objects.filter(status="ended", ended_on__isnull=True).exists()
