"""The social worker register through the API: shapes, validation codes, scope per role,
renewals and continuing education, warnings, masking and audited reveal."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from wushe.accounts.roles import Role
from wushe.audit.models import AuditEvent
from wushe.organizations.models import Organization
from wushe.testing import DONGSHAN, HAIZHOU, XIASHI, bearer_client, make_user

from .conftest import id_number, make_worker, years_ago

pytestmark = pytest.mark.django_db


def payload(serial: int, **extra):
    data = {
        "name": "陈雅琴",
        "id_number": id_number(serial),
        "phone": "13812345678",
        "certificate_level": "intermediate",
        "certificate_number": f"zs 2020 {serial:04d}",
        "certificate_date": "2020-11-01",
        "registered_on": "2021-05-20",
        "region": XIASHI,
    }
    data.update(extra)
    return data


def test_township_registers_a_social_worker_masked_everywhere(role_users, stations):
    client = bearer_client(role_users["township"])
    full = id_number(41)
    response = client.post(
        "/api/v1/social-workers",
        payload(41, station_id=stations["xiashi"].pk, resident_at_station=True),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_number_masked"] == full[:4] + "*" * 10 + full[-4:]
    assert body["phone_masked"] == "138****5678"
    assert body["certificate_number"] == "ZS20200041"  # spaces removed, upper case
    assert body["certificate_level_label"] == "社会工作师"
    assert body["sex"] == "male" and body["birth_date"] == "1990-03-07"
    assert body["registration_expires_on"] == "2024-05-20"
    assert body["standing"]["deadline"] == "overdue"
    assert body["station"]["name"] == "硖石街道社会工作服务站"
    assert body["renewals"] == [] and body["education"] == []
    raw = response.content.decode()
    assert full not in raw and "13812345678" not in raw
    event = AuditEvent.objects.get(action="socialworkers.social_worker.created")
    assert full not in json.dumps(event.changes, ensure_ascii=False)
    assert "13812345678" not in json.dumps(event.changes)
    assert event.region_code == XIASHI
    # Detail and list show the same masked values.
    detail = client.get(f"/api/v1/social-workers/{body['id']}").content.decode()
    listing = client.get("/api/v1/social-workers").content.decode()
    assert full not in detail and full not in listing
    assert body["id_number_masked"] in listing


@pytest.mark.parametrize(
    ("extra", "status", "code", "field"),
    [
        ({"id_number": "330481199003070012"}, 422, "social_worker.id_number.checksum", "id_number"),
        ({"id_number": "3.30481E+17"}, 422, "social_worker.id_number.excel_number", "id_number"),
        ({"phone": "12345"}, 422, "social_worker.phone.format", "phone"),
        (
            {"registered_on": "2020-10-01"},
            422,
            "social_worker.registered_on.before_certificate",
            "registered_on",
        ),
        (
            {"resident_at_station": True},
            422,
            "social_worker.resident_at_station.no_station",
            "resident_at_station",
        ),
        ({"region": "330481"}, 201, None, None),  # a county-level register is allowed
        ({"region": "330482001000"}, 422, "social_worker.region.not_found", "region"),
        ({"certificate_number": "证书"}, 422, "social_worker.certificate_number.format", None),
    ],
)
def test_validation_errors_name_field_and_rule(role_users, extra, status, code, field):
    client = bearer_client(role_users["county"])
    response = client.post(
        "/api/v1/social-workers", payload(50, **extra), content_type="application/json"
    )
    assert response.status_code == status, response.content
    if code:
        body = response.json()
        assert body["code"] == code
        assert body["message"]
        if field:
            assert field in body["fields"]


def test_duplicates_are_conflicts(role_users, workers):
    client = bearer_client(role_users["county"])
    same_person = client.post(
        "/api/v1/social-workers", payload(1, region=DONGSHAN), content_type="application/json"
    )
    assert same_person.status_code == 409
    assert same_person.json()["code"] == "social_worker.id_number.duplicate"
    same_cert = client.post(
        "/api/v1/social-workers",
        payload(60, certificate_number="ZS20190001"),
        content_type="application/json",
    )
    assert same_cert.status_code == 409
    assert same_cert.json()["code"] == "social_worker.certificate_number.duplicate"


def test_scope_per_role(role_users, workers):
    ids = {key: w.pk for key, w in workers.items()}

    def names(key):
        response = bearer_client(role_users[key]).get("/api/v1/social-workers")
        return response.status_code, {w["name"] for w in response.json().get("items", [])}

    assert names("community_a") == (200, {"李丽娟"})
    assert names("community_b") == (200, set())
    assert names("township") == (200, {"王晓燕", "李丽娟"})
    assert names("social_worker") == (200, {"王晓燕", "李丽娟"})  # the register in its scope
    assert names("county")[1] == {"王晓燕", "李丽娟", "张海涛"}
    assert names("auditor")[1] == {"王晓燕", "李丽娟", "张海涛"}
    assert names("resident")[0] == 403
    assert names("volunteer")[0] == 403
    assert names("charity_staff")[0] == 403

    community_b = bearer_client(role_users["community_b"])
    assert community_b.get(f"/api/v1/social-workers/{ids['ngx']}").status_code == 404
    township = bearer_client(role_users["township"])
    assert township.get(f"/api/v1/social-workers/{ids['ngx']}").status_code == 200
    assert township.get(f"/api/v1/social-workers/{ids['haizhou']}").status_code == 404
    resident = bearer_client(role_users["resident"])
    assert resident.get(f"/api/v1/social-workers/{ids['ngx']}").status_code == 404


def test_auditor_reads_and_cannot_write(role_users, workers):
    client = bearer_client(role_users["auditor"])
    worker = workers["ngx"]
    assert client.get(f"/api/v1/social-workers/{worker.pk}").status_code == 200
    for response in (
        client.patch(
            f"/api/v1/social-workers/{worker.pk}", {"name": "x"}, content_type="application/json"
        ),
        client.post("/api/v1/social-workers", payload(70), content_type="application/json"),
        client.post(
            f"/api/v1/social-workers/{worker.pk}/renewals",
            {"renewed_on": "2023-03-01"},
            content_type="application/json",
        ),
        client.post(
            f"/api/v1/social-workers/{worker.pk}/education",
            {"taken_on": "2023-03-01", "hours": "8", "provider": "协会", "topic": "伦理"},
            content_type="application/json",
        ),
    ):
        assert response.status_code == 403, response.content
    worker.refresh_from_db()
    assert worker.name == "李丽娟"


def test_community_worker_cannot_patch_another_communitys_worker(role_users, workers):
    response = bearer_client(role_users["community_b"]).patch(
        f"/api/v1/social-workers/{workers['ngx'].pk}",
        {"name": "改名"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_a_linked_login_sees_its_own_record_only(role_users, workers):
    # A volunteer account (no worker role) linked to the 海洲 record.
    person = make_user("u_linked", Role.VOLUNTEER, DONGSHAN)
    admin = bearer_client(role_users["admin"])
    linked = admin.patch(
        f"/api/v1/social-workers/{workers['haizhou'].pk}",
        {"user_id": person.pk},
        content_type="application/json",
    )
    assert linked.status_code == 200
    client = bearer_client(person)
    assert client.get(f"/api/v1/social-workers/{workers['haizhou'].pk}").status_code == 200
    assert client.get(f"/api/v1/social-workers/{workers['xiashi'].pk}").status_code == 404
    # They may record their own continuing education, not change the record.
    education = client.post(
        f"/api/v1/social-workers/{workers['haizhou'].pk}/education",
        {"taken_on": "2024-05-01", "hours": "6.5", "provider": "嘉兴市社工协会", "topic": "个案"},
        content_type="application/json",
    )
    assert education.status_code == 201
    patch = client.patch(
        f"/api/v1/social-workers/{workers['haizhou'].pk}",
        {"name": "x"},
        content_type="application/json",
    )
    assert patch.status_code == 403
    # Another account cannot be linked to the same record's county twice.
    twice = admin.patch(
        f"/api/v1/social-workers/{workers['xiashi'].pk}",
        {"user_id": person.pk},
        content_type="application/json",
    )
    assert twice.status_code == 409 and twice.json()["code"] == "social_worker.user.taken"


def test_org_staff_see_the_workers_their_organisation_employs(role_users, workers):
    org = Organization.objects.create(name="善行社会工作服务中心", region_id=XIASHI)
    staff = make_user("u_org_sw", Role.ORG_STAFF, HAIZHOU, organization=org)
    admin = bearer_client(role_users["admin"])
    admin.patch(
        f"/api/v1/social-workers/{workers['haizhou'].pk}",
        {"employer_id": org.pk},
        content_type="application/json",
    )
    client = bearer_client(staff)
    items = client.get("/api/v1/social-workers").json()["items"]
    assert [w["name"] for w in items] == ["张海涛"]
    assert items[0]["employer"]["name"] == "善行社会工作服务中心"
    assert client.get(f"/api/v1/social-workers/{workers['ngx'].pk}").status_code == 404


def test_station_must_be_in_the_county_and_reachable(role_users, stations, workers):
    # A community's worker may belong to the township station above it.
    client = bearer_client(role_users["community_a"])
    ok = client.patch(
        f"/api/v1/social-workers/{workers['ngx'].pk}",
        {"station_id": stations["xiashi"].pk, "resident_at_station": True},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    # …but not to another township's station it cannot see.
    bad = client.patch(
        f"/api/v1/social-workers/{workers['ngx'].pk}",
        {"station_id": stations["haizhou"].pk},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "social_worker.station.not_found"
    staff = bearer_client(role_users["township"]).get(f"/api/v1/stations/{stations['xiashi'].pk}")
    assert staff.json()["resident_staff_count"] == 2


def test_renewal_moves_the_deadline_and_is_idempotent(role_users, workers):
    client = bearer_client(role_users["township"])
    worker = workers["xiashi"]  # registered 2020-03-15: expired 2023-03-15
    url = f"/api/v1/social-workers/{worker.pk}/renewals"
    first = client.post(url, {"renewed_on": "2023-03-01"}, content_type="application/json")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["registration_expires_on"] == "2026-03-01"
    assert [r["renewed_on"] for r in body["renewals"]] == ["2023-03-01"]
    again = client.post(url, {"renewed_on": "2023-03-01"}, content_type="application/json")
    assert again.status_code == 201 and len(again.json()["renewals"]) == 1
    earlier = client.post(url, {"renewed_on": "2021-01-01"}, content_type="application/json")
    assert earlier.status_code == 422
    assert earlier.json()["code"] == "social_worker.renewal.before_last"
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    ahead = client.post(url, {"renewed_on": future}, content_type="application/json")
    assert ahead.json()["code"] == "social_worker.renewal.future"
    assert AuditEvent.objects.filter(action="socialworkers.social_worker.renewed").count() == 1


def test_renewal_needs_a_first_registration(role_users, regions):
    worker = make_worker(role_users["admin"], 80, registered_on=None)
    response = bearer_client(role_users["township"]).post(
        f"/api/v1/social-workers/{worker.pk}/renewals",
        {"renewed_on": "2021-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "social_worker.renewal.not_registered"


def test_education_hours_count_in_the_current_period(role_users, regions):
    admin = role_users["admin"]
    registered = years_ago(3, days=-30)  # renewal due in about 30 days
    worker = make_worker(
        admin, 81, certificate_date=registered - timedelta(days=90), registered_on=registered
    )
    client = bearer_client(role_users["township"])
    url = f"/api/v1/social-workers/{worker.pk}/education"
    before = (registered - timedelta(days=10)).isoformat()
    inside = (registered + timedelta(days=100)).isoformat()
    client.post(
        url,
        {"taken_on": before, "hours": "30", "provider": "协会", "topic": "伦理"},
        content_type="application/json",
    )
    response = client.post(
        url,
        {"taken_on": inside, "hours": "40.5", "provider": "协会", "topic": "个案管理"},
        content_type="application/json",
    )
    assert response.status_code == 201
    standing = response.json()["standing"]
    assert standing["education_hours"] == "40.5"  # the 30 hours before registration do not count
    assert standing["education_required"] == "72"
    assert standing["deadline"] == "due_soon" and standing["education_short"] is True
    bad = client.post(
        url,
        {"taken_on": inside, "hours": "2.25", "provider": "协会", "topic": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "social_worker.education.hours_invalid"
    enough = client.post(
        url,
        {"taken_on": inside, "hours": "31.5", "provider": "协会", "topic": "督导"},
        content_type="application/json",
    )
    assert enough.json()["standing"]["education_short"] is False


def test_warning_filter_and_counts(role_users, regions):
    admin = role_users["admin"]
    today = timezone.localdate()
    due_in_90 = make_worker(
        admin, 90, registered_on=years_ago(3, days=-90), certificate_date=date(2015, 1, 1)
    )
    due_in_91 = make_worker(
        admin, 91, registered_on=years_ago(3, days=-91), certificate_date=date(2015, 1, 1)
    )
    overdue = make_worker(
        admin, 92, registered_on=years_ago(3, days=1), certificate_date=date(2015, 1, 1)
    )
    first_due = make_worker(
        admin, 93, registered_on=None, certificate_date=today - timedelta(days=300)
    )
    left = make_worker(
        admin,
        94,
        registered_on=years_ago(3, days=5),
        certificate_date=date(2015, 1, 1),
        status="left",
    )
    assert (due_in_90.registration_due_on - today).days == 90
    client = bearer_client(role_users["township"])

    def names(warning):
        items = client.get(f"/api/v1/social-workers?warning={warning}").json()["items"]
        return {w["name"] for w in items}

    assert names("due_soon") == {due_in_90.name, first_due.name}
    assert names("overdue") == {overdue.name}
    assert due_in_91.name not in names("due_soon") and left.name not in names("overdue")
    # Neither has any hours: short only where the renewal is near or late.
    assert names("education_short") == {due_in_90.name, overdue.name}
