"""Personal data: masked everywhere, revealed only by an audited action of an allowed role;
sensitive tags shown only to the roles that need them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from wushe.audit.models import AuditEvent
from wushe.core.personal import unseal
from wushe.residents import services
from wushe.residents.rules import HIDDEN_TAG
from wushe.testing import PASSWORD, bearer_client

from .conftest import make_id

pytestmark = pytest.mark.django_db

FULL_ID = make_id("19560312", 2)
FULL_PHONE = "13912345678"


def _login(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def _reveal(user, resident, field="id_number", reason="电话回访核实身份"):
    return bearer_client(user).post(
        "/api/v1/personal/reveal",
        {
            "subject_type": "residents.resident",
            "subject_id": resident.pk,
            "field": field,
            "reason": reason,
        },
        content_type="application/json",
    )


# --- Masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["community_a", "township", "county", "auditor", "resident"])
def test_api_and_pages_never_show_the_full_values(role, role_users, people):
    resident = people["nanguanxiang"]
    assert unseal(resident, "id_number") == FULL_ID  # the fixture holds what we look for
    api = bearer_client(role_users[role])
    bodies = [
        api.get("/api/v1/residents").content.decode(),
        api.get(f"/api/v1/residents/{resident.pk}").content.decode(),
    ]
    client = _login(role_users[role])
    bodies.append(client.get(f"/residents/{resident.pk}/").content.decode())
    if role != "resident":
        bodies.append(client.get("/residents/").content.decode())
    for body in bodies:
        assert FULL_ID not in body and FULL_PHONE not in body
        assert resident.id_number_masked in body
        assert "139****5678" in body


def test_reveal_by_community_worker_returns_the_value_and_is_audited(role_users, people):
    resident = people["nanguanxiang"]
    response = _reveal(role_users["community_a"], resident)
    assert response.status_code == 200
    assert response.json() == {"value": FULL_ID}
    phone = _reveal(role_users["community_a"], resident, field="phone")
    assert phone.json() == {"value": "+86" + FULL_PHONE}
    events = AuditEvent.objects.filter(action="privacy.personal.revealed").order_by("id")
    assert [e.changes["field"] for e in events] == ["id_number", "phone"]
    assert events[0].target_type == "residents.resident"
    assert events[0].target_id == str(resident.pk)
    assert events[0].changes["reason"] == "电话回访核实身份"
    assert FULL_ID not in json.dumps([e.changes for e in events])


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("township", 200),
        ("county", 200),
        ("province", 200),
        ("admin", 200),
        ("auditor", 403),
        ("social_worker", 403),
        ("resident", 403),
        ("community_b", 404),
        ("volunteer", 404),
        ("org_staff", 404),
    ],
)
def test_who_may_reveal(role, status, role_users, people):
    response = _reveal(role_users[role], people["nanguanxiang"])
    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "privacy.reveal_forbidden"
        assert AuditEvent.objects.filter(
            action="privacy.personal.reveal_refused", actor=role_users[role]
        ).exists()
        assert FULL_ID not in response.content.decode()


def test_reveal_button_only_for_roles_that_may_reveal(role_users, people):
    url = f"/residents/{people['nanguanxiang'].pk}/"
    assert "查看完整" in _login(role_users["community_a"]).get(url).content.decode()
    assert "查看完整" not in _login(role_users["auditor"]).get(url).content.decode()
    assert "查看完整" not in _login(role_users["social_worker"]).get(url).content.decode()


def test_page_reveal_swaps_in_the_value_and_audits(role_users, people):
    resident = people["nanguanxiang"]
    client = _login(role_users["community_a"])
    response = client.post(
        f"/privacy/reveal/residents.resident/{resident.pk}/id_number/",
        {"reason": "核对低保材料", "masked": resident.id_number_masked},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert FULL_ID in response.content.decode()
    assert AuditEvent.objects.filter(action="privacy.personal.revealed").count() == 1


# --- Sensitive tags ----------------------------------------------------------------------------


def _tags(user, resident) -> list[dict]:
    return bearer_client(user).get(f"/api/v1/residents/{resident.pk}").json()["tags"]


@pytest.mark.parametrize(
    "role", ["community_a", "township", "county", "social_worker", "admin", "resident"]
)
def test_sensitive_tags_are_shown_to_the_roles_that_need_them(role, role_users, people):
    labels = {t["label"] for t in _tags(role_users[role], people["nanguanxiang"])}
    assert labels == {"低保对象", "独居老人"}


def test_auditor_sees_that_a_sensitive_tag_exists_but_not_which(role_users, people):
    resident = people["nanguanxiang"]
    tags = _tags(role_users["auditor"], resident)
    assert [(t["tag"], t["label"]) for t in tags] == [
        ("alone_elder", "独居老人"),
        (HIDDEN_TAG, "敏感标签（已隐藏）"),
    ]
    hidden = tags[1]
    assert hidden["id"] is None and hidden["start_date"] is None and hidden["source"] == ""
    api = bearer_client(role_users["auditor"])
    listed = api.get("/api/v1/residents").content.decode()
    assert "低保" not in listed and "敏感标签（已隐藏）" in listed
    # A search by the hidden tag must not tell who carries it.
    assert api.get("/api/v1/residents", {"tag": "dibao"}).json()["count"] == 0
    assert api.get("/api/v1/residents", {"tag": "alone_elder"}).json()["count"] == 1
    page = _login(role_users["auditor"])
    for url in ("/residents/", f"/residents/{resident.pk}/"):
        text = page.get(url).content.decode()
        assert "敏感标签（已隐藏）" in text and "低保对象" not in text
    assert 'value="dibao"' not in page.get("/residents/").content.decode()


def test_disability_details_are_hidden_with_the_tag(role_users, people, admin):
    from datetime import date

    resident = people["dongshan"]
    services.resident_tag_add(
        resident=resident,
        tag="disabled",
        start_date=date(2024, 1, 1),
        disability_category="mental",
        disability_grade="1",
        actor=admin,
    )
    body = bearer_client(role_users["auditor"]).get(f"/api/v1/residents/{resident.pk}")
    text = body.content.decode()
    assert "残疾" not in text and "mental" not in text
    seen = bearer_client(role_users["community_b"]).get(f"/api/v1/residents/{resident.pk}")
    assert seen.json()["tags"][0]["disability_category_label"] == "精神残疾"


def test_sensitive_tag_search_works_for_workers(role_users, people):
    api = bearer_client(role_users["township"])
    names = {i["name"] for i in api.get("/api/v1/residents", {"tag": "dibao"}).json()["items"]}
    assert names == {people["nanguanxiang"].name}
