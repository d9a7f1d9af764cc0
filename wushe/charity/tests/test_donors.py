"""Donors: personal data sealed and masked everywhere, revealed only with a reason, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from wushe.audit.models import AuditEvent
from wushe.charity import services
from wushe.charity.models import Donor
from wushe.core.errors import Conflict, ValidationFailed
from wushe.testing import bearer_client

from .conftest import ENTERPRISE_CODE, OTHER_ENTERPRISE_CODE, PERSON_ID, PERSON_PHONE

pytestmark = pytest.mark.django_db

FULL_VALUES = (PERSON_ID, PERSON_PHONE, "+86" + PERSON_PHONE)


def assert_masked(text: str) -> None:
    for value in FULL_VALUES:
        assert value not in text


def test_person_data_is_sealed_in_the_database(charity):
    donor = Donor.objects.get(pk=charity["person"].pk)
    assert donor.id_number_masked == "1101**********002X"
    assert donor.phone_masked == "138****5678"
    assert PERSON_ID not in donor.id_number_token and PERSON_PHONE not in donor.phone_token
    assert donor.birth_date.isoformat() == "1949-12-31"


def test_api_list_and_detail_are_masked(charity, role_users):
    client = bearer_client(role_users["charity_staff"])
    listing = client.get("/api/v1/charity/donors")
    assert listing.status_code == 200
    assert_masked(listing.content.decode())
    detail = client.get(f"/api/v1/charity/donors/{charity['person'].pk}")
    assert detail.json()["phone_masked"] == "138****5678"
    assert detail.json()["id_number_masked"] == "1101**********002X"
    assert_masked(detail.content.decode())


def test_pages_are_masked_and_offer_reveal_only_to_authorised_roles(charity, role_users):
    url = f"/charity/donors/{charity['person'].pk}/"
    staff = Client()
    staff.force_login(role_users["charity_staff"])
    text = staff.get(url).content.decode()
    assert "138****5678" in text and "查看完整" in text
    assert_masked(text)
    assert_masked(staff.get("/charity/donors/").content.decode())
    auditor = Client()
    auditor.force_login(role_users["auditor"])
    text = auditor.get(url).content.decode()
    assert "138****5678" in text and "查看完整" not in text


def test_audit_of_donor_changes_is_masked(charity, role_users):
    services.donor_update(
        donor=charity["person"], changes={"phone": "13900001111"}, actor=role_users["county"]
    )
    for event in AuditEvent.objects.filter(action__startswith="charity.donor."):
        text = str(event.changes)
        assert_masked(text)
        assert "13900001111" not in text
    event = AuditEvent.objects.get(action="charity.donor.updated")
    assert event.changes == {"phone": ["138****5678", "139****1111"]}


def test_reveal_is_audited_for_charity_staff(charity, role_users):
    client = bearer_client(role_users["charity_staff"])
    response = client.post(
        "/api/v1/personal/reveal",
        {
            "subject_type": "charity.donor",
            "subject_id": charity["person"].pk,
            "field": "id_number",
            "reason": "开具捐赠票据核对身份",
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"value": PERSON_ID}
    event = AuditEvent.objects.get(action="privacy.personal.revealed")
    assert event.actor == role_users["charity_staff"]
    assert event.target_type == "charity.donor"
    assert event.changes == {"field": "id_number", "reason": "开具捐赠票据核对身份"}


@pytest.mark.parametrize("key", ["auditor", "social_worker", "township"])
def test_roles_that_may_view_cannot_reveal(charity, role_users, key):
    # The person donor is registered at county level: outside the township-level roles.
    donor = charity["person"]
    if key != "auditor":
        donor = services.donor_create(
            region_code="330481001000",
            kind="person",
            name="硖石捐赠人",
            phone="13700001234",
            actor=charity["actor"],
        )
    response = bearer_client(role_users[key]).post(
        "/api/v1/personal/reveal",
        {
            "subject_type": "charity.donor",
            "subject_id": donor.pk,
            "field": "phone",
            "reason": "核对联系方式",
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "privacy.reveal_forbidden"
    assert AuditEvent.objects.filter(action="privacy.personal.reveal_refused").count() == 1


def test_reveal_outside_scope_is_not_found(charity, haiyan_staff):
    response = bearer_client(haiyan_staff).post(
        "/api/v1/personal/reveal",
        {
            "subject_type": "charity.donor",
            "subject_id": charity["person"].pk,
            "field": "phone",
            "reason": "核对联系方式",
        },
        content_type="application/json",
    )
    assert response.status_code == 404


def test_enterprise_credit_code_is_checked_and_unique_per_county(charity, role_users):
    client = bearer_client(role_users["charity_staff"])
    bad = client.post(
        "/api/v1/charity/donors",
        {
            "region": "330481000000",
            "kind": "enterprise",
            "name": "海宁某某经编有限公司",
            "credit_code": ENTERPRISE_CODE[:-1] + "0",
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "credit_code.checksum"
    taken = client.post(
        "/api/v1/charity/donors",
        {
            "region": "330481000000",
            "kind": "enterprise",
            "name": "同码公司",
            "credit_code": ENTERPRISE_CODE.lower(),
        },
        content_type="application/json",
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "donor.credit_code_taken"
    ok = client.post(
        "/api/v1/charity/donors",
        {
            "region": "330481000000",
            "kind": "enterprise",
            "name": "海宁某某经编有限公司",
            "credit_code": OTHER_ENTERPRISE_CODE,
            "phone": "13600001111",
            "anonymous": True,
        },
        content_type="application/json",
    )
    assert ok.status_code == 201
    assert ok.json()["public_name"] == "爱心企业"
    assert ok.json()["phone_masked"] == "136****1111"


def test_person_and_enterprise_identifiers_do_not_mix(charity):
    with pytest.raises(ValidationFailed) as info:
        services.donor_create(
            region_code="330481000000",
            kind="person",
            name="某人",
            credit_code=ENTERPRISE_CODE,
            actor=charity["actor"],
        )
    assert info.value.code == "donor.credit_code_for_person"
    with pytest.raises(ValidationFailed) as info:
        services.donor_create(
            region_code="330481000000",
            kind="enterprise",
            name="某公司",
            id_number=PERSON_ID,
            actor=charity["actor"],
        )
    assert info.value.code == "donor.id_number_for_enterprise"
    with pytest.raises(Conflict) as info:
        services.donor_create(
            region_code="330481001000",
            kind="person",
            name="沈建国（重复）",
            id_number=PERSON_ID,
            actor=charity["actor"],
        )
    assert info.value.code == "donor.duplicate"
    with pytest.raises(ValidationFailed) as info:
        services.donor_create(
            region_code="330481000000",
            kind="person",
            name="某人",
            id_number="110105194912310021",
            actor=charity["actor"],
        )
    assert info.value.code.startswith("id_number.")


def test_anonymous_donor_is_never_named_publicly(charity):
    donor = services.donor_update(
        donor=charity["person"], changes={"anonymous": True}, actor=charity["actor"]
    )
    assert donor.public_name == "爱心人士"
    assert donor.name == "沈建国"  # staff still know who gave
