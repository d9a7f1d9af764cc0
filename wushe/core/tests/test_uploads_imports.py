"""Spreadsheet uploads (the residents import, API and page) as a hostile user would send them:
renamed files, a zip bomb, an oversized file, a sheet that declares a million rows, and file
names that try to escape, hide or impersonate."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wushe.imports.models import ImportJob
from wushe.testing import PASSWORD, bearer_client

pytestmark = pytest.mark.django_db

KIND = "residents"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x01" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def worker(role_users):
    return role_users["community_a"]


@pytest.fixture
def template(worker) -> bytes:
    response = bearer_client(worker).get(f"/api/v1/imports/templates/{KIND}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def api_upload(user, data: bytes, name: str, content_type: str = "application/octet-stream"):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return bearer_client(user).post("/api/v1/imports", {"kind": KIND, "file": file})


def page_upload(user, data: bytes, name: str):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post("/imports/", {"kind": KIND, "file": file})


def rebuilt(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same .xlsx with some members replaced (compressed as Excel does, deflate)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
    return buffer.getvalue()


def first_sheet(data: bytes) -> str:
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    return sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))[0]


def assert_refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), body["message"]  # Chinese words
    assert not ImportJob.objects.exists()  # nothing half-written
    return body


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (PNG, "居民名单.xlsx", "import.file_type"),  # a PNG renamed .xlsx
        (EXE, "居民名单.xlsx", "import.file_type"),  # a program renamed .xlsx
        (EXE, "居民名单.csv", "import.file_type"),
        (b"<html><body><table><tr><td>1</td></tr></table>", "名单.xls", "import.file_type"),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused_by_content(worker, data, name, code):
    assert_refused(api_upload(worker, data, name), 422, code)


def test_a_spreadsheet_named_as_a_photo_or_program_is_refused(worker, template):
    body = assert_refused(api_upload(worker, template, "照片.jpg"), 422, "upload.type_mismatch")
    assert body["fields"] == {"declared": "image", "detected": "spreadsheet"}
    assert_refused(api_upload(worker, template, "名单.xlsx.exe"), 422, "upload.type_mismatch")
    # The same file under its own name is accepted.
    assert api_upload(worker, template, "名单.xlsx").status_code == 201


def test_a_zip_bomb_is_refused_before_anything_inflates_it(worker, template):
    # 50 MB of zeros as the sheet: about 50 KB compressed, a ratio near 1000.
    bomb = rebuilt(template, {first_sheet(template): b"\0" * (50 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        response = api_upload(worker, bomb, "名单.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    body = assert_refused(response, 422, "import.zip_bomb")
    assert body["fields"]["reason"] == "compression_ratio"
    assert "异常巨大" in body["message"]
    assert peak < 20 * 1024 * 1024  # the 50 MB were never inflated

    page = page_upload(worker, bomb, "名单.xlsx")
    assert page.status_code == 422
    assert "异常巨大" in page.content.decode()
    assert not ImportJob.objects.exists()


def test_an_archive_that_inflates_past_the_limits_is_refused(worker, template, settings):
    base = dict(settings.WUSHE)
    settings.WUSHE = {**base, "IMPORT_MAX_UNCOMPRESSED_BYTES": 4096}
    body = assert_refused(api_upload(worker, template, "名单.xlsx"), 422, "import.zip_bomb")
    assert body["fields"]["reason"] == "too_large_uncompressed"
    settings.WUSHE = {**base, "IMPORT_MAX_ZIP_ENTRIES": 3}
    body = assert_refused(api_upload(worker, template, "名单.xlsx"), 422, "import.zip_bomb")
    assert body["fields"]["reason"] == "too_many_entries"


def test_an_oversized_file_is_413_on_the_api_and_the_page(worker, template, settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_MAX_BYTES": len(template) - 1}
    body = assert_refused(api_upload(worker, template, "名单.xlsx"), 413, "import.file_too_large")
    assert body["fields"]["max_bytes"] == len(template) - 1
    page = page_upload(worker, template, "名单.xlsx")
    assert page.status_code == 413 and "拆分" in page.content.decode()


def test_a_sheet_declaring_a_million_rows_does_not_allocate_them(worker, template):
    sheet = first_sheet(template)
    xml = zipfile.ZipFile(io.BytesIO(template)).read(sheet).decode()
    huge = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml)
    assert huge != xml
    tracemalloc.start()
    try:
        response = api_upload(worker, rebuilt(template, {sheet: huge.encode()}), "名单.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.content
    assert peak < 64 * 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../../etc/cron.d/名单.xlsx", "名单.xlsx"),
        ("C:\\Windows\\System32\\名单.xlsx", "名单.xlsx"),
        ("名单\u202eslx.exe.xlsx", "名单slx.exe.xlsx"),
        ("\x1b[2J名\x00单.xlsx", "[2J名单.xlsx"),
        ("CON.xlsx", "_CON.xlsx"),
        ("=1+1.xlsx", "=1+1.xlsx"),
        ("名" * 300 + ".xlsx", "名" * 195 + ".xlsx"),
    ],
)
def test_hostile_file_names_are_only_a_sanitised_label(worker, template, raw, shown):
    response = api_upload(worker, template, raw)
    assert response.status_code == 201, response.content
    assert response.json()["file_name"] == shown
    job = ImportJob.objects.get()
    assert job.file_name == shown
    # Stored under a random name, never the client's.
    assert re.fullmatch(r"imports/\d{4}/\d{2}/[0-9a-f]{32}\.bin", job.storage_name)


def test_the_page_shows_the_refusal_in_chinese(worker):
    response = page_upload(worker, PNG, "居民名单.xlsx")
    assert response.status_code == 422
    assert "这是图片文件，不是表格" in response.content.decode()
    assert not ImportJob.objects.exists()
