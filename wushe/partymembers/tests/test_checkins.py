"""Party members reporting to communities: API shapes and codes, scope per role, ending a
check-in, masking and audited reveal, pages."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wushe.audit.models import AuditEvent
from wushe.core.identifiers import id_number_check_char
from wushe.partymembers.models import PartyMemberCheckin
from wushe.partymembers.services import checkin_create
from wushe.testing import DONGSHAN, NANGUANXIANG, PASSWORD, XIASHI, bearer_client

pytestmark = pytest.mark.django_db


def id_number(serial: int, born: str = "19750512") -> str:
    body = f"330481{born}{serial:03d}"
    return body + id_number_check_char(body)


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def make_checkin(actor, serial, region=NANGUANXIANG, **extra):
    values = {
        "name": f"党员{serial}",
        "id_number": id_number(serial),
        "phone": f"1390000{serial:04d}",
        "work_unit": "海宁市人民医院",
        "party_organization": "海宁市人民医院党委",
        "region_code": region,
        "reported_on": date(2024, 7, 1),
        "categories": ["health"],
        "skills": ["medical"],
    }
    values.update(extra)
    return checkin_create(actor=actor, **values)


@pytest.fixture
def checkins(role_users):
    admin = role_users["admin"]
    haizhou_community = "330481002002"  # 海洲社区
    return {
        "ngx": make_checkin(admin, 1, NANGUANXIANG, name="沈卫东"),
        "dongshan": make_checkin(admin, 2, DONGSHAN, name="徐丽华"),
        "haizhou": make_checkin(admin, 3, haizhou_community, name="朱建华"),
    }


def body(serial, **extra):
    data = {
        "name": "陆志刚",
        "id_number": id_number(serial),
        "phone": "13912345678",
        "work_unit": "国网海宁市供电公司",
        "party_organization": "国网海宁市供电公司党委",
        "region": DONGSHAN,
        "reported_on": "2025-03-05",
        "categories": ["daily_care", "safety"],
        "skills": ["repair"],
    }
    data.update(extra)
    return data


def test_community_worker_registers_a_checkin_masked(role_users):
    client = bearer_client(role_users["community_b"])
    response = client.post("/api/v1/party-members", body(10), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["region"]["code"] == DONGSHAN and data["status"] == "active"
    assert [c["code"] for c in data["categories"]] == ["daily_care", "safety"]
    assert [s["name"] for s in data["skills"]] == ["家电维修"]
    assert data["phone_masked"] == "139****5678"
    assert id_number(10) not in response.content.decode()
    event = AuditEvent.objects.get(action="partymembers.checkin.created")
    dumped = json.dumps(event.changes, ensure_ascii=False)
    assert id_number(10) not in dumped and "13912345678" not in dumped
    assert event.changes["categories"] == ["daily_care", "safety"]
    other = client.post(
        "/api/v1/party-members", body(11, region=NANGUANXIANG), content_type="application/json"
    )
    assert other.status_code == 422 and other.json()["code"] == "party_member.region.out_of_scope"


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"region": XIASHI}, "party_member.region.level", "region"),
        ({"id_number": "330481197505120010"}, "party_member.id_number.checksum", "id_number"),
        ({"work_unit": "  "}, "party_member.work_unit.required", "work_unit"),
        (
            {"categories": ["daily_care", "haircut"]},
            "party_member.categories.unknown",
            "categories",
        ),
        ({"skills": ["daily_care"]}, "party_member.skills.unknown", "skills"),
        (
            {"reported_on": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "party_member.reported_on.future",
            "reported_on",
        ),
    ],
)
def test_validation_errors_name_field_and_rule(role_users, extra, code, field):
    response = bearer_client(role_users["township"]).post(
        "/api/v1/party-members", body(20, **extra), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code and field in response.json()["fields"]


def test_one_active_checkin_per_person_in_a_county(role_users, checkins):
    client = bearer_client(role_users["county"])
    again = client.post(
        "/api/v1/party-members", body(1, region=DONGSHAN), content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "party_member.duplicate_active"
    ended = client.post(
        f"/api/v1/party-members/{checkins['ngx'].pk}/end", {}, content_type="application/json"
    )
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    moved = client.post(
        "/api/v1/party-members", body(1, region=DONGSHAN), content_type="application/json"
    )
    assert moved.status_code == 201


def test_scope_per_role(role_users, checkins):
    def names(key):
        response = bearer_client(role_users[key]).get("/api/v1/party-members")
        return response.status_code, {c["name"] for c in response.json().get("items", [])}

    assert names("community_a") == (200, {"沈卫东"})
    assert names("community_b") == (200, {"徐丽华"})
    assert names("township") == (200, {"沈卫东", "徐丽华"})
    assert names("social_worker") == (200, {"沈卫东", "徐丽华"})
    assert names("county")[1] == {"沈卫东", "徐丽华", "朱建华"}
    assert names("auditor")[1] == {"沈卫东", "徐丽华", "朱建华"}
    for key in ("resident", "volunteer", "org_staff", "charity_staff"):
        assert names(key)[0] == 403
    ngx = checkins["ngx"].pk
    assert (
        bearer_client(role_users["community_b"]).get(f"/api/v1/party-members/{ngx}").status_code
        == 404
    )
    assert (
        bearer_client(role_users["resident"]).get(f"/api/v1/party-members/{ngx}").status_code == 404
    )
    # The member linked to the check-in sees their own.
    PartyMemberCheckin.objects.filter(pk=ngx).update(user=role_users["resident"])
    assert (
        bearer_client(role_users["resident"]).get(f"/api/v1/party-members/{ngx}").status_code == 200
    )
    assert (
        bearer_client(role_users["resident"])
        .get(f"/api/v1/party-members/{checkins['dongshan'].pk}")
        .status_code
        == 404
    )


def test_filters(role_users, checkins):
    make_checkin(
        role_users["admin"], 4, NANGUANXIANG, name="钱美琴", categories=["legal_aid"], skills=[]
    )
    client = bearer_client(role_users["township"])
    by_category = client.get("/api/v1/party-members?category=legal_aid").json()["items"]
    assert [c["name"] for c in by_category] == ["钱美琴"]
    by_region = client.get(f"/api/v1/party-members?region={DONGSHAN}").json()["items"]
    assert [c["name"] for c in by_region] == ["徐丽华"]
    by_unit = client.get("/api/v1/party-members?q=人民医院").json()["count"]
    assert by_unit == 3


def test_auditor_reads_and_cannot_write(role_users, checkins):
    client = bearer_client(role_users["auditor"])
    pk = checkins["ngx"].pk
    assert client.get(f"/api/v1/party-members/{pk}").status_code == 200
    assert (
        client.patch(
            f"/api/v1/party-members/{pk}", {"name": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/party-members/{pk}/end", {}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        client.post("/api/v1/party-members", body(30), content_type="application/json").status_code
        == 403
    )


def test_patch_and_end(role_users, checkins):
    client = bearer_client(role_users["community_a"])
    pk = checkins["ngx"].pk
    patched = client.patch(
        f"/api/v1/party-members/{pk}",
        {"work_unit": "海宁市中医院", "categories": ["psychological"], "status": "ended"},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["work_unit"] == "海宁市中医院"
    assert [c["code"] for c in patched.json()["categories"]] == ["psychological"]
    assert patched.json()["skills"][0]["code"] == "medical"  # not given: kept
    assert patched.json()["status"] == "active"  # status only changes by ending
    moved = client.patch(
        f"/api/v1/party-members/{pk}",
        {"region": "330481002002"},
        content_type="application/json",
    )
    assert moved.status_code == 422 and moved.json()["code"] == "party_member.region.out_of_scope"
    too_early = client.post(
        f"/api/v1/party-members/{pk}/end",
        {"ended_on": "2020-01-01"},
        content_type="application/json",
    )
    assert (
        too_early.status_code == 422 and too_early.json()["code"] == "party_member.ended_on.invalid"
    )
    ended = client.post(f"/api/v1/party-members/{pk}/end", {}, content_type="application/json")
    assert ended.json()["ended_on"] == timezone.localdate().isoformat()
    again = client.post(f"/api/v1/party-members/{pk}/end", {}, content_type="application/json")
    assert again.status_code == 200  # repeating is a no-op
    assert AuditEvent.objects.filter(action="partymembers.checkin.ended").count() == 1


def test_reveal_is_audited_and_limited(role_users, checkins):
    def reveal(user, field="id_number"):
        return bearer_client(user).post(
            "/api/v1/personal/reveal",
            {
                "subject_type": "partymembers.partymembercheckin",
                "subject_id": checkins["ngx"].pk,
                "field": field,
                "reason": "联系党员参加活动",
            },
            content_type="application/json",
        )

    assert reveal(role_users["community_a"]).json()["value"] == id_number(1)
    assert reveal(role_users["township"], "phone").json()["value"] == "+8613900000001"
    assert (
        AuditEvent.objects.filter(
            action="privacy.personal.revealed", target_type="partymembers.partymembercheckin"
        ).count()
        == 2
    )
    assert reveal(role_users["auditor"]).status_code == 403
    assert reveal(role_users["community_b"]).status_code == 404


def test_pages(role_users, checkins):
    client = signed_in(role_users["community_a"])
    html = client.get("/partymembers/").content.decode()
    assert "党员报到" in html and "沈卫东" in html and "徐丽华" not in html
    assert id_number(1) not in html and "医疗保健" in html
    detail = client.get(f"/partymembers/{checkins['ngx'].pk}/").content.decode()
    assert "海宁市人民医院党委" in detail and "查看完整" in detail and "结束报到" in detail
    assert id_number(1) not in detail
    assert client.get(f"/partymembers/{checkins['dongshan'].pk}/").status_code == 404

    form = client.get("/partymembers/new/").content.decode()
    assert "可参与的服务类别" in form and "生活照料" in form
    created = client.post(
        "/partymembers/new/",
        {
            "name": "马永明",
            "id_number": id_number(40),
            "work_unit": "海宁市教育局",
            "party_organization": "海宁市教育局机关党委",
            "region": NANGUANXIANG,
            "reported_on": "2025-01-02",
        },
    )
    checkin = PartyMemberCheckin.objects.get(name="马永明")
    assert created.status_code == 302 and created["Location"] == f"/partymembers/{checkin.pk}/"
    bad = client.post(
        "/partymembers/new/",
        {
            "name": "放错",
            "id_number": id_number(41),
            "work_unit": "单位",
            "party_organization": "党组织",
            "region": XIASHI,
            "reported_on": "2025-01-02",
        },
    )
    assert "党员应向具体的社区（村）报到" in bad.content.decode()
    ended = client.post(f"/partymembers/{checkin.pk}/end/", {"ended_on": ""})
    assert ended.status_code == 302
    checkin.refresh_from_db()
    assert checkin.status == "ended"

    auditor = signed_in(role_users["auditor"])
    assert auditor.get("/partymembers/").status_code == 200
    assert "结束报到" not in auditor.get(f"/partymembers/{checkins['ngx'].pk}/").content.decode()
    assert auditor.get("/partymembers/new/").status_code == 403
    assert signed_in(role_users["resident"]).get("/partymembers/").status_code == 403
