"""Pages of the charity store (redeem points for goods), the community pool and the scheme
settings."""

from __future__ import annotations

from typing import Any

from django.test import Client

from wushe.charity.models import CharityStore, StoreItem
from wushe.testing import NANGUANXIANG
from wushe.timebank import services
from wushe.timebank.models import Balance, Scheme, Transfer

from .conftest import World
from .test_ledger import bal, earn


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_item(stock: int = 2, price: int = 4) -> StoreItem:
    store = CharityStore(name="南关厢爱心超市")
    store.place(NANGUANXIANG)
    store.save()
    item = StoreItem(store=store, name="大米", unit="袋", points_price=price, stock=stock)
    item.place(NANGUANXIANG)
    item.save()
    return item


def test_redeem_from_the_store_page(world: World, role_users: dict[str, Any]) -> None:
    item = make_item()
    earn(world, world.child_points, 60)  # 10 points
    volunteer = client_for(role_users["volunteer"])
    page = volunteer.get("/timebank/store/").content.decode()
    assert "大米" in page and "库存 2" in page
    body = {"item": item.pk, "quantity": 2, "key": "k-redeem-1"}
    assert volunteer.post("/timebank/store/", body).status_code == 302
    assert volunteer.post("/timebank/store/", body).status_code == 302  # double submit
    item.refresh_from_db()
    assert (item.stock, bal(world.child_points)) == (0, 2)
    assert Transfer.objects.filter(kind="redeem", store_item=item).count() == 1
    page = volunteer.get("/timebank/store/").content.decode()
    assert "已兑完" in page and "我的兑换记录" in page
    refused = volunteer.post(
        "/timebank/store/", {"item": item.pk, "quantity": 1, "key": "k-redeem-2"}, follow=True
    )
    assert "库存不足" in refused.content.decode() or "余额不足" in refused.content.decode()
    assert bal(world.child_points) == 2


def test_pool_page_shows_donations(world: World, role_users: dict[str, Any]) -> None:
    earn(world, world.child, 120)
    services.coins_donate(source=world.child, amount=60, actor=world.admin)
    page = client_for(role_users["community_a"]).get("/timebank/pools/").content.decode()
    assert "社区公益池" in page and "1.00" in page
    assert client_for(role_users["volunteer"]).get("/timebank/pools/").status_code == 403


def test_scheme_settings_and_rates(world: World, role_users: dict[str, Any]) -> None:
    county = client_for(role_users["county"])
    url = f"/timebank/schemes/{world.coin.pk}/"
    assert "海宁时间币" in county.get("/timebank/schemes/").content.decode()
    form = {
        "form": "scheme",
        "name": "海宁时间币",
        "earn_per_hour": 60,
        "daily_earn_cap": 180,
        "storage_cap": "",
        "redeem_min_age": 65,
        "gift_policy": "anyone",
        "expiry_days": "",
        "active": "on",
    }
    assert county.post(url, form).status_code == 302
    scheme = Scheme.objects.get(pk=world.coin.pk)
    assert (scheme.daily_earn_cap, scheme.storage_cap, scheme.redeem_min_age) == (180, None, 65)
    assert scheme.gift_policy == "anyone"
    rate = {"form": "rate", "target": world.points.pk, "numerator": 1, "denominator": 3}
    assert county.post(url, rate).status_code == 302
    assert world.coin.rates_out.get(target=world.points).denominator == 3
    # A community worker sees the county scheme but cannot change it.
    community = client_for(role_users["community_a"])
    assert "disabled" in community.get(url).content.decode()
    assert community.post(url, form).status_code == 403
    assert Balance.objects.count() > 0


def test_store_goods_api(world: World, role_users: dict[str, Any]) -> None:
    item = make_item(stock=5, price=3)
    api = client_for(role_users["volunteer"])
    listed = api.get(f"/api/v1/timebank/accounts/{world.child_points.pk}/store-goods").json()
    assert [(g["id"], g["points_price"], g["stock"]) for g in listed["items"]] == [(item.pk, 3, 5)]
    stranger = api.get(f"/api/v1/timebank/accounts/{world.stranger.pk}/store-goods")
    assert stranger.status_code == 404


def test_a_community_opens_its_own_scheme(world: World, role_users: dict[str, Any]) -> None:
    community = client_for(role_users["community_a"])
    body = {"region": NANGUANXIANG, "code": "ngx-coin", "name": "南关厢时间币", "kind": "coin"}
    response = community.post("/timebank/schemes/", body)
    scheme = Scheme.objects.get(code="ngx-coin")
    assert response.status_code == 302 and scheme.region_id == NANGUANXIANG
    # Another community's region is not offered, and the code is unique.
    other = client_for(role_users["community_b"])
    refused = other.post("/timebank/schemes/", {**body, "region": NANGUANXIANG, "code": "x"})
    assert refused.status_code == 200 and not Scheme.objects.filter(code="x").exists()
    again = community.post("/timebank/schemes/", body)
    assert "该方案代码已被使用" in again.content.decode()
