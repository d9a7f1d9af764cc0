"""Revealing a sealed field (POST /api/v1/personal/reveal): permission before validation
(issue 9). Whoever may not reveal the resident's ID number is refused (404 outside their
view, 403 for a role that sees but may not reveal) whatever reason they give, and learns
nothing about the reason rule; whoever may is told the reason is too short (422, Chinese)."""

from __future__ import annotations

import pytest

from wushe.audit.models import AuditEvent
from wushe.core.identifiers import id_number_check_char
from wushe.residents.services import resident_create
from wushe.testing import NANGUANXIANG, bearer_client

pytestmark = pytest.mark.django_db

BODY = "33048119460302001"
ID_NUMBER = BODY + id_number_check_char(BODY)


@pytest.fixture
def resident(role_users):
    return resident_create(
        region_code=NANGUANXIANG,
        name="张阿姨",
        id_number=ID_NUMBER,
        phone="13912345678",
        actor=role_users["admin"],
    )


def _reveal(user, resident, reason: str):
    return bearer_client(user).post(
        "/api/v1/personal/reveal",
        {
            "subject_type": "residents.resident",
            "subject_id": resident.pk,
            "field": "id_number",
            "reason": reason,
        },
        content_type="application/json",
    )


def _revealed() -> int:
    return AuditEvent.objects.filter(action="privacy.personal.revealed").count()


@pytest.mark.parametrize(
    ("outsider", "status", "code"),
    [
        ("social_worker", 403, "privacy.reveal_forbidden"),  # sees the record, masked
        ("auditor", 403, "privacy.reveal_forbidden"),
        ("community_b", 404, "not_found"),  # another community's worker
        ("charity_staff", 404, "not_found"),  # no access to the resident register
        ("volunteer", 404, "not_found"),
    ],
)
def test_an_outsider_with_a_too_short_reason_is_refused_not_told_about_the_reason(
    role_users, resident, outsider, status, code
):
    response = _reveal(role_users[outsider], resident, "看")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert ID_NUMBER not in response.content.decode()
    assert _revealed() == 0


def test_the_community_worker_with_a_too_short_reason_is_asked_for_one(role_users, resident):
    response = _reveal(role_users["community_a"], resident, " 看 ")
    assert response.status_code == 422
    assert response.json()["code"] == "privacy.reason_required"
    assert response.json()["message"] == "请填写查看完整信息的事由（至少 4 个字）。"
    assert _revealed() == 0
    response = _reveal(role_users["community_a"], resident, "核实居民身份信息")
    assert response.status_code == 200
    assert response.json()["value"] == ID_NUMBER
    assert _revealed() == 1
