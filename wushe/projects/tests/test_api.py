"""The projects API: explicit state endpoints, 409 codes, idempotent expenditures, exports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from wushe.projects import services
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db


def test_the_api_walk(world):
    org = bearer_client(world.users["org_staff"])
    county = bearer_client(world.users["county"])
    submitted = org.post(
        f"/api/v1/projects/calls/{world.call.pk}/proposals",
        {
            "organization_id": world.organization.pk,
            "region": "330481001007",
            "title": "=cmd|' /C calc'!A0 助老",
            "summary": "助餐",
            "requested_fen": 1_000_000,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="p-1",
    )
    assert submitted.status_code == 201, submitted.content
    pid = submitted.json()["id"]
    again = org.post(
        f"/api/v1/projects/calls/{world.call.pk}/proposals",
        {
            "organization_id": world.organization.pk,
            "region": "330481001007",
            "title": "=cmd|' /C calc'!A0 助老",
            "summary": "助餐",
            "requested_fen": 1_000_000,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="p-1",
    )
    assert again.status_code == 200 and again.json()["id"] == pid
    early = county.post(
        f"/api/v1/projects/{pid}/approve", {"approved_fen": 1}, content_type="application/json"
    )
    assert early.status_code == 409 and early.json()["code"] == "project.reviews_missing"
    for reviewer, score in zip(world.reviewers, (80, 90), strict=True):
        r = bearer_client(reviewer).post(
            f"/api/v1/projects/{pid}/reviews", {"score": score}, content_type="application/json"
        )
        assert r.status_code == 201
    denied = org.post(
        f"/api/v1/projects/{pid}/approve", {"approved_fen": 1}, content_type="application/json"
    )
    assert denied.status_code == 403
    ok = county.post(
        f"/api/v1/projects/{pid}/approve",
        {"approved_fen": 800_000},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    spent = org.post(
        f"/api/v1/projects/{pid}/expenditures",
        {"spent_on": "2026-05-01", "item": "物资", "amount_fen": 700_000},
        HTTP_IDEMPOTENCY_KEY="e-1",
    )
    assert spent.status_code == 201, spent.content
    over = org.post(
        f"/api/v1/projects/{pid}/expenditures",
        {"spent_on": "2026-05-02", "item": "物资", "amount_fen": 100_001},
    )
    assert over.status_code == 409 and over.json()["code"] == "project.over_budget"
    detail = org.get(f"/api/v1/projects/{pid}").json()
    assert detail["spent_fen"] == 700_000 and detail["remaining_fen"] == 100_000
    reject = county.post(
        f"/api/v1/projects/{pid}/reject", {"reason": "x"}, content_type="application/json"
    )
    assert reject.status_code == 409 and reject.json()["code"] == "project.invalid_transition"

    ledger = org.get(f"/api/v1/projects/{pid}/ledger.xlsx")
    assert ledger.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(ledger.streaming_content))).active
    assert [c.value for c in sheet[2]][1:3] == ["物资", 7000]
    results = county.get(f"/api/v1/projects/calls/{world.call.pk}/results.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(results.streaming_content))).active
    assert sheet["B2"].value.startswith("'=")  # formula injection neutralised
    assert sheet["G2"].value == 85
    assert org.get(f"/api/v1/projects/calls/{world.call.pk}/results.xlsx").status_code == 404


def test_out_of_scope_is_404(world):
    project = world.propose()
    other = bearer_client(world.users["community_b"])
    assert other.get(f"/api/v1/projects/{project.pk}").status_code == 404
    response = other.post(
        f"/api/v1/projects/{project.pk}/approve",
        {"approved_fen": 1},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_allowance_endpoint_shows_the_remaining_share(world, assistance_call):
    services.assistance_budget_set(
        county_code="330481", year=2026, total_fen=50_000_000, actor=world.users["county"]
    )
    world.approved(400_000, call=assistance_call)
    body = (
        bearer_client(world.users["county"])
        .get(f"/api/v1/projects/calls/{assistance_call.pk}/allowance")
        .json()
    )
    assert body == {
        "year": 2026,
        "total_fen": 50_000_000,
        "share_bp": 200,
        "cap_fen": 1_000_000,
        "used_fen": 400_000,
        "remaining_fen": 600_000,
    }


def test_receipt_photo_is_private(world):
    from wushe.requests.tests.conftest import png_bytes

    project = world.approved()
    org = bearer_client(world.users["org_staff"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = org.post(
        f"/api/v1/projects/{project.pk}/expenditures",
        {
            "spent_on": "2026-05-01",
            "item": "打印",
            "amount_fen": 1000,
            "attachment": SimpleUploadedFile("r.png", png_bytes(), content_type="image/png"),
        },
    )
    assert response.status_code == 201 and response.json()["has_attachment"]
    eid = response.json()["id"]
    url = f"/api/v1/projects/{project.pk}/expenditures/{eid}/attachment"
    photo = org.get(url)
    assert photo.status_code == 200 and photo["Cache-Control"].startswith("private")
    assert bearer_client(world.users["community_b"]).get(url).status_code == 404
    from django.test import Client

    assert (
        Client().get(f"/disclosure/projects/{project.pk}/").content.decode().count("attachment")
        == 0
    )


def test_assistance_endpoint(world):
    county = bearer_client(world.users["county"])
    body = county.put(
        "/api/v1/projects/assistance/330481/2026",
        {"total_fen": 10_000_000},
        content_type="application/json",
    ).json()
    assert body["cap_fen"] == 200_000 and body["remaining_fen"] == 200_000
    denied = bearer_client(world.users["org_staff"]).put(
        "/api/v1/projects/assistance/330481/2026",
        {"total_fen": 1},
        content_type="application/json",
    )
    assert denied.status_code == 403


def test_delivery_evaluation_and_closing_endpoints(world):
    project = world.approved()
    org = bearer_client(world.users["org_staff"])
    county = bearer_client(world.users["county"])
    base = f"/api/v1/projects/{project.pk}"
    milestone = org.post(
        f"{base}/milestones",
        {"title": "启动", "due_on": "2026-05-01"},
        content_type="application/json",
    )
    assert milestone.status_code == 201
    done = org.post(
        f"/api/v1/projects/milestones/{milestone.json()['id']}/complete",
        {"done_on": "2026-05-02"},
        content_type="application/json",
    )
    assert done.json()["done_on"] == "2026-05-02"
    activity = org.post(
        f"{base}/activities",
        {"held_on": "2026-05-03", "title": "助餐", "beneficiaries": 40, "vulnerable": 50},
        content_type="application/json",
    )
    assert activity.status_code == 422
    org.post(
        f"{base}/activities",
        {"held_on": "2026-05-03", "title": "助餐", "beneficiaries": 40, "vulnerable": 10},
        content_type="application/json",
    )
    rating = bearer_client(world.users["resident"]).post(
        f"{base}/ratings", {"rating": 5}, content_type="application/json"
    )
    assert rating.status_code == 201
    missing = county.post(f"{base}/evaluate", {}, content_type="application/json")
    assert missing.status_code == 409 and missing.json()["code"] == "project.final_reviews_missing"
    bearer_client(world.reviewers[0]).post(
        f"{base}/reviews", {"score": 70, "stage": "final"}, content_type="application/json"
    )
    evaluated = county.post(f"{base}/evaluate", {}, content_type="application/json").json()
    assert evaluated["status"] == "evaluated" and evaluated["final_score"] == "88.00"
    assert evaluated["beneficiaries"] == 40
    late = org.post(
        f"{base}/expenditures", {"spent_on": "2026-06-01", "item": "x", "amount_fen": 1}
    )
    assert late.status_code == 409
    closed = county.post(f"{base}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert county.post(f"{base}/close").json()["status"] == "closed"  # repeat: no-op
