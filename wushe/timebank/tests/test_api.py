"""The time bank API: shapes, scope, idempotency and error codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from wushe.testing import bearer_client
from wushe.timebank import services

from .conftest import World

URL = "/api/v1/timebank"


def post(client: Any, path: str, body: dict[str, Any], key: str | None = "k-1") -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"{URL}{path}", body, content_type="application/json", **extra)


def fund(w: World, minutes: int = 120) -> None:
    services.coins_earn(
        account=w.child, minutes=minutes, value_date=date(2026, 11, 2), actor=w.admin
    )


def test_my_accounts_and_statement_with_running_balance(
    world: World, role_users: dict[str, Any]
) -> None:
    fund(world, 90)
    services.coins_donate(source=world.child, amount=30, actor=world.admin)
    client = bearer_client(role_users["volunteer"])
    mine = client.get(f"{URL}/accounts/mine").json()
    assert {a["scheme"] for a in mine} == {"hn-coin", "hn-points", "xs-coin"}
    coin = next(a for a in mine if a["scheme"] == "hn-coin")
    assert (coin["balance"], coin["unit"], coin["unit_scale"]) == (60, "coin", 60)
    page = client.get(f"{URL}/accounts/{world.child.pk}/statement?limit=10").json()
    assert page["count"] == 2
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in page["items"]] == [
        ("donate", -30, 60),
        ("earn", 90, 90),
    ]


def test_scope_of_account_reads(world: World, role_users: dict[str, Any]) -> None:
    path = f"{URL}/accounts/{world.child.pk}"
    assert bearer_client(role_users["community_a"]).get(path).status_code == 200
    assert bearer_client(role_users["township"]).get(path).status_code == 200
    assert bearer_client(role_users["auditor"]).get(path).status_code == 200
    for who in ("community_b", "resident"):
        response = bearer_client(role_users[who]).get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "timebank.account.not_found"
    listing = bearer_client(role_users["community_b"]).get(f"{URL}/accounts").json()
    assert world.child.pk not in {a["id"] for a in listing["items"]}
    assert world.stranger.pk in {a["id"] for a in listing["items"]}
    assert bearer_client(role_users["volunteer"]).get(f"{URL}/accounts").json()["count"] == 0


def test_gift_with_key_is_idempotent(world: World, role_users: dict[str, Any]) -> None:
    fund(world)
    client = bearer_client(role_users["volunteer"])
    body = {"kind": "gift", "source": world.child.pk, "target": world.parent.pk, "amount": 60}
    first = post(client, "/transfers", body)
    assert first.status_code == 201, first.json()
    again = post(client, "/transfers", body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert sorted(e["amount"] for e in first.json()["entries"]) == [-60, 60]
    reused = post(client, "/transfers", {**body, "amount": 1})
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency.key_reused")
    me = client.get(f"{URL}/accounts/{world.child.pk}").json()
    assert me["balance"] == 60


def test_value_moving_calls_need_a_key(world: World, role_users: dict[str, Any]) -> None:
    client = bearer_client(role_users["volunteer"])
    body = {"kind": "donate", "source": world.child.pk, "amount": 1}
    response = post(client, "/transfers", body, key=None)
    assert (response.status_code, response.json()["code"]) == (422, "idempotency.key_required")
    bad = post(client, "/transfers", body, key="has space")
    assert (bad.status_code, bad.json()["code"]) == (422, "idempotency.key_invalid")


def test_errors_have_stable_codes(world: World, role_users: dict[str, Any]) -> None:
    fund(world, 30)
    client = bearer_client(role_users["volunteer"])
    over = post(client, "/transfers", {"kind": "donate", "source": world.child.pk, "amount": 31})
    assert (over.status_code, over.json()["code"]) == (409, "timebank.insufficient_balance")
    stranger = post(
        client,
        "/transfers",
        {"kind": "gift", "source": world.child.pk, "target": world.stranger.pk, "amount": 1},
        key="k-2",
    )
    assert (stranger.status_code, stranger.json()["code"]) == (409, "timebank.gift.not_relative")
    age = post(
        client, "/transfers", {"kind": "redeem", "source": world.child.pk, "amount": 1}, "k3"
    )
    assert (age.status_code, age.json()["code"]) == (409, "timebank.redeem.age")
    other = post(
        client, "/transfers", {"kind": "donate", "source": world.parent.pk, "amount": 1}, "k4"
    )
    assert other.status_code == 404  # not theirs, not a worker
    missing = post(client, "/transfers", {"kind": "gift", "source": world.child.pk}, "k5")
    assert (missing.status_code, missing.json()["code"]) == (422, "timebank.field.required")
    earn = post(
        client, "/transfers", {"kind": "earn", "target": world.child.pk, "minutes": 5}, "k6"
    )
    assert earn.status_code == 422  # coins are earned only through verified service records


def test_reversal_by_a_worker_only(world: World, role_users: dict[str, Any]) -> None:
    earned, _c = services.coins_earn(
        account=world.child, minutes=60, value_date=date(2026, 11, 2), actor=world.admin
    )
    body = {"kind": "reversal", "transfer": earned.pk, "reason": "记录有误"}
    for who in ("auditor", "community_b", "volunteer"):
        response = post(bearer_client(role_users[who]), "/transfers", body, "r")
        assert (response.status_code, response.json()["code"]) == (
            404,
            "timebank.transfer.not_found",
        )
    rev = post(bearer_client(role_users["community_a"]), "/transfers", body, "r")
    assert rev.status_code == 201
    assert rev.json()["reverses"] == earned.pk
    assert rev.json()["kind"] == "reversal"


def test_exchange_between_schemes(world: World, role_users: dict[str, Any]) -> None:
    fund(world)
    client = bearer_client(role_users["volunteer"])
    body = {"source": world.child.pk, "target": world.child_points.pk, "amount": 60}
    response = post(client, "/exchange", body)
    assert response.status_code == 201, response.json()
    units = {(e["unit"], e["amount"]) for e in response.json()["entries"]}
    assert units == {("hn-coin", -60), ("hn-coin", 60), ("hn-points", -10), ("hn-points", 10)}
    inexact = post(client, "/exchange", {**body, "amount": 7}, key="k-2")
    assert (inexact.status_code, inexact.json()["code"]) == (422, "timebank.exchange.inexact")


def test_store_redemption_through_the_api(world: World, role_users: dict[str, Any]) -> None:
    from wushe.charity.models import CharityStore, StoreItem
    from wushe.testing import NANGUANXIANG

    store = CharityStore(name="爱心超市")
    store.place(NANGUANXIANG)
    store.save()
    item = StoreItem(store=store, name="大米", unit="袋", points_price=4, stock=1)
    item.place(NANGUANXIANG)
    item.save()
    services.coins_earn(
        account=world.child_points, minutes=60, value_date=date(2026, 11, 2), actor=world.admin
    )  # 10 points
    client = bearer_client(role_users["volunteer"])
    body = {"kind": "redeem", "source": world.child_points.pk, "store_item": item.pk}
    first = post(client, "/transfers", body)
    assert first.status_code == 201, first.json()
    assert first.json()["amount"] == 4
    assert post(client, "/transfers", body).status_code == 200  # a retry: same transfer
    item.refresh_from_db()
    assert item.stock == 0
    gone = post(client, "/transfers", body, key="k-2")
    assert (gone.status_code, gone.json()["code"]) == (409, "timebank.store.out_of_stock")
