"""Recording a donation: permission before validation (issue 9). A role that may only read
charity resources, or staff of another county, is refused (403/404) whatever the body says and
nothing is recorded; staff who may record are told what is wrong with the body (422,
Chinese)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wushe.charity.models import Donation
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(user: Any, body: dict[str, Any]) -> Any:
    return bearer_client(user).post(
        "/api/v1/charity/donations", body, content_type="application/json"
    )


def _invalid_body(charity: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A donation to the 硖石 micro-fund with a purpose that is no service category."""
    return {
        "fund_id": charity["micro"].pk,
        "donor_id": charity["person"].pk,
        "kind": "money",
        "amount_fen": 100_00,
        "received_on": "2026-01-05",
        "purpose": "no-such-category",
        **extra,
    }


@pytest.mark.parametrize("reader", ["community_a", "social_worker", "auditor"])
def test_a_reader_is_refused_before_the_purpose_is_looked_up(charity, role_users, reader):
    count = Donation.objects.count()
    response = _post(role_users[reader], _invalid_body(charity))
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "charity.forbidden"
    # Without any receiving fund or store either: still the caller, not the body.
    response = _post(role_users[reader], _invalid_body(charity, fund_id=None))
    assert response.status_code == 403
    assert Donation.objects.count() == count


def test_staff_of_another_county_get_404_for_a_haining_fund(charity, haiyan_staff):
    count = Donation.objects.count()
    response = _post(haiyan_staff, _invalid_body(charity))
    assert response.status_code == 404
    assert Donation.objects.count() == count


def test_staff_who_may_record_are_told_what_is_wrong(charity, role_users):
    staff = role_users["charity_staff"]
    count = Donation.objects.count()
    response = _post(staff, _invalid_body(charity))
    assert response.status_code == 422
    assert response.json()["code"] == "taxonomy.term_unknown"
    assert response.json()["message"] == "未知的服务类别。"
    response = _post(staff, _invalid_body(charity, fund_id=None, purpose=""))
    assert response.status_code == 422
    assert response.json()["code"] == "donation.target_required"
    assert response.json()["message"] == "请选择接收捐赠的基金。"
    assert Donation.objects.count() == count
    response = _post(staff, _invalid_body(charity, purpose=""))
    assert response.status_code == 201, response.content
    assert Donation.objects.count() == count + 1


def test_the_donation_form_refuses_a_reader_before_it_reads_the_form(charity, role_users):
    count = Donation.objects.count()
    url = f"/charity/funds/{charity['micro'].pk}/donations/"
    response = signed_in(role_users["social_worker"]).post(url, {})
    assert response.status_code == 403
    response = signed_in(role_users["charity_staff"]).post(url, {})
    assert response.status_code == 422  # the form comes back with its errors
    assert Donation.objects.count() == count
