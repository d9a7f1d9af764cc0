"""A number far beyond what the domain allows (10**12 staff: beyond PostgreSQL's int4 too,
which answered 500) is refused with a Chinese message at every entry point: the API, the page
form and the spreadsheet import; nothing is written."""

import pytest
from django.db import transaction

from wushe.audit.models import AuditEvent
from wushe.imports import engine
from wushe.imports.adapters import adapter_for
from wushe.imports.services import import_context
from wushe.organizations.models import Organization
from wushe.testing import NANGUANXIANG, XIASHI, bearer_client

from .conftest import signed_in

pytestmark = pytest.mark.django_db

HUGE = 10**12


def _payload(**extra):
    return {
        "name": "南关厢四点半课堂",
        "region": XIASHI,
        "coverage": [NANGUANXIANG],
        "category": "charity",
        **extra,
    }


def test_api_create_refuses_a_huge_staff_count(role_users):
    client = bearer_client(role_users["community_a"])
    before = Organization.objects.count()
    response = client.post(
        "/api/v1/organizations",
        _payload(staff_full_time=HUGE),
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["fields"] == {"staff_full_time": ["不能大于 100000。"]}
    assert Organization.objects.count() == before
    assert not AuditEvent.objects.filter(action="organizations.organization.created").exists()


def test_api_create_accepts_the_largest_allowed_staff_count(role_users):
    client = bearer_client(role_users["community_a"])
    response = client.post(
        "/api/v1/organizations",
        _payload(staff_part_time=100_000),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["staff_part_time"] == 100_000


def test_api_patch_refuses_a_huge_staff_count(role_users, orgs):
    own = orgs["own"]
    response = bearer_client(role_users["org_staff"]).patch(
        f"/api/v1/organizations/{own.pk}",
        {"staff_social_workers": HUGE},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "staff_social_workers" in response.json()["fields"]
    staff = own.staff_social_workers
    own.refresh_from_db()
    assert own.staff_social_workers == staff


def test_page_form_refuses_a_huge_staff_count(role_users):
    client = signed_in(role_users["community_a"])
    before = Organization.objects.count()
    response = client.post(
        "/organizations/new/",
        {
            "name": "南关厢助残服务队",
            "legal_status": "filed",
            "org_kind": "community",
            "region": "硖石街道",
            "coverage": "南关厢社区",
            "category": "charity",
            "staff_full_time": 0,
            "staff_part_time": HUGE,
            "staff_social_workers": 0,
        },
    )
    assert response.status_code == 200
    assert "100000" in response.content.decode()
    assert Organization.objects.count() == before


def test_import_names_the_cell_with_a_huge_staff_count(role_users):
    adapter = adapter_for("organizations")
    text = (
        "组织名称,登记状态,组织类型,登记机关区划,服务社区,专职人员数,兼职人员数\n"
        f"硖石街道南关厢邻里互助队,备案,社区社会组织,硖石街道,南关厢社区,3,{HUGE}\n"
        "硖石街道东山读书会,备案,社区社会组织,硖石街道,东山社区,2,100000\n"
    )
    before = Organization.objects.count()
    ctx = import_context(user=role_users["county"])
    with transaction.atomic():
        outcome = engine.run(text.encode("utf-8"), adapter, ctx, filename="台账.csv", write=True)
    assert (outcome.rows_valid, outcome.rows_invalid, outcome.created) == (1, 1, 1)
    [issue] = outcome.issues
    assert (issue.row_number, issue.code) == (2, "organization.staff_part_time.too_large")
    assert "100000" in str(issue.message)
    assert Organization.objects.count() == before + 1
    assert not Organization.objects.filter(name="硖石街道南关厢邻里互助队").exists()
