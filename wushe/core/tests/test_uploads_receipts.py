# ruff: noqa: F811 - the project tests' fixtures are imported, then named as parameters
"""Receipt photos of project expenditures (API and page) as a hostile user would send them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wushe.projects.models import Expenditure
from wushe.projects.tests.conftest import world  # noqa: F401 - fixture
from wushe.requests.tests.conftest import png_bytes, private_storage  # noqa: F401 - fixture
from wushe.testing import bearer_client

from .test_uploads_exports import signed_in
from .test_uploads_photos import EXE

pytestmark = pytest.mark.django_db


def spend(client, project_id: int, attachment: SimpleUploadedFile):
    return client.post(
        f"/api/v1/projects/{project_id}/expenditures",
        {"spent_on": "2026-05-01", "item": "物资", "amount_fen": 1000, "attachment": attachment},
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type", "code"),
    [
        ("发票.jpg", EXE, "image/jpeg", "image.type"),  # a program renamed .jpg
        ("发票.xlsx", None, "application/octet-stream", "upload.type_mismatch"),
        ("发票.html", None, "text/html", "upload.type_mismatch"),
    ],
)
def test_a_bad_receipt_is_refused_and_nothing_is_recorded(world, name, data, content_type, code):
    project = world.approved()
    client = bearer_client(world.users["org_staff"])
    file = SimpleUploadedFile(name, data or png_bytes(), content_type=content_type)
    response = spend(client, project.pk, file)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code and re.search(r"[\u4e00-\u9fff]", body["message"])
    assert not Expenditure.objects.exists()  # no expenditure without its receipt


def test_a_receipt_with_a_hostile_name_is_stored_under_a_random_one(world, private_storage):
    project = world.approved()
    client = bearer_client(world.users["org_staff"])
    file = SimpleUploadedFile("../../../发票\u202egpj.png", png_bytes(), content_type="image/png")
    response = spend(client, project.pk, file)
    assert response.status_code == 201, response.content
    row = Expenditure.objects.get()
    assert re.fullmatch(r"private/projects/\d{4}/\d{2}/[0-9a-f]{32}\.png", row.attachment)
    assert (private_storage / row.attachment).exists()


def test_the_page_shows_a_refused_receipt_in_chinese(world):
    project = world.approved()
    client = signed_in(world.users["org_staff"])
    response = client.post(
        reverse("projects:expenditure", args=[project.pk]),
        {
            "spent_on": "2026-05-01",
            "item": "物资",
            "amount": "10",
            "attachment": SimpleUploadedFile("发票.jpg", EXE, content_type="image/jpeg"),
        },
        follow=True,
    )
    assert "可执行程序" in response.content.decode()
    assert not Expenditure.objects.exists()
