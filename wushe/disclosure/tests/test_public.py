"""Public disclosure: no login, figures computed from the records and traceable to them, no
personal data."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from wushe.charity.models import CharityFund, Donation, DonationKind, Donor, DonorKind
from wushe.core.personal import seal_id_number, seal_phone
from wushe.organizations.models import OrganizationContact
from wushe.projects import services
from wushe.testing import HAINING

pytestmark = pytest.mark.django_db

ID_NUMBER = "33048119800101001X"
PHONE = "13905731234"


def spend(world, project, amount, day=date(2026, 5, 1), item="活动物资"):
    services.expenditure_record(
        project_id=project.pk,
        actor=world.users["org_staff"],
        spent_on=day,
        item=item,
        amount_fen=amount,
    )


@pytest.fixture
def published(world):
    """An approved project with two expenditures, an activity and a rating; a proposal not
    yet decided; a person donor with an ID number and a phone; an organisation contact."""
    project = world.approved(2_000_000, approved_fen=1_500_000)
    spend(world, project, 300_000)
    spend(world, project, 200_000, item='=HYPERLINK("x")')
    services.activity_record(
        project_id=project.pk,
        actor=world.users["org_staff"],
        held_on=date(2026, 5, 2),
        title="助餐",
        beneficiaries=25,
    )
    services.rating_submit(project_id=project.pk, actor=world.users["resident"], rating=4)
    pending = world.propose(title="尚未评审的项目")
    fund = CharityFund(kind="foundation", name="海宁市社区发展基金会")
    fund.place(HAINING)
    fund.save()
    donor = Donor(kind=DonorKind.PERSON, name="王大明")
    donor.place(HAINING)
    seal_id_number(donor, ID_NUMBER)
    seal_phone(donor, PHONE)
    donor.save()
    Donation(
        fund=fund,
        donor=donor,
        kind=DonationKind.MONEY,
        amount_fen=888_800,
        received_on=date(2026, 4, 1),
        region_id=HAINING,
        county_code=HAINING[:6],
    ).save()
    contact = OrganizationContact(organization=world.organization, name="李联系")
    seal_phone(contact, PHONE)
    contact.save()
    return project, pending


def test_public_project_shows_the_figures(published, client: Client):
    project, pending = published
    page = client.get(f"/disclosure/projects/{project.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "¥15,000.00" in html and "¥5,000.00" in html  # budget and spent
    assert "海宁市民政局" in html and "4.0 / 5" in html
    assert client.get(f"/disclosure/projects/{pending.pk}/").status_code == 404
    listing = client.get("/disclosure/projects/").content.decode()
    assert project.title in listing and "尚未评审的项目" not in listing
    assert "共 1 个项目，立项资金 ¥15,000.00，已支出 ¥5,000.00，受益 25 人次" in listing


def test_public_json_without_login(published, client: Client):
    _project, pending = published
    body = client.get("/api/v1/public/projects").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["budget_fen"] == 1_500_000 and item["spent_fen"] == 500_000
    assert item["beneficiaries"] == 25 and item["funder"] == "海宁市民政局"
    assert item["rating"] == "4.00" or float(item["rating"]) == 4.0
    ledger = client.get(item["ledger_href"]).json()
    assert ledger["total_fen"] == item["spent_fen"] == 500_000
    assert [e["amount_fen"] for e in ledger["items"]] == [300_000, 200_000]
    assert client.get(f"/api/v1/public/projects/{pending.pk}").status_code == 404


def test_fund_totals_follow_down_to_the_records(published, client: Client):
    project, _pending = published
    rows = client.get("/api/v1/public/funds").json()
    by_region = {r["region"]: r for r in rows}
    township = project.region_id[:9] + "000"
    assert by_region[township]["approved_fen"] == 1_500_000
    assert by_region[township]["spent_fen"] == 500_000
    assert by_region[HAINING]["donated_fen"] == 888_800
    spent = client.get(by_region[township]["expenditures_href"]).json()
    assert sum(e["amount_fen"] for e in spent["items"]) == 500_000
    donations = client.get(by_region[HAINING]["donations_href"]).json()
    assert [d["amount_fen"] for d in donations["items"]] == [888_800]
    assert donations["items"][0]["donor"] == "爱心人士"
    projects = client.get(by_region[township]["projects_href"]).json()
    assert [p["id"] for p in projects["items"]] == [project.pk]
    page = client.get("/disclosure/funds/").content.decode()
    assert f"/disclosure/funds/expenditures/?region={township}&amp;year=2026" in page
    drill = client.get(f"/disclosure/funds/expenditures/?region={township}&year=2026")
    assert "合计 ¥5,000.00" in drill.content.decode()


def test_organisation_facts_and_grade(published, client: Client, world):
    body = client.get(f"/api/v1/public/organizations/{world.organization.pk}").json()
    assert body["name"] == world.organization.name
    assert "phone" not in str(body).lower() and "contact" not in body
    page = client.get(f"/disclosure/organizations/{world.organization.pk}/").content.decode()
    assert world.organization.name in page and "¥15,000.00" in page


def test_no_personal_data_on_public_pages_or_json(published, client: Client, world):
    urls = [
        "/disclosure/",
        "/disclosure/projects/",
        f"/disclosure/projects/{published[0].pk}/",
        "/disclosure/organizations/",
        f"/disclosure/organizations/{world.organization.pk}/",
        "/disclosure/funds/",
        "/disclosure/funds/donations/",
        "/disclosure/funds/expenditures/",
        "/api/v1/public/projects",
        "/api/v1/public/organizations",
        "/api/v1/public/funds",
        "/api/v1/public/funds/donations",
        "/api/v1/public/funds/expenditures",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for secret in (ID_NUMBER, PHONE, PHONE[:3] + "****" + PHONE[-4:], "王大明", "李联系"):
            assert secret not in text, (url, secret)
