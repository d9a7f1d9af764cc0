"""Numbers too large for their column: bounded at the entry points (a Chinese 422 or form error
naming the field), and when one is missed, the database's refusal (PostgreSQL: DataError
22003; SQLite: OverflowError beyond 64 bits) answers 422 `input.out_of_range`, not 500, with
nothing written. Runs on SQLite and PostgreSQL (DATABASE_URL)."""

from unittest import mock

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from wushe.needs.models import Need
from wushe.testing import NANGUANXIANG, PASSWORD, XIASHI, bearer_client

pytestmark = pytest.mark.django_db

HUGE = 10**12
# Beyond a 64-bit integer: SQLite's driver refuses it, PostgreSQL refuses it in an int4 column.
BEYOND_INT8 = 10**20

API_GRANTS = "wushe.accounts.api.selectors.grants_for_display"
PAGE_GRANTS = "wushe.core.views.account_selectors.grants_for_display"


def _signed_in(user):
    client = Client()
    assert (
        client.post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    return client


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("people_count", {"people_count": HUGE}),
        ("vulnerable_count", {"vulnerable_count": HUGE}),
        ("groups.left_behind_child", {"groups": {"left_behind_child": HUGE}}),
    ],
    ids=["people_count", "vulnerable_count", "groups"],
)
def test_api_need_with_a_huge_count_is_422_and_writes_nothing(role_users, field, extra):
    client = bearer_client(role_users["community_a"])
    body = {"region": NANGUANXIANG, "category": "health", "title": "上门量血压", **extra}
    response = client.post("/api/v1/needs", body, content_type="application/json")
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "validation_failed"
    assert payload["fields"][field] == ["不能大于 1000000。"]
    assert not Need.objects.exists()


def test_need_form_with_a_huge_count_shows_the_limit_and_writes_nothing(role_users):
    client = _signed_in(role_users["community_a"])
    response = client.post(
        reverse("needs:create"),
        {
            "region": NANGUANXIANG,
            "category": "health",
            "title": "老人希望上门量血压",
            "people_count": 8,
            "group_alone_elder": HUGE,
        },
    )
    assert response.status_code == 200
    assert "1000000" in response.content.decode()
    assert not Need.objects.exists()


def _overflowing_write():
    """A write of a number no integer column holds, as a forgotten bound would make it."""

    def write(*args, **kwargs):
        from wushe.organizations.models import Organization

        with transaction.atomic():  # as every service writes
            Organization.objects.filter(pk__gt=0).update(staff_full_time=BEYOND_INT8)
        raise AssertionError("the database accepted a number beyond 64 bits")

    return write


def test_api_number_the_database_refuses_is_422_out_of_range(role_users, orgs_for_overflow):
    client = bearer_client(role_users["county"])
    with mock.patch(API_GRANTS, side_effect=_overflowing_write()):
        response = client.get("/api/v1/me")
    assert response.status_code == 422
    assert response.json() == {
        "code": "input.out_of_range",
        "message": "输入的数值超出允许范围，请检查后重试。",
        "fields": {},
    }
    orgs_for_overflow.refresh_from_db()
    assert orgs_for_overflow.staff_full_time == 1


def test_page_number_the_database_refuses_is_422(role_users, orgs_for_overflow):
    client = Client(raise_request_exception=False)
    client.force_login(role_users["county"])
    with mock.patch(PAGE_GRANTS, side_effect=_overflowing_write()):
        response = client.get("/")
    assert response.status_code == 422
    assert "超出允许范围" in response.content.decode()
    orgs_for_overflow.refresh_from_db()
    assert orgs_for_overflow.staff_full_time == 1


@pytest.fixture
def orgs_for_overflow(role_users):
    from wushe.organizations.services import OrganizationFacts, organization_create

    return organization_create(
        facts=OrganizationFacts(name="硖石街道测试队", region=XIASHI, staff_full_time=1),
        legal_status="filed",
        actor=role_users["admin"],
    )
