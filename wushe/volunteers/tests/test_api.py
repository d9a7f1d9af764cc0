"""The volunteer API per role: scope, masking, audited reveal, shapes and error codes."""

import json

import pytest

from wushe.audit.models import AuditEvent
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI, bearer_client
from wushe.volunteers import services
from wushe.volunteers.models import Volunteer

from .helpers import id_number, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(role_users):
    """李志愿 of 南关厢 (linked to the volunteer login) and 王东山 of 东山."""
    a = register(
        actor=None,
        name="李志愿",
        sequence=2,
        skills=["medical"],
        availability=1 | 1 << 17,  # 周一上午, 周六晚上
        latitude="30.5110",
        longitude="120.6880",
        user=role_users["volunteer"],
    )
    b = register(actor=None, name="王东山", region=DONGSHAN, sequence=4, skills=["legal"])
    return a, b


def client(role_users, key):
    return bearer_client(role_users[key])


def post(c, url, body=None):
    return c.post(url, data=json.dumps(body or {}), content_type="application/json")


def patch(c, url, body):
    return c.patch(url, data=json.dumps(body), content_type="application/json")


def names(response):
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("community_a", ["李志愿"]),
        ("community_b", ["王东山"]),
        ("township", ["李志愿", "王东山"]),
        ("social_worker", ["李志愿", "王东山"]),
        ("county", ["李志愿", "王东山"]),
        ("province", ["李志愿", "王东山"]),
        ("auditor", ["李志愿", "王东山"]),
        ("admin", ["李志愿", "王东山"]),
        ("org_staff", []),
    ],
)
def test_list_is_scoped_per_role(role_users, people, key, expected):
    assert names(client(role_users, key).get("/api/v1/volunteers")) == expected


@pytest.mark.parametrize("key", ["resident", "volunteer", "charity_staff"])
def test_no_register_for_residents_volunteers_and_charity_staff(role_users, people, key):
    response = client(role_users, key).get("/api/v1/volunteers")
    assert response.status_code == 403
    assert response.json()["code"] == "volunteer.forbidden"


def test_detail_outside_scope_is_404(role_users, people):
    a, b = people
    c = client(role_users, "community_b")
    assert c.get(f"/api/v1/volunteers/{a.pk}").status_code == 404
    assert c.get(f"/api/v1/volunteers/{b.pk}").status_code == 200
    township = client(role_users, "township")
    assert township.get(f"/api/v1/volunteers/{a.pk}").status_code == 200
    assert township.get(f"/api/v1/volunteers/{b.pk}").status_code == 200
    assert client(role_users, "resident").get(f"/api/v1/volunteers/{a.pk}").status_code == 404


def test_detail_shape_is_masked_with_skills_availability_stars_and_location(role_users, people):
    a, _b = people
    response = client(role_users, "community_a").get(f"/api/v1/volunteers/{a.pk}")
    body = response.json()
    raw = response.content.decode()
    assert id_number(sequence=2) not in raw and "13812345678" not in raw
    assert body["id_number_masked"].startswith("3304") and "*" in body["id_number_masked"]
    assert body["phone_masked"] == "138****5678"
    assert body["skills"] == [{"code": "medical", "name": "医疗护理"}]
    assert body["availability"]["mask"] == 1 | 1 << 17
    assert [s["label"] for s in body["availability"]["slots"]] == ["周一上午", "周六晚上"]
    assert body["availability"]["text"] == "周一上午、周六晚上"
    assert body["stars"] == 0 and body["verified_minutes"] == 0
    assert body["location"] == {"latitude": 30.511, "longitude": 120.688, "coord_source": "wgs84"}
    assert body["region"] == {"code": NANGUANXIANG, "name": "南关厢社区居委会"}
    assert body["status"] == "active" and body["status_label"] == "在册"
    assert body["consents"][0]["purpose"] == "volunteer_record"
    assert body["can_reveal"] is True and "name" in body["editable_fields"]


def test_filters(role_users, people):
    c = client(role_users, "township")
    assert names(c.get("/api/v1/volunteers?skill=legal")) == ["王东山"]
    assert names(c.get("/api/v1/volunteers?day=5&period=2")) == ["李志愿"]
    assert names(c.get("/api/v1/volunteers?day=1")) == []
    assert names(c.get(f"/api/v1/volunteers?region={DONGSHAN}")) == ["王东山"]
    assert names(c.get("/api/v1/volunteers?region=330481001")) == ["李志愿", "王东山"]
    assert names(c.get("/api/v1/volunteers?name=王")) == ["王东山"]
    assert names(c.get(f"/api/v1/volunteers?id_number={id_number(sequence=2)}")) == ["李志愿"]
    assert names(c.get("/api/v1/volunteers?status=suspended")) == []
    bad = c.get("/api/v1/volunteers?id_number=330481199003070020")
    assert bad.status_code == 422 and bad.json()["code"] == "id_number.checksum"
    page = c.get("/api/v1/volunteers?limit=1").json()
    assert page["count"] == 2 and page["count_exact"] is True and len(page["items"]) == 1


def test_register_through_the_api(role_users):
    c = client(role_users, "community_a")
    body = {
        "name": "赵新",
        "id_number": id_number(sequence=6).lower(),
        "phone": "139 0000 2222",
        "region": NANGUANXIANG,
        "skills": ["first_aid"],
        "availability_text": "周六全天",
        "latitude": "30.514",
        "longitude": "120.693",
        "coord_source": "gcj02",
        "consent": True,
    }
    response = post(c, "/api/v1/volunteers", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("330481") and data["location"]["coord_source"] == "gcj02"
    assert data["location"]["latitude"] != 30.514  # converted to WGS-84
    assert data["availability"]["text"] == "周六全天"
    again = post(c, "/api/v1/volunteers", body)
    assert again.status_code == 409 and again.json()["code"] == "volunteer.duplicate"
    no_consent = post(
        c, "/api/v1/volunteers", {**body, "id_number": id_number(sequence=8), "consent": False}
    )
    assert no_consent.status_code == 422
    assert no_consent.json()["code"] == "volunteer.consent_required"
    elsewhere = post(
        c, "/api/v1/volunteers", {**body, "id_number": id_number(sequence=8), "region": DONGSHAN}
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["code"] == "volunteer.region.out_of_scope"
    assert post(client(role_users, "auditor"), "/api/v1/volunteers", body).status_code == 403
    bad = post(
        c,
        "/api/v1/volunteers",
        {**body, "id_number": id_number(sequence=8), "availability_text": "明天"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "volunteer.availability.format"


def test_volunteer_sees_and_edits_only_own_limited_fields(role_users, people):
    a, b = people
    c = client(role_users, "volunteer")
    me = c.get("/api/v1/volunteers/me")
    assert me.status_code == 200 and me.json()["id"] == a.pk
    assert sorted(me.json()["editable_fields"]) == ["availability", "phone", "skills"]
    assert c.get(f"/api/v1/volunteers/{b.pk}").status_code == 404
    ok = patch(c, f"/api/v1/volunteers/{a.pk}", {"availability_text": "周日下午", "skills": []})
    assert ok.status_code == 200 and ok.json()["availability"]["text"] == "周日下午"
    denied = patch(c, f"/api/v1/volunteers/{a.pk}", {"name": "改名"})
    assert denied.status_code == 403 and denied.json()["code"] == "volunteer.field_forbidden"
    assert post(c, f"/api/v1/volunteers/{a.pk}/suspend").status_code == 403
    resident = client(role_users, "resident").get("/api/v1/volunteers/me")
    assert resident.status_code == 404 and resident.json()["code"] == "volunteer.not_linked"


def test_auditor_reads_but_cannot_write(role_users, people):
    a, _b = people
    c = client(role_users, "auditor")
    assert c.get(f"/api/v1/volunteers/{a.pk}").json()["editable_fields"] == []
    assert patch(c, f"/api/v1/volunteers/{a.pk}", {"phone": ""}).status_code == 403
    assert post(c, f"/api/v1/volunteers/{a.pk}/withdraw").status_code == 403
    a.refresh_from_db()
    assert a.status == "active" and a.phone_masked


def test_transitions_via_api(role_users, people):
    a, _b = people
    c = client(role_users, "community_a")
    r = post(c, f"/api/v1/volunteers/{a.pk}/suspend", {"reason": "生病休养"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert post(c, f"/api/v1/volunteers/{a.pk}/suspend").status_code == 200  # no-op
    assert post(c, f"/api/v1/volunteers/{a.pk}/withdraw").json()["status"] == "withdrawn"
    conflict = post(c, f"/api/v1/volunteers/{a.pk}/suspend")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "volunteer.invalid_transition"
    assert post(c, f"/api/v1/volunteers/{a.pk}/reactivate").json()["status"] == "active"
    assert (
        AuditEvent.objects.filter(action__startswith="volunteers.volunteer.", target_id=str(a.pk))
        .exclude(action="volunteers.volunteer.registered")
        .count()
        == 3
    )
    assert (
        post(client(role_users, "community_b"), f"/api/v1/volunteers/{a.pk}/suspend").status_code
        == 404
    )


def test_reveal_is_audited_and_refused_to_auditor_and_org_staff(role_users, people):
    a, _b = people
    body = {
        "subject_type": "volunteers.volunteer",
        "subject_id": a.pk,
        "field": "id_number",
        "reason": "核对保险投保信息",
    }
    ok = post(client(role_users, "community_a"), "/api/v1/personal/reveal", body)
    assert ok.status_code == 200 and ok.json()["value"] == id_number(sequence=2)
    event = AuditEvent.objects.get(action="privacy.personal.revealed")
    assert event.target_id == str(a.pk) and event.changes["reason"] == "核对保险投保信息"
    assert id_number(sequence=2) not in json.dumps(event.changes)
    refused = post(client(role_users, "auditor"), "/api/v1/personal/reveal", body)
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="privacy.personal.reveal_refused").exists()
    hidden = post(client(role_users, "community_b"), "/api/v1/personal/reveal", body)
    assert hidden.status_code == 404
    own = post(client(role_users, "volunteer"), "/api/v1/personal/reveal", body)
    assert own.status_code == 200


def test_org_staff_see_members_of_their_organisations_teams(role_users, people):
    a, b = people
    township = client(role_users, "township")
    org_id = role_users["org_staff"].grants.get().organization_id
    created = post(
        township,
        "/api/v1/volunteer-teams",
        {"name": "邻里守望队", "region": XIASHI, "organization_id": org_id},
    )
    assert created.status_code == 201, created.content
    team_id = created.json()["id"]
    added = post(
        township,
        f"/api/v1/volunteer-teams/{team_id}/members",
        {"volunteer_id": b.pk, "role": "leader"},
    )
    assert added.status_code == 201
    assert added.json()["leader"]["name"] == "王东山" and added.json()["member_count"] == 1
    org = client(role_users, "org_staff")
    assert names(org.get("/api/v1/volunteers")) == ["王东山"]
    assert org.get(f"/api/v1/volunteers/{a.pk}").status_code == 404
    detail = org.get(f"/api/v1/volunteers/{b.pk}").json()
    assert detail["editable_fields"] == [] and detail["can_reveal"] is False
    assert [t["name"] for t in org.get("/api/v1/volunteer-teams").json()["items"]] == ["邻里守望队"]
    assert patch(org, f"/api/v1/volunteers/{b.pk}", {"phone": ""}).status_code == 403
    # The 东山 worker does not see the township team, so cannot change it.
    assert (
        post(
            client(role_users, "community_b"),
            f"/api/v1/volunteer-teams/{team_id}/members",
            {"volunteer_id": b.pk},
        ).status_code
        == 404
    )


def test_team_api_errors(role_users, people):
    township = client(role_users, "township")
    bad_org = post(
        township,
        "/api/v1/volunteer-teams",
        {"name": "X队", "region": XIASHI, "organization_id": 999999},
    )
    assert bad_org.status_code == 422
    assert bad_org.json()["code"] == "volunteer_team.organization.invalid"
    outside = post(
        client(role_users, "community_b"),
        "/api/v1/volunteer-teams",
        {"name": "X队", "region": NANGUANXIANG},
    )
    assert outside.status_code == 422
    assert outside.json()["code"] == "volunteer_team.region.out_of_scope"
    assert (
        post(
            client(role_users, "auditor"),
            "/api/v1/volunteer-teams",
            {"name": "X队", "region": XIASHI},
        ).status_code
        == 403
    )
    team = services.team_create(name="东山队", region_code=DONGSHAN, actor=None)
    withdrawn = services.volunteer_withdraw(
        volunteer=Volunteer.objects.get(name="王东山"), actor=None
    )
    r = post(
        client(role_users, "community_b"),
        f"/api/v1/volunteer-teams/{team.pk}/members",
        {"volunteer_id": withdrawn.pk},
    )
    assert r.status_code == 409 and r.json()["code"] == "volunteer_team.volunteer_withdrawn"


def test_a_writer_links_a_login_which_then_sees_its_record(role_users, people):
    _a, b = people
    c = client(role_users, "community_b")
    unknown = patch(c, f"/api/v1/volunteers/{b.pk}", {"username": "nobody"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "volunteer.user.unknown"
    linked = patch(c, f"/api/v1/volunteers/{b.pk}", {"username": "u_resident"})
    assert linked.status_code == 200 and linked.json()["has_login"] is True
    me = client(role_users, "resident").get("/api/v1/volunteers/me")
    assert me.status_code == 200 and me.json()["name"] == "王东山"
    unchanged = patch(c, f"/api/v1/volunteers/{b.pk}", {"registered_on": None, "name": "王东山"})
    assert (
        unchanged.status_code == 200
        and unchanged.json()["registered_on"] == b.registered_on.isoformat()
    )
