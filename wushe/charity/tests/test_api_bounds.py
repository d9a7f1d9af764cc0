"""Integers of the charity API bodies are bounded (issue 9): a value with a few zeros too many is
a 422 with the Chinese range message, never a 500 from the database, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from wushe.charity.models import Donation, StoreItem
from wushe.charity.money import DONATION_FEN_MAX
from wushe.core.bounds import POINTS_MAX, QUANTITY_MAX
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db

HUGE = 10**12


def _send(user: Any, path: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(bearer_client(user), method)(path, body, content_type="application/json")


def _out_of_range(response: Any, field: str, limit: int) -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["fields"][field] == [f"不能大于 {limit}。"]


@pytest.mark.parametrize(
    ("kind", "field", "limit"),
    [
        ("money", "amount_fen", DONATION_FEN_MAX),
        ("goods", "quantity", QUANTITY_MAX),
        ("goods", "estimated_value_fen", DONATION_FEN_MAX),
    ],
)
def test_a_huge_donation_is_refused(charity, role_users, kind, field, limit):
    staff = role_users["charity_staff"]
    body = {
        "fund_id": charity["micro"].pk,
        "donor_id": charity["person"].pk,
        "kind": kind,
        "received_on": "2026-01-05",
        **(
            {"amount_fen": 100_00}
            if kind == "money"
            else {"goods_description": "大米", "quantity": 10, "unit": "袋"}
        ),
    }
    count = Donation.objects.count()
    _out_of_range(_send(staff, "/api/v1/charity/donations", {**body, field: HUGE}), field, limit)
    assert Donation.objects.count() == count
    # At the bound the donation is recorded.
    response = _send(staff, "/api/v1/charity/donations", {**body, field: limit})
    assert response.status_code == 201, response.content
    assert response.json()[field] == limit


def test_a_page_amount_beyond_the_bound_is_refused(charity, role_users):
    """The page types yuan: ¥10,000,000,000 is one zero too many for a single donation."""
    from django.test import Client

    client = Client()
    client.force_login(role_users["charity_staff"])
    count = Donation.objects.count()
    response = client.post(
        f"/charity/funds/{charity['micro'].pk}/donations/",
        {
            "donor": charity["person"].pk,
            "kind": "money",
            "amount": "10000000000",
            "received_on": "2026-01-05",
        },
    )
    assert response.status_code == 422
    assert "金额过大，请核对。" in response.content.decode()
    assert Donation.objects.count() == count


@pytest.mark.parametrize(
    ("field", "limit"), [("points_price", POINTS_MAX), ("stock", QUANTITY_MAX)]
)
def test_a_huge_store_item_is_refused(charity, role_users, field, limit):
    worker = role_users["community_a"]
    path = f"/api/v1/charity/stores/{charity['store_a'].pk}/items"
    body = {"name": "食用油", "unit": "桶", "points_price": 50, "stock": 5}
    count = StoreItem.objects.count()
    _out_of_range(_send(worker, path, {**body, field: HUGE}), field, limit)
    assert StoreItem.objects.count() == count
    response = _send(worker, path, {**body, field: limit})
    assert response.status_code == 201, response.content
    assert response.json()[field] == limit


def test_item_price_and_restock_are_bounded(charity, role_users):
    worker, rice = role_users["community_a"], charity["rice"]
    response = _send(
        worker, f"/api/v1/charity/items/{rice.pk}", {"points_price": HUGE}, method="patch"
    )
    _out_of_range(response, "points_price", POINTS_MAX)
    response = _send(worker, f"/api/v1/charity/items/{rice.pk}/restock", {"quantity": HUGE})
    _out_of_range(response, "quantity", QUANTITY_MAX)
    rice.refresh_from_db()
    assert (rice.points_price, rice.stock) == (120, 10)
