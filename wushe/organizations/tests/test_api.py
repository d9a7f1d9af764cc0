import pytest

from wushe.audit.models import AuditEvent
from wushe.organizations.models import Organization
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI, bearer_client

from .conftest import CODE_ASSOCIATION

pytestmark = pytest.mark.django_db


def names(client, **params):
    response = client.get("/api/v1/organizations", params)
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["items"]}


# Who sees which organisation: registering region or coverage region in scope; own org.
VISIBLE = {
    "community_a": {"nan", "agency_nan"},
    "community_b": {"dong"},
    "township": {"nan", "dong", "agency_nan", "own"},
    "county": {"nan", "dong", "agency_nan", "haizhou", "own"},
    "province": {"nan", "dong", "agency_nan", "haizhou", "own"},
    "auditor": {"nan", "dong", "agency_nan", "haizhou", "own"},
    "admin": {"nan", "dong", "agency_nan", "haizhou", "own"},
    "charity_staff": {"nan", "dong", "agency_nan", "haizhou", "own"},
    "social_worker": {"nan", "dong", "agency_nan", "own"},
    "org_staff": {"own"},
}


@pytest.mark.parametrize("key", sorted(VISIBLE))
def test_list_and_detail_follow_the_scope(role_users, orgs, key):
    client = bearer_client(role_users[key])
    expected = {orgs[k].name for k in VISIBLE[key]}
    assert names(client) == expected
    for k, org in orgs.items():
        response = client.get(f"/api/v1/organizations/{org.pk}")
        if k in VISIBLE[key]:
            assert response.status_code == 200
        else:
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("key", ["resident", "volunteer"])
def test_residents_and_volunteers_have_no_register(role_users, orgs, key):
    client = bearer_client(role_users[key])
    response = client.get("/api/v1/organizations")
    assert response.status_code == 403
    assert client.get(f"/api/v1/organizations/{orgs['nan'].pk}").status_code == 404


def test_list_shape_filters_and_masking(role_users, orgs):
    client = bearer_client(role_users["township"])
    body = client.get("/api/v1/organizations", {"region": NANGUANXIANG}).json()
    assert body["count"] == 2 and body["count_exact"] is True
    item = next(i for i in body["items"] if i["name"] == orgs["nan"].name)
    assert item["legal_status"] == "filed" and item["legal_status_label"] == "备案"
    assert item["region"] == {"code": XIASHI, "name": "硖石街道"}
    assert item["coverage"] == [{"code": NANGUANXIANG, "name": "南关厢社区"}]
    assert item["contacts"][0]["phone_masked"] == "138****5678"
    assert "13812345678" not in client.get("/api/v1/organizations").content.decode()
    assert names(client, legal_status="registered") == {orgs["agency_nan"].name}
    assert names(client, org_kind="community", region=DONGSHAN) == {orgs["dong"].name}
    assert names(client, category="culture_sports") == {orgs["dong"].name}
    assert names(client, q="善行") == {orgs["agency_nan"].name}
    assert names(client, q=orgs["agency_nan"].credit_code[:10].lower()) == {orgs["agency_nan"].name}
    response = client.get("/api/v1/organizations", {"region": "12x"})
    assert response.status_code == 422


def test_create_by_community_worker_only_for_their_community(role_users, orgs):
    client = bearer_client(role_users["community_a"])
    payload = {
        "name": "南关厢四点半课堂",
        "region": XIASHI,
        "coverage": [NANGUANXIANG],
        "category": "charity",
        "service_categories": ["education", "child_welfare"],
        "contact_name": "李老师",
        "contact_phone": "+86 139-0000-1111",
    }
    response = client.post("/api/v1/organizations", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["legal_status"] == "filed"
    assert body["contacts"][0]["phone_masked"] == "139****1111"
    assert {t["code"] for t in body["service_categories"]} == {"education", "child_welfare"}
    event = AuditEvent.objects.get(
        action="organizations.organization.created", target_id=body["id"]
    )
    assert "13900001111" not in str(event.changes)

    response = client.post(
        "/api/v1/organizations",
        {**payload, "name": "东山某队", "coverage": [DONGSHAN]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "organization.region.out_of_scope"
    response = client.post(
        "/api/v1/organizations",
        {**payload, "name": "某机构", "org_kind": "service_agency"},
        content_type="application/json",
    )
    assert response.json()["code"] == "organization.region.out_of_scope"


def test_create_errors_have_field_codes(role_users):
    client = bearer_client(role_users["county"])
    response = client.post(
        "/api/v1/organizations",
        {
            "name": "海宁市某协会",
            "region": "330481",
            "legal_status": "registered",
            "org_kind": "association",
            "credit_code": CODE_ASSOCIATION[:-1] + "0",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "organization.credit_code.checksum"
    assert "credit_code" in body["fields"]


def test_patch_permissions_per_role(role_users, orgs):
    def patch(key, org, **data):
        return bearer_client(role_users[key]).patch(
            f"/api/v1/organizations/{org.pk}", data, content_type="application/json"
        )

    assert patch("community_a", orgs["nan"], description="新简介").status_code == 200
    assert patch("community_a", orgs["dong"], description="x").status_code == 404
    assert patch("community_a", orgs["agency_nan"], description="x").status_code == 403
    assert patch("auditor", orgs["nan"], description="x").status_code == 403
    assert patch("charity_staff", orgs["nan"], description="x").status_code == 403
    assert patch("social_worker", orgs["nan"], description="x").status_code == 403
    assert patch("org_staff", orgs["own"], staff_full_time=3).status_code == 200
    response = patch("org_staff", orgs["own"], name="改名")
    assert response.status_code == 403
    assert response.json()["code"] == "organization.official_fields_forbidden"
    assert patch("township", orgs["agency_nan"], description="x").status_code == 403
    assert patch("county", orgs["agency_nan"], description="县级").status_code == 200
    response = patch("county", orgs["nan"], legal_status="registered")
    assert response.status_code == 422


def test_lifecycle_endpoints(role_users, orgs):
    township = bearer_client(role_users["township"])
    url = f"/api/v1/organizations/{orgs['nan'].pk}"
    response = township.post(f"{url}/file", {}, content_type="application/json")
    assert response.status_code == 200  # already filed: a no-op
    response = township.post(
        f"{url}/register", {"credit_code": CODE_ASSOCIATION}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["legal_status"] == "registered"
    response = township.post(f"{url}/file", {}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "organization.invalid_transition"
    again = township.post(
        f"{url}/register", {"credit_code": CODE_ASSOCIATION}, content_type="application/json"
    )
    assert again.status_code == 200  # repeating is a no-op
    community = bearer_client(role_users["community_a"])
    response = community.post(f"{url}/deregister", {}, content_type="application/json")
    assert response.status_code == 403
    response = township.post(
        f"{url}/deregister", {"reason": "停止活动"}, content_type="application/json"
    )
    assert response.json()["legal_status"] == "deregistered"


def test_grade_endpoint(role_users, orgs):
    url = f"/api/v1/organizations/{orgs['agency_nan'].pk}/grade"
    township = bearer_client(role_users["township"])
    payload = {"grade": "4A", "awarded_on": "2024-12-01"}
    assert township.post(url, payload, content_type="application/json").status_code == 403
    county = bearer_client(role_users["county"])
    body = county.post(url, payload, content_type="application/json").json()
    assert body["grade"]["grade"] == "4A"
    assert body["grade"]["expires_on"] == "2029-11-30"
    response = county.post(
        url, {"grade": "6A", "awarded_on": "2024-12-01"}, content_type="application/json"
    )
    assert response.status_code == 422
    response = county.post(
        f"/api/v1/organizations/{orgs['nan'].pk}/grade", payload, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "organization.grade.not_registered"


def test_grade_expiring_filter(role_users, orgs):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    Organization.objects.filter(pk=orgs["agency_nan"].pk).update(
        grade="3A",
        grade_awarded_on=today - timedelta(days=1700),
        grade_expires_on=today + timedelta(days=20),
    )
    client = bearer_client(role_users["county"])
    assert names(client, grade_state="expiring") == {orgs["agency_nan"].name}
    assert names(client, grade_state="expired") == set()
    body = client.get(f"/api/v1/organizations/{orgs['agency_nan'].pk}").json()
    assert body["grade"]["state"] == "expiring" and body["grade"]["days_left"] == 20
