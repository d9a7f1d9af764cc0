"""Charity stores and their goods: stock only grows by an audited restock and never goes below
zero, in the services and in the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from wushe.audit.models import AuditEvent
from wushe.charity import services
from wushe.charity.models import StoreItem
from wushe.core.errors import ValidationFailed
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db


def test_restock_adds_stock_under_lock_and_is_audited(charity, role_users):
    item = services.store_item_restock(
        item=charity["rice"], quantity=25, note="企业捐赠到货", actor=role_users["community_a"]
    )
    assert item.stock == 35
    assert StoreItem.objects.get(pk=item.pk).stock == 35
    event = AuditEvent.objects.get(action="charity.store_item.restocked")
    assert event.actor == role_users["community_a"]
    assert event.region_code == charity["store_a"].region_id
    assert event.changes == {"quantity": 25, "stock": [10, 35], "note": "企业捐赠到货"}


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (0, "store_item.restock_quantity_positive"),
        (-5, "store_item.restock_quantity_positive"),
        (2.5, "store_item.restock_quantity_integer"),
        ("3", "store_item.restock_quantity_integer"),
    ],
)
def test_restock_refuses_anything_but_a_positive_integer(charity, quantity, code):
    with pytest.raises(ValidationFailed) as info:
        services.store_item_restock(item=charity["rice"], quantity=quantity, actor=charity["actor"])
    assert info.value.code == code
    assert StoreItem.objects.get(pk=charity["rice"].pk).stock == 10


def test_stock_is_never_typed_in(charity):
    with pytest.raises(ValidationFailed) as info:
        services.store_item_create(
            store=charity["store_a"],
            name="香皂",
            unit="块",
            points_price=10,
            stock=-1,
            actor=charity["actor"],
        )
    assert info.value.code == "store_item.stock_negative"
    with pytest.raises(ValidationFailed) as info:
        services.store_item_update(
            item=charity["rice"], changes={"stock": 0}, actor=charity["actor"]
        )
    assert info.value.code == "store_item.stock_not_editable"
    with pytest.raises(ValidationFailed) as info:
        services.store_item_create(
            store=charity["store_a"], name="香皂", unit="块", points_price=0, actor=charity["actor"]
        )
    assert info.value.code == "store_item.points_price_positive"


def test_database_refuses_negative_stock(charity):
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreItem.objects.filter(pk=charity["rice"].pk).update(stock=-1)
    item = StoreItem(store=charity["store_a"], name="牙膏", unit="支", points_price=15, stock=-3)
    item.place(charity["store_a"].region_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()
    assert StoreItem.objects.get(pk=charity["rice"].pk).stock == 10


def test_database_refuses_a_zero_price(charity):
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreItem.objects.filter(pk=charity["rice"].pk).update(points_price=0)


def test_api_item_patch_cannot_touch_stock(charity, role_users):
    client = bearer_client(role_users["community_a"])
    url = f"/api/v1/charity/items/{charity['rice'].pk}"
    response = client.patch(url, {"stock": -5}, content_type="application/json")
    assert response.status_code == 422
    assert "stock" in response.json()["fields"]
    response = client.patch(
        url, {"points_price": 100, "name": "东北大米 5kg"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["points_price"] == 100
    assert response.json()["stock"] == 10


def test_api_restock_and_item_create(charity, role_users):
    client = bearer_client(role_users["community_a"])
    store = charity["store_a"]
    response = client.post(
        f"/api/v1/charity/stores/{store.pk}/items",
        {"name": "洗衣液 2kg", "unit": "瓶", "points_price": 60, "stock": 12},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]
    response = client.post(
        f"/api/v1/charity/items/{item_id}/restock", {"quantity": 8}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["stock"] == 20
    response = client.post(
        f"/api/v1/charity/items/{item_id}/restock",
        {"quantity": -8},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "store_item.restock_quantity_positive"
    duplicate = client.post(
        f"/api/v1/charity/stores/{store.pk}/items",
        {"name": "洗衣液 2kg", "unit": "瓶", "points_price": 60},
        content_type="application/json",
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "store_item.name_taken"


def test_store_must_be_in_a_township_or_community(charity, role_users):
    response = bearer_client(role_users["county"]).post(
        "/api/v1/charity/stores",
        {"region": "330481000000", "name": "海宁市爱心超市"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "store.region_level"


def test_item_from_a_goods_donation(charity):
    from datetime import date

    goods = services.donation_record(
        store=charity["store_a"],
        donor=charity["enterprise"],
        kind="goods",
        goods_description="保温杯",
        quantity=30,
        unit="个",
        estimated_value_fen=135000,
        received_on=date(2025, 6, 1),
        actor=charity["actor"],
    )
    item = services.store_item_create(
        store=charity["store_a"],
        name="保温杯",
        unit="个",
        points_price=80,
        stock=30,
        source_donation=goods,
        actor=charity["actor"],
    )
    assert item.source_donation_id == goods.pk
    money = services.donation_record(
        fund=charity["micro"],
        donor=charity["enterprise"],
        kind="money",
        amount_fen=100,
        received_on=date(2025, 6, 1),
        actor=charity["actor"],
    )
    with pytest.raises(ValidationFailed) as info:
        services.store_item_create(
            store=charity["store_a"],
            name="雨伞",
            unit="把",
            points_price=50,
            source_donation=money,
            actor=charity["actor"],
        )
    assert info.value.code == "store_item.source_invalid"
