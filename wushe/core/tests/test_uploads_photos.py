"""Photo uploads (request photos, API and page) as a hostile user would send them: a program
renamed .jpg, a picture named as a spreadsheet or a web page, an oversized picture, too many
files, and file names that try to escape."""

# ruff: noqa: F811 - the request tests' fixtures are imported, then named as parameters

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wushe.requests.models import RequestPhoto
from wushe.requests.tests.conftest import (  # noqa: F401 - fixtures
    png_bytes,
    private_storage,
    signed_in,
    world,
)
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def api_upload(world, request_id, files):
    client = bearer_client(world.users["resident"])
    return client.post(
        f"/api/v1/requests/{request_id}/photos", {"stage": "submitted", "photos": files}
    )


def file(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), body["message"]
    assert not RequestPhoto.objects.exists()  # nothing half-written
    return body


def test_a_program_renamed_jpg_is_refused_saying_what_it_is(world):
    request = world.submit()
    body = assert_refused(api_upload(world, request.pk, [file("照片.jpg", EXE)]), 422, "image.type")
    assert "可执行程序" in body["message"]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("照片.xlsx", "application/octet-stream"),  # a PNG renamed .xlsx
        ("照片.exe", "application/octet-stream"),
        ("照片.svg", "image/svg+xml"),
        ("照片.png", "text/html"),
        ("照片.jpg\u202egpj.exe", "image/jpeg"),  # shows as 照片.jpgexe.jpg
    ],
)
def test_a_picture_declared_as_another_type_is_refused(world, name, content_type):
    request = world.submit()
    response = api_upload(world, request.pk, [file(name, png_bytes(), content_type)])
    body = assert_refused(response, 422, "upload.type_mismatch")
    assert body["fields"]["detected"] == "image"


def test_one_bad_file_among_good_ones_stores_none(world):
    request = world.submit()
    files = [file("a.png", png_bytes(), "image/png"), file("b.jpg", EXE)]
    assert_refused(api_upload(world, request.pk, files), 422, "image.type")


def test_an_oversized_picture_is_413(world, settings):
    settings.WUSHE = {**settings.WUSHE, "IMAGE_MAX_BYTES": 1000}
    request = world.submit()
    big = png_bytes(size=(400, 400))
    assert len(big) > 1000
    body = assert_refused(
        api_upload(world, request.pk, [file("a.png", big, "image/png")]), 413, "image.too_large"
    )
    assert "MB" in body["message"]


def test_more_files_than_any_form_takes_are_refused(world):
    request = world.submit()
    files = [file(f"{n}.png", png_bytes(), "image/png") for n in range(10)]
    assert_refused(api_upload(world, request.pk, files), 422, "request.photos.too_many")


@pytest.mark.parametrize(
    "name",
    ["../../../../etc/passwd.png", "C:\\Windows\\win.png", "\x00\x1b.png", "CON.png", "x" * 400],
)
def test_hostile_names_never_reach_storage(world, private_storage, name):
    request = world.submit()
    response = api_upload(world, request.pk, [file(name, png_bytes(), "image/png")])
    assert response.status_code == 201, response.content
    stored = RequestPhoto.objects.get()
    assert re.fullmatch(r"private/requests/\d{4}/\d{2}/[0-9a-f]{32}\.png", stored.name)
    assert (private_storage / stored.name).exists()
    assert not list(private_storage.parent.glob("**/passwd*"))


def test_the_page_shows_the_refusal_in_chinese(world):
    request = world.submit()
    client = signed_in(world.users["resident"])
    response = client.post(
        f"/requests/{request.pk}/photos/",
        {"stage": "submitted", "photos": [file("照片.jpg", EXE)]},
        follow=True,
    )
    assert "可执行程序" in response.content.decode()
    assert not RequestPhoto.objects.exists()
    response = client.post(
        f"/requests/{request.pk}/photos/",
        {"stage": "submitted", "photos": [file("照片.html", png_bytes(), "text/html")]},
        follow=True,
    )
    assert "与文件内容（图片）不符" in response.content.decode()
    assert not RequestPhoto.objects.exists()


def test_more_file_parts_than_django_allows_are_413_on_the_api_and_400_on_the_page(world):
    request = world.submit()
    files = [file(f"{n}.png", b"x", "image/png") for n in range(21)]
    assert_refused(api_upload(world, request.pk, files), 413, "upload.too_many_files")
    response = signed_in(world.users["resident"]).post(
        f"/requests/{request.pk}/photos/", {"stage": "submitted", "photos": files}
    )
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
    assert not RequestPhoto.objects.exists()
