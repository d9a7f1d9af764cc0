"""The charity demo step: plausible Haining data, deterministic for a seed, idempotent."""

from __future__ import annotations

import random

import pytest
from django.db.models import Sum

from wushe.charity.demo import charity_demo
from wushe.charity.models import CharityFund, CharityStore, Donation, Donor, StoreItem
from wushe.demo.services import STEPS, DemoContext

pytestmark = pytest.mark.django_db


def run(seed: int = 1) -> DemoContext:
    ctx = DemoContext(seed=seed, scale=1.0, rng=random.Random(seed), password="demo-password-1")
    charity_demo(ctx)
    return ctx


def snapshot() -> tuple:
    return (
        sorted(CharityFund.objects.values_list("name", "kind", "region_id")),
        sorted(Donor.objects.values_list("name", "kind", "anonymous", "credit_code")),
        sorted(
            Donation.objects.values_list(
                "receipt_no", "donor__name", "amount_fen", "estimated_value_fen", "received_on"
            )
        ),
        sorted(CharityStore.objects.values_list("name", "region_id")),
        sorted(StoreItem.objects.values_list("store__name", "name", "points_price", "stock")),
    )


def test_step_is_registered_after_logins():
    names = [name for name, _step in STEPS]
    assert "charity" in names
    assert names.index("charity") > names.index("logins")


def test_demo_is_plausible(regions):
    run()
    foundation = CharityFund.objects.get(name="海宁市社区发展基金会")
    assert foundation.region_id == "330481000000"
    assert CharityFund.objects.filter(kind="micro", region__level=4).count() >= 3
    assert Donor.objects.filter(kind="enterprise", name__endswith="有限公司").count() >= 10
    assert Donor.objects.filter(kind="person").count() >= 10
    assert Donor.objects.filter(anonymous=True).exists()
    money = Donation.objects.filter(kind="money").aggregate(total=Sum("amount_fen"))["total"]
    assert 10_000_000 <= money <= 100_000_000  # ¥100,000 – ¥1,000,000
    assert Donation.objects.filter(kind="goods").exists()
    assert Donation.objects.filter(reverses__isnull=False).count() == 1
    assert CharityStore.objects.filter(region__level=4).count() == 12
    assert CharityStore.objects.filter(region_id="330481001007").count() == 1  # 南关厢社区
    assert StoreItem.objects.filter(name="大米 5kg").exists()
    assert all(item.stock >= 0 and item.points_price > 0 for item in StoreItem.objects.all())
    assert not Donor.objects.filter(kind="person", phone_masked="").exists()


def test_demo_is_idempotent_and_deterministic(regions):
    run(seed=5)
    first = snapshot()
    run(seed=5)
    assert snapshot() == first
