"""The grouped view of the needs database: counts of needs, people and vulnerable people per
category and region, summed by the database; scope; the API; the page and its hook to the
projects app's proposal form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from wushe.needs import selectors, services
from wushe.needs.models import Source, Status
from wushe.testing import DONGSHAN, NANGUANXIANG, PASSWORD, XIASHI, bearer_client

pytestmark = pytest.mark.django_db


def _need(actor, region, category, people, groups, title="需求"):
    return services.need_create(
        region_code=region,
        category=category,
        title=title,
        source=Source.SURVEY,
        people_count=people,
        groups=groups,
        actor=actor,
    )


@pytest.fixture
def needs(role_users):
    a, b = role_users["community_a"], role_users["community_b"]
    made = [
        _need(a, NANGUANXIANG, "elderly_care", 10, {"alone_elder": 4, "disabled": 2}),
        _need(a, NANGUANXIANG, "elderly_care", 5, {"alone_elder": 3}),
        _need(b, DONGSHAN, "elderly_care", 7, {"alone_elder": 1}),
        _need(b, DONGSHAN, "health", 2, {}),
        _need(role_users["township"], XIASHI, "elderly_care", 20, {"empty_nest_elder": 6}),
    ]
    services.need_dismiss(need_id=made[1].pk, actor=a)
    return made


def _by_key(rows):
    return {(r.category.code, r.region_code): r for r in rows}


def test_groups_by_township_sum_people_and_vulnerable_groups(role_users, needs):
    rows = selectors.need_groups(
        user=role_users["township"], filters=selectors.NeedFilter(status="pending")
    )
    groups = _by_key(rows)
    elderly = groups[("elderly_care", XIASHI)]
    # The dismissed need (5 people) is not pending.
    assert (elderly.needs, elderly.people, elderly.vulnerable) == (3, 37, 4 + 1 + 6)
    assert elderly.groups == {"alone_elder": 5, "disabled": 2, "empty_nest_elder": 6}
    assert groups[("health", XIASHI)].people == 2
    assert rows[0].key == elderly.key  # most people first


def test_groups_by_community_and_scope(role_users, needs):
    rows = selectors.need_groups(
        user=role_users["community_a"],
        filters=selectors.NeedFilter(status=""),
        level="community",
    )
    groups = _by_key(rows)
    assert set(groups) == {("elderly_care", NANGUANXIANG)}  # 东山 and the township: not in scope
    assert groups[("elderly_care", NANGUANXIANG)].people == 15
    assert groups[("elderly_care", NANGUANXIANG)].groups == {"alone_elder": 7, "disabled": 2}


def test_needs_of_groups_resolve_selected_keys_in_scope(role_users, needs):
    key = f"{needs[0].category_id}:{XIASHI}"
    ids = selectors.needs_of_groups(
        user=role_users["township"],
        keys=[key],
        filters=selectors.NeedFilter(status="pending"),
    )
    assert ids == sorted([needs[0].pk, needs[2].pk, needs[4].pk])
    assert selectors.needs_of_groups(
        user=role_users["community_b"],
        keys=[key],
        filters=selectors.NeedFilter(status="pending"),
    ) == [needs[2].pk]


def test_api_groups_and_scope(role_users, needs):
    client = bearer_client(role_users["county"])
    response = client.get("/api/v1/needs/groups?status=pending")
    assert response.status_code == 200
    elderly = next(g for g in response.json() if g["category"]["code"] == "elderly_care")
    assert (elderly["needs"], elderly["people"]) == (3, 37)
    own = bearer_client(role_users["community_b"])
    assert own.get(f"/api/v1/needs/{needs[0].pk}").status_code == 404
    assert own.get("/api/v1/needs").json()["count"] == 2
    assert bearer_client(role_users["resident"]).get("/api/v1/needs").status_code == 403
    assert (
        bearer_client(role_users["org_staff"]).get(f"/api/v1/needs/{needs[0].pk}").status_code
        == 404
    )


def test_api_create_is_idempotent(role_users):
    client = bearer_client(role_users["community_a"])
    body = {
        "region": NANGUANXIANG,
        "category": "child_welfare",
        "title": "留守儿童暑期托管",
        "people_count": 12,
        "groups": {"left_behind_child": 9},
    }
    first = client.post(
        "/api/v1/needs", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="n-1"
    )
    assert first.status_code == 201, first.content
    assert first.json()["vulnerable_count"] == 9
    again = client.post(
        "/api/v1/needs", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="n-1"
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    visit = client.post(
        "/api/v1/needs", {**body, "source": "visit"}, content_type="application/json"
    )
    assert visit.status_code == 403


def test_need_from_request(role_users):
    from wushe.requests import services as request_services

    request, _ = request_services.request_submit(
        actor=role_users["resident"],
        region_code=NANGUANXIANG,
        category="daily_care",
        description="家里老人需要助浴服务，子女在外地。",
    )
    client = bearer_client(role_users["community_a"])
    response = client.post(
        "/api/v1/needs/from-request",
        {"request": request.pk, "category": "elderly_care"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "request"
    assert response.json()["source_ref"] == request.number
    again = services.need_from_request(
        request_id=request.pk, category="elderly_care", actor=role_users["community_a"]
    )
    assert again.pk == response.json()["id"]
    outsider = bearer_client(role_users["community_b"])
    response = outsider.post(
        "/api/v1/needs/from-request",
        {"request": request.pk, "category": "elderly_care"},
        content_type="application/json",
    )
    assert response.status_code == 404


def _signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_page_shows_groups_and_the_proposal_hook_only_when_it_exists(role_users, needs):
    client = _signed_in(role_users["township"])
    response = client.get(reverse("needs:groups"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "养老服务" in html and "37" in html
    try:
        target = reverse("projects:proposal_from_needs")
    except NoReverseMatch:
        target = None
    if target is None:
        assert "转化为项目申报" not in html
        return
    assert "将所选需求转化为项目申报" in html
    key = f"{needs[0].category_id}:{XIASHI}"
    response = client.post(
        reverse("needs:select"), {"group": [key], "status": "pending", "level": "township"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(target)
    assert f"need={needs[0].pk}" in response["Location"]
    assert f"need={needs[1].pk}" not in response["Location"]  # dismissed


def test_page_is_closed_to_residents(role_users):
    assert _signed_in(role_users["resident"]).get(reverse("needs:groups")).status_code == 403


def test_survey_form_records_a_need(role_users):
    client = _signed_in(role_users["community_a"])
    response = client.post(
        reverse("needs:create"),
        {
            "region": NANGUANXIANG,
            "category": "health",
            "title": "老人希望上门量血压",
            "people_count": 8,
            "group_alone_elder": 3,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = client.get(response["Location"]).content.decode()
    assert "老人希望上门量血压" in detail and "独居老人 3" in detail


def test_proposed_need_can_be_addressed_from_the_page(role_users, needs):
    client = _signed_in(role_users["community_a"])
    url = reverse("needs:transition", args=[needs[0].pk, "address"])
    assert client.post(url, {"note": "已由助餐项目覆盖"}).status_code == 302
    needs[0].refresh_from_db()
    assert needs[0].status == Status.ADDRESSED
    other = _signed_in(role_users["community_b"])
    assert other.post(reverse("needs:transition", args=[needs[0].pk, "reopen"])).status_code == 404


def test_api_transitions(role_users, needs):
    client = bearer_client(role_users["community_a"])
    url = f"/api/v1/needs/{needs[0].pk}"
    assert (
        client.post(f"{url}/dismiss", {"note": "重复"}, content_type="application/json").json()[
            "status"
        ]
        == "dismissed"
    )
    again = client.post(f"{url}/dismiss", {}, content_type="application/json")
    assert again.status_code == 200  # repeating is a no-op
    conflict = client.post(f"{url}/address", {}, content_type="application/json")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "needs.need.invalid_transition"
    assert client.post(f"{url}/reopen", {}, content_type="application/json").json()["status"] == (
        "open"
    )
    auditor = bearer_client(role_users["auditor"])
    assert auditor.get(url).status_code == 200
    assert auditor.post(f"{url}/dismiss", {}, content_type="application/json").status_code == 403
