"""Who sees and changes which charity resources, through the API and the pages."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from wushe.charity import services
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db


def names(response):
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["items"]}


def page_client(user):
    client = Client()
    client.force_login(user)
    return client


# --- API: reading ------------------------------------------------------------------------------

# Funds each role sees: the county foundation lies at county level, the micro-fund in 硖石.
EXPECTED_FUNDS = {
    "charity_staff": {"海宁市社区发展基金会", "硖石街道社区微基金"},
    "county": {"海宁市社区发展基金会", "硖石街道社区微基金"},
    "province": {"海宁市社区发展基金会", "硖石街道社区微基金", "海盐县慈善基金"},
    "auditor": {"海宁市社区发展基金会", "硖石街道社区微基金"},
    "admin": {"海宁市社区发展基金会", "硖石街道社区微基金", "海盐县慈善基金"},
    "township": {"硖石街道社区微基金"},
    "social_worker": {"硖石街道社区微基金"},
    "community_a": set(),
}


@pytest.mark.parametrize(("key", "expected"), EXPECTED_FUNDS.items())
def test_fund_list_per_role(charity, role_users, key, expected):
    assert names(bearer_client(role_users[key]).get("/api/v1/charity/funds")) == expected


@pytest.mark.parametrize("key", ["resident", "volunteer", "org_staff"])
def test_residents_volunteers_and_org_staff_see_no_funds(charity, role_users, key):
    response = bearer_client(role_users[key]).get("/api/v1/charity/funds")
    assert response.status_code == 403
    assert response.json()["code"] == "charity.forbidden"


def test_charity_staff_of_haining_never_sees_another_county(charity, role_users, haiyan_staff):
    staff = bearer_client(role_users["charity_staff"])
    for path in (
        f"/api/v1/charity/funds/{charity['haiyan_fund'].pk}",
        f"/api/v1/charity/stores/{charity['haiyan_store'].pk}",
        f"/api/v1/charity/donors/{charity['haiyan_donor'].pk}",
    ):
        response = staff.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert "武原街道爱心超市" not in names(staff.get("/api/v1/charity/stores"))
    # …and 海盐's staff see only 海盐.
    other = bearer_client(haiyan_staff)
    assert names(other.get("/api/v1/charity/funds")) == {"海盐县慈善基金"}
    assert other.get(f"/api/v1/charity/funds/{charity['foundation'].pk}").status_code == 404
    response = other.post(
        "/api/v1/charity/funds",
        {"region": "330481000000", "kind": "micro", "name": "越界基金"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "charity.region_out_of_scope"


def test_fund_detail_includes_totals(charity, role_users):
    services.donation_record(
        fund=charity["foundation"],
        donor=charity["enterprise"],
        kind="money",
        amount_fen=1234550,
        received_on=date(2025, 4, 1),
        actor=charity["actor"],
    )
    body = (
        bearer_client(role_users["auditor"])
        .get(f"/api/v1/charity/funds/{charity['foundation'].pk}")
        .json()
    )
    assert body["received_fen"] == 1234550
    assert body["received_display"] == "¥12,345.50"
    assert body["donation_count"] == 1
    assert body["restricted"] is True
    assert {p["code"] for p in body["purposes"]} == {"elderly_care", "child_welfare"}
    assert body["by_year"] == [
        {
            "year": 2025,
            "received_fen": 1234550,
            "received_display": "¥12,345.50",
            "goods_value_fen": 0,
            "goods_value_display": "¥0.00",
            "donations": 1,
        }
    ]


# --- API: writing ------------------------------------------------------------------------------


def test_community_worker_manages_own_store_only(charity, role_users):
    a = bearer_client(role_users["community_a"])  # 南关厢
    b = bearer_client(role_users["community_b"])  # 东山
    store = charity["store_a"]
    assert names(a.get("/api/v1/charity/stores")) == {"南关厢社区爱心超市"}
    assert names(b.get("/api/v1/charity/stores")) == set()
    assert b.get(f"/api/v1/charity/stores/{store.pk}").status_code == 404
    assert b.get(f"/api/v1/charity/stores/{store.pk}/items").status_code == 404
    response = b.patch(
        f"/api/v1/charity/stores/{store.pk}",
        {"opening_hours": "全天"},
        content_type="application/json",
    )
    assert response.status_code == 404
    response = b.post(
        f"/api/v1/charity/items/{charity['rice'].pk}/restock",
        {"quantity": 5},
        content_type="application/json",
    )
    assert response.status_code == 404
    response = a.patch(
        f"/api/v1/charity/stores/{store.pk}",
        {"opening_hours": "每周三 9:00–16:00"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["opening_hours"] == "每周三 9:00–16:00"
    # Items: workers in scope see unlisted goods too.
    assert names(a.get(f"/api/v1/charity/stores/{store.pk}/items")) == {"大米 5kg", "毛巾"}
    # A community worker keeps stores, not funds or donations.
    response = a.post(
        "/api/v1/charity/funds",
        {"region": "330481001007", "kind": "micro", "name": "南关厢微基金"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "charity.forbidden"
    response = a.post(
        "/api/v1/charity/stores",
        {"region": "330481001003", "name": "东山社区爱心超市"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "charity.region_out_of_scope"


def test_auditor_reads_everything_in_scope_and_writes_nothing(charity, role_users):
    client = bearer_client(role_users["auditor"])
    assert client.get(f"/api/v1/charity/stores/{charity['store_a'].pk}").status_code == 200
    assert client.get("/api/v1/charity/donors").status_code == 200
    attempts = [
        (
            "post",
            "/api/v1/charity/funds",
            {"region": "330481000000", "kind": "micro", "name": "审计基金"},
        ),
        ("patch", f"/api/v1/charity/funds/{charity['foundation'].pk}", {"public": False}),
        ("post", f"/api/v1/charity/funds/{charity['foundation'].pk}/close", {}),
        (
            "post",
            "/api/v1/charity/donors",
            {"region": "330481000000", "kind": "person", "name": "某人"},
        ),
        (
            "post",
            "/api/v1/charity/donations",
            {
                "fund_id": charity["foundation"].pk,
                "donor_id": charity["person"].pk,
                "kind": "money",
                "amount_fen": 100,
                "received_on": "2025-01-01",
            },
        ),
        ("patch", f"/api/v1/charity/stores/{charity['store_a'].pk}", {"active": False}),
        (
            "post",
            f"/api/v1/charity/stores/{charity['store_a'].pk}/items",
            {"name": "香皂", "unit": "块", "points_price": 10},
        ),
        ("patch", f"/api/v1/charity/items/{charity['rice'].pk}", {"points_price": 1}),
        ("post", f"/api/v1/charity/items/{charity['rice'].pk}/restock", {"quantity": 1}),
    ]
    for method, path, body in attempts:
        response = getattr(client, method)(path, body, content_type="application/json")
        assert response.status_code == 403, (path, response.content)
        assert response.json()["code"] == "charity.forbidden"


def test_social_worker_reads_but_does_not_write(charity, role_users):
    client = bearer_client(role_users["social_worker"])
    assert client.get(f"/api/v1/charity/funds/{charity['micro'].pk}").status_code == 200
    response = client.patch(
        f"/api/v1/charity/funds/{charity['micro'].pk}",
        {"name": "改名"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_township_officer_writes_in_the_township(charity, role_users):
    client = bearer_client(role_users["township"])
    response = client.post(
        "/api/v1/charity/donations",
        {
            "fund_id": charity["micro"].pk,
            "donor_id": charity["enterprise"].pk,
            "kind": "money",
            "amount_fen": 100,
            "received_on": "2025-01-01",
        },
        content_type="application/json",
    )
    # The enterprise donor is registered at county level: outside a township officer's scope.
    assert response.status_code == 404
    response = client.post(
        "/api/v1/charity/donors",
        {"region": "330481001000", "kind": "person", "name": "硖石居民", "phone": "13900001111"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    donor_id = response.json()["id"]
    response = client.post(
        "/api/v1/charity/donations",
        {
            "fund_id": charity["micro"].pk,
            "donor_id": donor_id,
            "kind": "money",
            "amount_fen": 20000,
            "received_on": "2025-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    response = client.patch(
        f"/api/v1/charity/funds/{charity['foundation'].pk}",
        {"public": False},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_patch_cannot_set_status(charity, role_users):
    response = bearer_client(role_users["charity_staff"]).patch(
        f"/api/v1/charity/funds/{charity['micro'].pk}",
        {"status": "closed"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "status" in response.json()["fields"]


# --- residents and volunteers ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["resident", "volunteer"])
def test_resident_sees_own_community_store_goods_read_only(charity, role_users, key):
    client = bearer_client(role_users[key])  # of 南关厢社区, in 硖石街道
    stores = names(client.get("/api/v1/charity/stores"))
    assert stores == {"南关厢社区爱心超市", "硖石街道爱心超市"}
    items = names(client.get(f"/api/v1/charity/stores/{charity['store_a'].pk}/items"))
    assert items == {"大米 5kg"}  # the unlisted towel is not on sale
    assert client.get(f"/api/v1/charity/stores/{charity['haiyan_store'].pk}").status_code == 404
    response = client.post(
        f"/api/v1/charity/items/{charity['rice'].pk}/restock",
        {"quantity": 1},
        content_type="application/json",
    )
    assert response.status_code == 404
    response = client.patch(
        f"/api/v1/charity/stores/{charity['store_a'].pk}",
        {"name": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert client.get("/api/v1/charity/donations").status_code == 403


def test_resident_of_another_community_does_not_see_the_store(charity, role_users):
    from wushe.testing import make_user

    dongshan = bearer_client(make_user("ds_resident", "resident", "330481001003"))
    assert names(dongshan.get("/api/v1/charity/stores")) == {"硖石街道爱心超市"}
    assert dongshan.get(f"/api/v1/charity/stores/{charity['store_a'].pk}").status_code == 404


# --- pages -------------------------------------------------------------------------------------


def test_overview_page_for_charity_staff(charity, role_users):
    services.donation_record(
        fund=charity["foundation"],
        donor=charity["enterprise"],
        kind="money",
        amount_fen=123450,
        received_on=date(2025, 4, 1),
        actor=charity["actor"],
    )
    response = page_client(role_users["charity_staff"]).get("/charity/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "慈善资源" in text
    assert "海宁市社区发展基金会" in text
    assert "¥1,234.50" in text
    assert "南关厢社区爱心超市" in text
    assert "海盐县慈善基金" not in text
    assert "新建基金" in text


def test_nav_shows_the_right_entry(charity, role_users):
    staff = page_client(role_users["charity_staff"]).get("/charity/").content.decode()
    assert 'href="/charity/"' in staff
    resident = page_client(role_users["resident"]).get("/charity/goods/").content.decode()
    assert 'href="/charity/goods/"' in resident
    assert 'href="/charity/"' not in resident


def test_fund_page_shows_ledger_with_running_totals_and_records_a_donation(charity, role_users):
    client = page_client(role_users["charity_staff"])
    fund = charity["micro"]
    for amount, day in ((100000, date(2025, 1, 2)), (23450, date(2025, 2, 3))):
        services.donation_record(
            fund=fund,
            donor=charity["enterprise"],
            kind="money",
            amount_fen=amount,
            received_on=day,
            actor=charity["actor"],
        )
    text = client.get(f"/charity/funds/{fund.pk}/").content.decode()
    assert "捐赠台账" in text and "登记捐赠" in text
    assert "¥1,000.00" in text and "¥234.50" in text
    assert "¥1,234.50" in text  # the running total after the second entry
    response = client.post(
        f"/charity/funds/{fund.pk}/donations/",
        {
            "donor": charity["person"].pk,
            "kind": "money",
            "amount": "88.5",
            "received_on": "2025-03-01",
            "receipt_no": "P-1",
        },
    )
    assert response.status_code == 302
    text = client.get(f"/charity/funds/{fund.pk}/").content.decode()
    assert "¥88.50" in text
    assert "¥1,323.00" in text  # running total after the third entry
    response = client.post(
        f"/charity/funds/{fund.pk}/donations/",
        {
            "donor": charity["person"].pk,
            "kind": "money",
            "amount": "1.005",
            "received_on": "2025-03-01",
        },
    )
    assert response.status_code == 422
    assert "金额最多精确到分" in response.content.decode()


def test_reverse_from_the_fund_page(charity, role_users):
    client = page_client(role_users["county"])
    donation = services.donation_record(
        fund=charity["micro"],
        donor=charity["enterprise"],
        kind="money",
        amount_fen=5000,
        received_on=date(2025, 1, 2),
        actor=charity["actor"],
    )
    response = client.post(f"/charity/donations/{donation.pk}/reverse/", {"reason": "录入错误"})
    assert response.status_code == 302
    text = client.get(f"/charity/funds/{charity['micro'].pk}/").content.decode()
    assert "-¥50.00" in text and "已冲正" in text


def test_store_page_scope_and_buttons(charity, role_users):
    url = f"/charity/stores/{charity['store_a'].pk}/"
    a = page_client(role_users["community_a"]).get(url)
    assert a.status_code == 200
    assert "大米 5kg" in a.content.decode() and "补货" in a.content.decode()
    assert page_client(role_users["community_b"]).get(url).status_code == 404
    auditor = page_client(role_users["auditor"]).get(url).content.decode()
    assert "大米 5kg" in auditor and "补货</button>" not in auditor
    response = page_client(role_users["auditor"]).post(
        f"/charity/items/{charity['rice'].pk}/restock/", {"quantity": 5}
    )
    assert response.status_code == 403
    response = page_client(role_users["community_a"]).post(
        f"/charity/items/{charity['rice'].pk}/restock/", {"quantity": 5}
    )
    assert response.status_code == 302
    assert "15" in page_client(role_users["community_a"]).get(url).content.decode()


def test_resident_goods_page(charity, role_users):
    client = page_client(role_users["resident"])
    response = client.get("/charity/goods/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "南关厢社区爱心超市" in text and "大米 5kg" in text and "120" in text
    assert "食用油 5L" in text  # the township store serves the community too
    assert "毛巾" not in text  # unlisted
    assert "补货" not in text
    assert client.get("/charity/").status_code == 403
    assert client.get(f"/charity/stores/{charity['store_a'].pk}/").status_code == 302
    worker = page_client(role_users["community_a"]).get("/charity/goods/")
    assert worker.status_code == 403


def test_create_pages_render_in_chinese(charity, role_users):
    client = page_client(role_users["charity_staff"])
    for path, text in (
        ("/charity/funds/new/", "新建慈善基金"),
        ("/charity/donors/new/", "登记捐赠人"),
        ("/charity/stores/new/", "新建爱心超市"),
        ("/charity/donors/", "捐赠人"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.content.decode()
    response = client.post(
        "/charity/funds/new/",
        {"region": "330481001000", "kind": "micro", "name": "硖石街道社区微基金"},
    )
    assert response.status_code == 422
    assert "该区划下已有同名基金" in response.content.decode()
    response = client.post(
        "/charity/stores/new/",
        {"region": "330481001003", "name": "东山社区爱心超市", "active": "on"},
    )
    assert response.status_code == 302


def test_edit_pages_save_through_the_services(charity, role_users):
    client = page_client(role_users["charity_staff"])
    fund, donor = charity["micro"], charity["person"]
    assert "修改基金" in client.get(f"/charity/funds/{fund.pk}/edit/").content.decode()
    response = client.post(
        f"/charity/funds/{fund.pk}/edit/",
        {"kind": "micro", "name": "硖石街道邻里微基金", "purposes": [], "public": "on"},
    )
    assert response.status_code == 302
    fund.refresh_from_db()
    assert fund.name == "硖石街道邻里微基金"
    page = client.get(f"/charity/donors/{donor.pk}/edit/").content.decode()
    assert "修改捐赠人" in page and "13812345678" not in page
    response = client.post(
        f"/charity/donors/{donor.pk}/edit/", {"name": "沈建国", "anonymous": "on", "phone": ""}
    )
    assert response.status_code == 302
    donor.refresh_from_db()
    assert donor.anonymous and donor.phone_masked == "138****5678"  # blank kept the phone
    response = client.post(
        f"/charity/donors/{donor.pk}/edit/", {"name": "沈建国", "phone": "12345"}
    )
    assert response.status_code == 422
    assert "手机号码格式不正确" in response.content.decode()

    worker = page_client(role_users["community_a"])
    store, rice = charity["store_a"], charity["rice"]
    response = worker.post(
        f"/charity/stores/{store.pk}/edit/",
        {"name": store.name, "address": "南关厢 12 号", "opening_hours": "周三", "active": "on"},
    )
    assert response.status_code == 302
    response = worker.post(
        f"/charity/items/{rice.pk}/edit/",
        {"name": rice.name, "unit": "袋", "points_price": 0, "active": "on"},
    )
    assert response.status_code == 422
    response = worker.post(
        f"/charity/items/{rice.pk}/edit/",
        {"name": rice.name, "unit": "袋", "points_price": 110, "active": "on", "stock": 999},
    )
    assert response.status_code == 302
    rice.refresh_from_db()
    assert (rice.points_price, rice.stock) == (110, 10)
    response = worker.post(
        f"/charity/stores/{store.pk}/items/",
        {"name": "香皂", "unit": "块", "points_price": 10, "stock": 5, "active": "on"},
    )
    assert response.status_code == 302
    assert (
        page_client(role_users["community_b"]).get(f"/charity/items/{rice.pk}/edit/").status_code
        == 404
    )


def test_donor_list_filters_with_htmx(charity, role_users):
    client = page_client(role_users["charity_staff"])
    response = client.get("/charity/donors/?kind=enterprise", HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert "海宁宏达皮革有限公司" in text and "沈建国" not in text


def test_openapi_documents_the_charity_endpoints(role_users):
    paths = bearer_client(role_users["admin"]).get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/charity/funds",
        "/api/v1/charity/funds/{fund_id}",
        "/api/v1/charity/donors",
        "/api/v1/charity/donations",
        "/api/v1/charity/donations/{donation_id}/reverse",
        "/api/v1/charity/stores",
        "/api/v1/charity/stores/{store_id}",
        "/api/v1/charity/stores/{store_id}/items",
        "/api/v1/charity/items/{item_id}",
        "/api/v1/charity/items/{item_id}/restock",
    ):
        assert path in paths, path


def test_goods_given_straight_to_a_store_from_its_page(charity, role_users):
    client = page_client(role_users["township"])  # 硖石: writes donations in the township
    store = charity["store_a"]
    donor = services.donor_create(
        region_code="330481001007", kind="enterprise", name="南关厢某某超市", actor=charity["actor"]
    )
    page = client.get(f"/charity/stores/{store.pk}/").content.decode()
    assert "登记直接捐给本超市的物资" in page
    response = client.post(
        f"/charity/stores/{store.pk}/donations/",
        {
            "donor": donor.pk,
            "goods_description": "大米 5kg",
            "quantity": 20,
            "unit": "袋",
            "estimated_value": "700",
            "received_on": "2025-06-01",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/charity/stores/{store.pk}/").content.decode()
    assert "大米 5kg 20袋" in page and "¥700.00" in page
    worker = page_client(role_users["community_a"]).get(f"/charity/stores/{store.pk}/")
    assert "登记直接捐给本超市的物资" not in worker.content.decode()  # stores, not donations
