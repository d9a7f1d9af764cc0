"""我的时间银行: the volunteer sees their balances and statement, in Chinese; others get the
empty state or 404 for an account that is not theirs."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.test import Client

from wushe.core import nav
from wushe.timebank import services

from .conftest import World


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_volunteer_sees_balance_and_statement(world: World, role_users: dict[str, Any]) -> None:
    services.coins_earn(
        account=world.child, minutes=90, value_date=date(2026, 11, 2), actor=world.admin,
        memo="敬老院助餐",
    )  # fmt: skip
    services.coins_donate(source=world.child, amount=30, actor=world.admin)
    volunteer = role_users["volunteer"]
    assert "timebank_mine" in {item.key for item in nav.items_for(volunteer)}
    response = client_for(volunteer).get(f"/timebank/?account={world.child.pk}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "我的时间银行" in text
    assert "海宁时间币" in text
    assert "敬老院助餐" in text
    assert "1.00" in text  # balance 60 units = 1 coin
    assert "+1.50" in text and "-0.50" in text
    partial = client_for(volunteer).get(
        f"/timebank/?account={world.child.pk}", HTTP_HX_REQUEST="true"
    )
    assert "<h1>" not in partial.content.decode()


def test_other_accounts_are_not_shown(world: World, role_users: dict[str, Any]) -> None:
    volunteer = role_users["volunteer"]
    response = client_for(volunteer).get(f"/timebank/?account={world.parent.pk}")
    assert response.status_code == 404
    resident = client_for(role_users["resident"]).get("/timebank/")
    assert resident.status_code == 200
    assert "您还没有时间银行账户" in resident.content.decode()
    assert "timebank_mine" not in {item.key for item in nav.items_for(role_users["resident"])}


def test_donate_and_gift_from_the_page(world: World, role_users: dict[str, Any]) -> None:
    from wushe.timebank.models import Balance, Transfer

    services.coins_earn(
        account=world.child, minutes=120, value_date=date(2026, 11, 2), actor=world.admin
    )
    client = client_for(role_users["volunteer"])
    page = client.get(f"/timebank/?account={world.child.pk}").content.decode()
    assert "捐入社区公益池" in page and "王老伯" in page and "李建国" not in page
    url = f"/timebank/?account={world.child.pk}"
    body = {"kind": "donate", "amount": "0.5", "key": "page-key-1"}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302  # a double submit: one transfer
    assert Transfer.objects.filter(kind="donate").count() == 1
    gift = {"kind": "gift", "target": world.parent.pk, "amount": "1", "key": "page-key-2"}
    assert client.post(url, gift).status_code == 302
    assert Balance.objects.get(account=world.child).amount == 30
    too_much = client.post(url, {"kind": "donate", "amount": "5", "key": "page-key-3"})
    assert too_much.status_code == 200
    assert "余额不足" in too_much.content.decode()
    stranger = client.post(
        url, {"kind": "gift", "target": world.stranger.pk, "amount": "0.1", "key": "k4"}
    )
    assert stranger.status_code == 200 and Balance.objects.get(account=world.child).amount == 30
