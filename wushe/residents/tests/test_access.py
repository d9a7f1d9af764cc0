"""Who sees and changes which resident, through the API and the pages, for every role."""

from __future__ import annotations

import pytest
from django.test import Client

from wushe.residents.models import Resident
from wushe.testing import DONGSHAN, NANGUANXIANG, PASSWORD, bearer_client

from .conftest import make_id

pytestmark = pytest.mark.django_db

NAN, DONG = "nanguanxiang", "dongshan"

# role -> which of the two residents the API list shows (None: 403)
LIST_EXPECTED = {
    "community_a": {NAN},
    "community_b": {DONG},
    "township": {NAN, DONG},
    "social_worker": {NAN, DONG},
    "county": {NAN, DONG},
    "province": {NAN, DONG},
    "auditor": {NAN, DONG},
    "admin": {NAN, DONG},
    "resident": {NAN},  # the linked own record only
    "volunteer": None,
    "org_staff": None,
    "charity_staff": None,
}


def _names(people: dict[str, Resident], keys: set[str]) -> set[str]:
    return {people[k].name for k in keys}


@pytest.mark.parametrize("role", sorted(LIST_EXPECTED))
def test_api_list_and_detail_follow_the_scope(role, role_users, people):
    client = bearer_client(role_users[role])
    response = client.get("/api/v1/residents")
    expected = LIST_EXPECTED[role]
    if expected is None:
        assert response.status_code == 403
        assert response.json()["code"] == "residents.forbidden"
        for resident in people.values():
            assert client.get(f"/api/v1/residents/{resident.pk}").status_code == 404
        return
    assert response.status_code == 200
    body = response.json()
    assert {item["name"] for item in body["items"]} == _names(people, expected)
    assert body["count"] == len(expected) and body["count_exact"] is True
    for key, resident in people.items():
        status = client.get(f"/api/v1/residents/{resident.pk}").status_code
        assert status == (200 if key in expected else 404), (role, key)


def test_dongshan_worker_gets_404_for_nanguanxiang_resident_page(role_users, people):
    client = Client()
    client.login(username=role_users["community_b"].username, password=PASSWORD)
    assert client.get(f"/residents/{people[NAN].pk}/").status_code == 404
    assert client.get(f"/residents/{people[DONG].pk}/").status_code == 200
    assert client.get(f"/residents/{people[NAN].pk}/edit/").status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("community_a", 200),
        ("township", 200),
        ("county", 200),
        ("province", 200),
        ("admin", 200),
        ("auditor", 200),
        ("social_worker", 200),
        ("volunteer", 403),
        ("org_staff", 403),
        ("charity_staff", 403),
        ("resident", 302),  # sent to 我的信息
    ],
)
def test_list_page_per_role(role, status, role_users, people):
    client = Client()
    client.login(username=role_users[role].username, password=PASSWORD)
    response = client.get("/residents/")
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        assert "居民台账" in text
        visible = LIST_EXPECTED[role] or set()
        for key in (NAN, DONG):
            assert (people[key].name in text) == (key in visible), (role, key)
    if status == 302:
        assert response["Location"].endswith("/residents/me/")


def test_list_page_filters_with_htmx(role_users, people):
    client = Client()
    client.login(username=role_users["township"].username, password=PASSWORD)
    response = client.get(
        "/residents/", {"region": DONGSHAN, "status": "active"}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert people[DONG].name in text and people[NAN].name not in text
    assert "/imports/export/residents/?region=" in text


def test_resident_sees_only_their_own_record(role_users, people):
    client = Client()
    client.login(username=role_users["resident"].username, password=PASSWORD)
    page = client.get("/residents/me/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "我的信息" in text and people[NAN].name in text
    assert "修改信息" not in text and "查看完整" not in text
    assert client.get(f"/residents/{people[DONG].pk}/").status_code == 404
    nav = client.get("/").content.decode()
    assert "我的信息" in nav and "居民台账" not in nav


def test_worker_nav_shows_the_register(role_users):
    client = Client()
    client.login(username=role_users["community_a"].username, password=PASSWORD)
    nav = client.get("/").content.decode()
    assert "居民台账" in nav


# --- Writes ------------------------------------------------------------------------------------


def _payload(**extra):
    return {
        "region": NANGUANXIANG,
        "name": "王小红",
        "id_number": make_id("19900101", 24),
        "phone": "13800001111",
        **extra,
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("community_a", 201),
        ("township", 201),
        ("county", 201),
        ("admin", 201),
        ("social_worker", 201),
        ("community_b", 422),  # 南关厢 is outside 东山's scope
        ("auditor", 403),
        ("volunteer", 403),
        ("resident", 403),
        ("org_staff", 403),
    ],
)
def test_api_create_per_role(role, status, role_users, regions):
    response = bearer_client(role_users[role]).post(
        "/api/v1/residents", _payload(), content_type="application/json"
    )
    assert response.status_code == status, response.content
    if status == 422:
        assert response.json()["code"] == "resident.region.out_of_scope"
    if status == 201:
        body = response.json()
        assert body["id_number_masked"].startswith("3304") and "*" in body["id_number_masked"]
        assert body["age"] is not None and body["sex"] == "female"


def test_api_validation_errors_name_the_field_and_the_rule(role_users, regions):
    client = bearer_client(role_users["community_a"])
    good = make_id("19900101", 24)
    broken = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(
        "/api/v1/residents", _payload(id_number=broken), content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "resident.id_number.checksum"
    assert "id_number" in body["fields"]
    missing = client.post("/api/v1/residents", {"name": "x"}, content_type="application/json")
    assert missing.status_code == 422
    assert missing.json()["code"] == "validation_failed"


def test_auditor_reads_but_cannot_change(role_users, people):
    client = bearer_client(role_users["auditor"])
    pk = people[NAN].pk
    assert client.get(f"/api/v1/residents/{pk}").status_code == 200
    patch = client.patch(f"/api/v1/residents/{pk}", {"name": "x"}, content_type="application/json")
    assert patch.status_code == 403
    tag = client.post(
        f"/api/v1/residents/{pk}/tags",
        {"tag": "alone_elder", "start_date": "2024-01-01"},
        content_type="application/json",
    )
    assert tag.status_code == 403
    page = Client()
    page.login(username=role_users["auditor"].username, password=PASSWORD)
    assert page.get("/residents/new/").status_code == 403
    assert page.get(f"/residents/{pk}/edit/").status_code == 403
    detail = page.get(f"/residents/{pk}/").content.decode()
    assert "修改信息" not in detail and "添加标签" not in detail


def test_api_patch_tags_and_move_out(role_users, people):
    client = bearer_client(role_users["community_a"])
    pk = people[NAN].pk
    response = client.patch(
        f"/api/v1/residents/{pk}",
        {"address": "南关厢 3 幢 201", "household_number": "A-1", "relation_to_head": "head"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["address"] == "南关厢 3 幢 201" and body["household_number"] == "A-1"
    added = client.post(
        f"/api/v1/residents/{pk}/tags",
        {
            "tag": "disabled",
            "start_date": "2024-02-01",
            "disability_category": "physical",
            "disability_grade": "2",
            "source": "disabled_federation",
        },
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    tag = added.json()
    assert tag["label"] == "残疾人" and tag["disability_grade_label"] == "二级"
    bad = client.post(
        f"/api/v1/residents/{pk}/tags",
        {"tag": "disabled", "start_date": "2024-02-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "resident.tag.disability_required"
    ended = client.post(
        f"/api/v1/residents/{pk}/tags/{tag['id']}/end",
        {"end_date": "2024-12-31"},
        content_type="application/json",
    )
    assert ended.status_code == 200 and ended.json()["current"] is False
    detail = client.get(f"/api/v1/residents/{pk}").json()
    assert [t["label"] for t in detail["past_tags"]] == ["残疾人"]
    other = bearer_client(role_users["community_b"])
    assert (
        other.post(
            f"/api/v1/residents/{pk}/tags/{tag['id']}/end", {}, content_type="application/json"
        ).status_code
        == 404
    )
    moved = client.post(
        f"/api/v1/residents/{pk}/move-out",
        {"moved_out_on": "2025-01-01", "destination": "杭州"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["status"] == "moved_out"
    assert all(not t["current"] for t in client.get(f"/api/v1/residents/{pk}").json()["past_tags"])
    listed = client.get("/api/v1/residents").json()
    assert listed["count"] == 0  # moved out: not in the default (active) list
    assert client.get("/api/v1/residents", {"status": "all"}).json()["count"] == 1


def test_api_filters(role_users, people):
    client = bearer_client(role_users["county"])

    def names(**query):
        response = client.get("/api/v1/residents", query)
        assert response.status_code == 200, response.content
        return {item["name"] for item in response.json()["items"]}

    assert names(region="330481001003") == {people[DONG].name}
    assert names(region="330481001") == {people[NAN].name, people[DONG].name}
    assert names(name="张秀") == {people[NAN].name}  # a prefix, as the index serves it
    assert names(name="秀") == set()
    assert names(id_number=make_id("19800101", 11)) == {people[DONG].name}
    assert names(id_number=make_id("19800101", 11).lower()) == {people[DONG].name}
    assert names(phone="+86 139-1234-5678") == {people[NAN].name}
    assert names(tag="alone_elder") == {people[NAN].name}
    assert names(age_min=60) == {people[NAN].name}
    assert names(age_max=59) == {people[DONG].name}
    assert client.get("/api/v1/residents", {"id_number": "123"}).status_code == 422
    assert client.get("/api/v1/residents", {"tag": "nope"}).status_code == 422


def test_households_api(role_users, people):
    client = bearer_client(role_users["community_a"])
    created = client.post(
        "/api/v1/households",
        {"region": NANGUANXIANG, "number": "H-9", "address": "南关厢 9 号"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    hid = created.json()["id"]
    duplicate = client.post(
        "/api/v1/households",
        {"region": NANGUANXIANG, "number": "H-9"},
        content_type="application/json",
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "household.number.duplicate"
    client.patch(
        f"/api/v1/residents/{people[NAN].pk}",
        {"household_id": hid},
        content_type="application/json",
    )
    head = client.patch(
        f"/api/v1/households/{hid}", {"head_id": people[NAN].pk}, content_type="application/json"
    )
    assert head.status_code == 200 and head.json()["head_name"] == people[NAN].name
    assert [m["name"] for m in head.json()["members"]] == [people[NAN].name]
    assert client.get("/api/v1/households").json()["count"] == 1
    assert (
        bearer_client(role_users["community_b"]).get(f"/api/v1/households/{hid}").status_code == 404
    )
    assert bearer_client(role_users["volunteer"]).get("/api/v1/households").status_code == 403


# --- Pages: forms ------------------------------------------------------------------------------


def _login(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def test_create_page_shows_chinese_errors_and_creates(role_users, regions):
    client = _login(role_users["community_a"])
    page = client.get("/residents/new/")
    assert page.status_code == 200 and "登记居民" in page.content.decode()
    data = {
        "region": NANGUANXIANG,
        "name": "王小红",
        "id_number": "3304811990010102",
        "hukou": "registered",
        "consent_method": "written",
    }
    bad = client.post("/residents/new/", data)
    assert bad.status_code == 422
    assert "身份证号应为 18 位" in bad.content.decode()
    data["id_number"] = make_id("19900101", 24)
    data["household_number"] = "N-7"
    data["relation_to_head"] = "head"
    data["consent_given_on"] = "2025-01-02"
    good = client.post("/residents/new/", data)
    assert good.status_code == 302
    resident = Resident.objects.get(name="王小红")
    assert resident.household.number == "N-7" and resident.household.head_id == resident.pk
    detail = client.get(good["Location"]).content.decode()
    assert "建档登记" in detail and resident.id_number_masked in detail


def test_edit_page_keeps_sealed_values_when_left_blank(role_users, people):
    client = _login(role_users["community_a"])
    resident = people[NAN]
    url = f"/residents/{resident.pk}/edit/"
    page = client.get(url).content.decode()
    assert resident.id_number_masked in page
    response = client.post(
        url,
        {
            "region": NANGUANXIANG,
            "name": "张秀英",
            "hukou": "registered",
            "address": "南关厢 5 幢",
            "phone": "",
            "id_number": "",
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.address == "南关厢 5 幢"
    assert resident.phone_masked == "139****5678" and resident.id_number_hash


def test_tag_forms_on_the_detail_page(role_users, people):
    client = _login(role_users["community_a"])
    pk = people[NAN].pk
    bad = client.post(
        f"/residents/{pk}/tags/", {"tag": "disabled", "start_date": "2024-01-01", "source": "other"}
    )
    assert bad.status_code == 422
    assert "残疾人标签须填写残疾类别" in bad.content.decode()
    good = client.post(
        f"/residents/{pk}/tags/",
        {
            "tag": "disabled",
            "start_date": "2024-01-01",
            "source": "disabled_federation",
            "disability_category": "visual",
            "disability_grade": "1",
        },
    )
    assert good.status_code == 302
    tag = people[NAN].tags.get(tag="disabled")
    ended = client.post(f"/residents/{pk}/tags/{tag.pk}/end/", {"end_date": "2024-06-01"})
    assert ended.status_code == 302
    detail = client.get(f"/residents/{pk}/").content.decode()
    assert "历史标签" in detail and "2024-06-01" in detail


def test_household_pages(role_users, people):
    client = _login(role_users["community_a"])
    assert client.get("/residents/households/").status_code == 200
    response = client.post("/residents/households/new/", {"region": NANGUANXIANG, "number": "Q-1"})
    assert response.status_code == 302
    assert "Q-1" in client.get(response["Location"]).content.decode()
    assert _login(role_users["volunteer"]).get("/residents/households/").status_code == 403


def test_create_page_for_a_wide_scope_takes_a_typed_community_code(role_users, regions):
    client = _login(role_users["admin"])
    page = client.get("/residents/new/").content.decode()
    assert "12 位区划代码" in page
    response = client.post(
        "/residents/new/",
        {
            "region": "330481001",
            "name": "王小红",
            "id_number": make_id("19900101", 24),
            "hukou": "registered",
            "consent_method": "written",
        },
    )
    assert response.status_code == 422
    assert "只能登记到社区（村）一级" in response.content.decode()
