"""The donation ledger: restricted purposes, reversals instead of edits, totals from records."""

from __future__ import annotations

from datetime import date

import pytest

from wushe.audit.models import AppendOnlyError, AuditEvent
from wushe.charity import selectors, services
from wushe.charity.models import Donation
from wushe.core.errors import Conflict, ValidationFailed
from wushe.testing import bearer_client

from .conftest import term

pytestmark = pytest.mark.django_db


def give(charity, fund_key="foundation", amount=10000, on=date(2025, 5, 1), **extra):
    return services.donation_record(
        fund=charity[fund_key],
        donor=extra.pop("donor", charity["enterprise"]),
        kind="money",
        amount_fen=amount,
        received_on=on,
        actor=extra.pop("actor", charity["actor"]),
        **extra,
    )


# --- restricted purposes -----------------------------------------------------------------------


def test_restricted_fund_accepts_its_own_purposes(charity):
    donation = give(charity, purpose=term("elderly_care"))
    assert donation.purpose.code == "elderly_care"
    assert give(charity).purpose is None  # no stated purpose: the fund's restriction applies


@pytest.mark.parametrize(
    ("purpose", "text"), [("legal_aid", ""), (None, "用于修路")], ids=["other-term", "free-text"]
)
def test_restricted_fund_refuses_a_purpose_outside_its_list(charity, purpose, text):
    with pytest.raises(ValidationFailed) as info:
        give(charity, purpose=term(purpose) if purpose else None, purpose_text=text)
    assert info.value.code == "donation.purpose_not_allowed"
    assert "养老服务" in str(info.value.message)
    assert not Donation.objects.exists()


def test_unrestricted_fund_takes_any_purpose(charity):
    donation = give(charity, "micro", purpose=term("legal_aid"), purpose_text="法律援助")
    assert donation.purpose_text == "法律援助"


def test_api_answers_422_with_the_code_for_a_purpose_not_allowed(charity, role_users):
    response = bearer_client(role_users["charity_staff"]).post(
        "/api/v1/charity/donations",
        {
            "fund_id": charity["foundation"].pk,
            "donor_id": charity["enterprise"].pk,
            "kind": "money",
            "amount_fen": 50000,
            "received_on": "2025-05-01",
            "purpose": "legal_aid",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "donation.purpose_not_allowed"


# --- other recording rules ---------------------------------------------------------------------


def test_closed_fund_takes_no_donation(charity):
    services.fund_close(fund=charity["micro"], actor=charity["actor"])
    again = services.fund_close(fund=charity["micro"], actor=charity["actor"])  # a no-op
    assert again.status == "closed"
    assert AuditEvent.objects.filter(action="charity.fund.closed").count() == 1
    with pytest.raises(Conflict) as info:
        give(charity, "micro")
    assert info.value.code == "donation.fund_closed"
    assert info.value.status == 409


def test_donor_must_be_of_the_funds_county(charity):
    with pytest.raises(ValidationFailed) as info:
        give(charity, donor=charity["haiyan_donor"])
    assert info.value.code == "donation.donor_other_county"


def test_receipt_number_is_unique_per_county(charity):
    give(charity, receipt_no="HN-0001")
    with pytest.raises(Conflict) as info:
        give(charity, "micro", receipt_no="HN-0001")
    assert info.value.code == "donation.receipt_no_taken"
    # Another county may use the same number.
    services.donation_record(
        fund=charity["haiyan_fund"],
        donor=charity["haiyan_donor"],
        kind="money",
        amount_fen=100,
        received_on=date(2025, 5, 1),
        receipt_no="HN-0001",
        actor=charity["actor"],
    )


def test_goods_go_to_a_fund_or_straight_to_a_store(charity):
    goods = services.donation_record(
        store=charity["store_a"],
        donor=charity["person"],
        kind="goods",
        goods_description="大米 5kg",
        quantity=40,
        unit="袋",
        estimated_value_fen=140000,
        received_on=date(2025, 6, 1),
        actor=charity["actor"],
    )
    assert goods.region_id == charity["store_a"].region_id
    with pytest.raises(ValidationFailed) as info:
        services.donation_record(
            store=charity["store_a"],
            donor=charity["person"],
            kind="money",
            amount_fen=100,
            received_on=date(2025, 6, 1),
            actor=charity["actor"],
        )
    assert info.value.code == "donation.fund_required"
    with pytest.raises(ValidationFailed) as info:
        services.donation_record(
            store=charity["store_a"],
            donor=charity["person"],
            kind="goods",
            goods_description="毛巾",
            quantity=0,
            unit="条",
            received_on=date(2025, 6, 1),
            actor=charity["actor"],
        )
    assert info.value.code == "donation.quantity_positive"


# --- append-only and reversal ------------------------------------------------------------------


def test_donations_cannot_be_edited_or_deleted(charity, role_users):
    donation = give(charity)
    donation.amount_fen = 1
    with pytest.raises(AppendOnlyError):
        donation.save()
    with pytest.raises(AppendOnlyError):
        Donation.objects.filter(pk=donation.pk).update(amount_fen=1)
    with pytest.raises(AppendOnlyError):
        Donation.objects.filter(pk=donation.pk).delete()
    with pytest.raises(Conflict) as info:
        services.donation_update(donation=donation, actor=charity["actor"], amount_fen=1)
    assert info.value.code == "donation.append_only"
    response = bearer_client(role_users["charity_staff"]).patch(
        f"/api/v1/charity/donations/{donation.pk}",
        {"amount_fen": 1},
        content_type="application/json",
    )
    assert response.status_code == 405
    assert Donation.objects.get(pk=donation.pk).amount_fen == 10000


def test_reversal_appends_a_negative_entry_and_nets_the_total(charity):
    kept = give(charity, amount=300000)
    wrong = give(charity, amount=50000, purpose=term("child_welfare"))
    reversal = services.donation_reverse(
        donation=wrong, reason="金额登记错误", actor=charity["actor"]
    )
    assert reversal.amount_fen == -50000
    assert reversal.reverses_id == wrong.pk
    assert reversal.received_on == wrong.received_on
    assert reversal.purpose_id == wrong.purpose_id
    assert reversal.note == "金额登记错误"
    totals = selectors.fund_totals(fund=charity["foundation"])
    assert totals.received_fen == 300000
    assert totals.donations == 1
    assert Donation.objects.count() == 3  # nothing was changed or removed
    assert kept.pk in set(Donation.objects.values_list("pk", flat=True))
    event = AuditEvent.objects.get(action="charity.donation.reversed")
    assert event.changes["reverses"] == wrong.pk
    assert event.changes["reason"] == "金额登记错误"


def test_reversal_needs_a_reason_and_happens_once(charity):
    donation = give(charity)
    with pytest.raises(ValidationFailed) as info:
        services.donation_reverse(donation=donation, reason=" 错 ", actor=charity["actor"])
    assert info.value.code == "donation.reverse_reason_required"
    reversal = services.donation_reverse(
        donation=donation, reason="重复登记", actor=charity["actor"]
    )
    with pytest.raises(Conflict) as info:
        services.donation_reverse(donation=donation, reason="重复登记", actor=charity["actor"])
    assert info.value.code == "donation.already_reversed"
    with pytest.raises(Conflict) as info:
        services.donation_reverse(donation=reversal, reason="再冲一次", actor=charity["actor"])
    assert info.value.code == "donation.reverse_reversal"


def test_reverse_through_the_api(charity, role_users):
    client = bearer_client(role_users["charity_staff"])
    donation = give(charity, amount=88800)
    url = f"/api/v1/charity/donations/{donation.pk}/reverse"
    response = client.post(url, {"reason": "捐赠人撤回"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["amount_fen"] == -88800
    assert response.json()["amount_display"] == "-¥888.00"
    again = client.post(url, {"reason": "捐赠人撤回"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "donation.already_reversed"
    fund = client.get(f"/api/v1/charity/funds/{charity['foundation'].pk}").json()
    assert fund["received_fen"] == 0


# --- totals ------------------------------------------------------------------------------------


def test_totals_by_year_come_from_the_records(charity):
    give(charity, amount=100000, on=date(2024, 3, 1))
    give(charity, amount=250050, on=date(2024, 12, 31))
    wrong = give(charity, amount=70000, on=date(2024, 7, 7))
    give(charity, amount=30000, on=date(2025, 1, 1))
    services.donation_record(
        fund=charity["foundation"],
        donor=charity["person"],
        kind="goods",
        goods_description="食用油 5L",
        quantity=10,
        unit="桶",
        estimated_value_fen=69900,
        received_on=date(2025, 2, 2),
        actor=charity["actor"],
    )
    # A reversal made today corrects the year of the donation it reverses.
    services.donation_reverse(donation=wrong, reason="重复登记", actor=charity["actor"])
    give(charity, "micro", amount=999, on=date(2024, 3, 1))  # another fund: not counted

    totals = selectors.fund_totals(fund=charity["foundation"])
    assert totals.received_fen == 380050
    assert totals.goods_value_fen == 69900
    assert totals.donations == 4
    by_year = {y.year: y for y in totals.by_year}
    assert [y.year for y in totals.by_year] == [2025, 2024]
    assert by_year[2024].received_fen == 350050
    assert by_year[2024].donations == 2
    assert by_year[2025].received_fen == 30000
    assert by_year[2025].goods_value_fen == 69900

    listed = {f.pk: f for f in selectors.funds_with_totals(user=charity["actor"])}
    assert listed[charity["foundation"].pk].received_fen == 380050
    assert listed[charity["micro"].pk].received_fen == 999


def test_ledger_running_totals_follow_the_receiving_order(charity):
    give(charity, amount=100, on=date(2025, 1, 3))
    later = give(charity, amount=1000, on=date(2025, 1, 5))
    give(charity, amount=10, on=date(2025, 1, 4))
    services.donation_reverse(donation=later, reason="登记错误", actor=charity["actor"])
    rows = list(selectors.fund_ledger(fund=charity["foundation"]))
    # Newest first; running total in ledger order (date, then time recorded).
    assert [(r.amount_fen, r.running_fen) for r in rows] == [
        (-1000, 110),
        (1000, 1110),
        (10, 110),
        (100, 100),
    ]
    assert [r.reversed for r in rows] == [False, True, False, False]


def test_api_filters_donations_by_fund_donor_year_and_kind(charity, role_users):
    give(charity, amount=100, on=date(2024, 5, 1))
    give(charity, amount=200, on=date(2025, 5, 1), donor=charity["person"])
    give(charity, "micro", amount=300, on=date(2025, 5, 1))
    client = bearer_client(role_users["charity_staff"])

    def amounts(query):
        body = client.get(f"/api/v1/charity/donations?{query}").json()
        return sorted(item["amount_fen"] for item in body["items"])

    assert amounts("") == [100, 200, 300]
    assert amounts(f"fund={charity['foundation'].pk}") == [100, 200]
    assert amounts(f"donor={charity['person'].pk}") == [200]
    assert amounts("year=2025") == [200, 300]
    assert amounts("kind=goods") == []
    page = client.get("/api/v1/charity/donations?limit=1&offset=1").json()
    assert (page["count"], page["count_exact"], len(page["items"])) == (3, True, 1)
