"""Money is integer fen: never float, always > 0 for a donation, shown as ¥1,234.50."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from wushe.charity import services
from wushe.charity.models import Donation
from wushe.charity.money import format_fen, parse_yuan
from wushe.core.errors import ValidationFailed
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (123450, "¥1,234.50"),
        (12345678901, "¥123,456,789.01"),
        (-123450, "-¥1,234.50"),
    ],
)
def test_format_fen(fen, text):
    assert format_fen(fen) == text


@pytest.mark.parametrize(
    ("raw", "fen"),
    [
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("¥88", 8800),
        ("１２３４．５６", 123456),
        ("0.01", 1),
        ("100元", 10000),
    ],
)
def test_parse_yuan_goes_through_decimal(raw, fen):
    assert parse_yuan(raw) == fen


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1.005", "money.precision"),
        ("abc", "money.format"),
        ("", "money.format"),
        ("nan", "money.format"),
    ],
)
def test_parse_yuan_refuses_what_is_not_a_fen_amount(raw, code):
    with pytest.raises(ValidationFailed) as info:
        parse_yuan(raw)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (100.5, "donation.amount_integer"),
        (100.0, "donation.amount_integer"),
        ("100", "donation.amount_integer"),
        (True, "donation.amount_integer"),
        (0, "donation.amount_positive"),
        (-500, "donation.amount_positive"),
    ],
)
def test_service_refuses_float_and_non_positive_amounts(charity, amount, code):
    with pytest.raises(ValidationFailed) as info:
        services.donation_record(
            fund=charity["micro"],
            donor=charity["person"],
            kind="money",
            amount_fen=amount,
            received_on=date(2025, 3, 1),
            actor=charity["actor"],
        )
    assert info.value.code == code
    assert info.value.status == 422
    assert not Donation.objects.exists()


@pytest.mark.parametrize("amount", [100.5, 100.0, "100", 0, -1])
def test_api_refuses_float_string_and_non_positive_amounts(charity, role_users, amount):
    client = bearer_client(role_users["charity_staff"])
    response = client.post(
        "/api/v1/charity/donations",
        {
            "fund_id": charity["micro"].pk,
            "donor_id": charity["person"].pk,
            "kind": "money",
            "amount_fen": amount,
            "received_on": "2025-03-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] in {"validation_failed", "donation.amount_positive"}
    assert "amount_fen" in body["fields"]
    assert not Donation.objects.exists()


def test_api_gives_fen_and_yuan_for_display(charity, role_users):
    client = bearer_client(role_users["charity_staff"])
    response = client.post(
        "/api/v1/charity/donations",
        {
            "fund_id": charity["micro"].pk,
            "donor_id": charity["enterprise"].pk,
            "kind": "money",
            "amount_fen": 12345050,
            "received_on": "2025-03-01",
            "receipt_no": "HN2025-0001",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount_fen"] == 12345050
    assert body["amount_display"] == "¥123,450.50"
    detail = client.get(f"/api/v1/charity/funds/{charity['micro'].pk}").json()
    assert detail["received_fen"] == 12345050
    assert detail["received_display"] == "¥123,450.50"


def test_database_refuses_a_money_donation_without_a_positive_amount(charity):
    donation = Donation(
        fund=charity["micro"],
        donor=charity["person"],
        kind="money",
        amount_fen=0,
        received_on=date(2025, 3, 1),
    )
    donation.place(charity["micro"].region_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        donation.save()


def test_database_refuses_goods_with_a_money_amount(charity):
    donation = Donation(
        store=charity["store_a"],
        donor=charity["person"],
        kind="goods",
        goods_description="大米",
        quantity=10,
        unit="袋",
        amount_fen=100,
        received_on=date(2025, 3, 1),
    )
    donation.place(charity["store_a"].region_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        donation.save()
