"""wushe.core.uploads: the shared upload checks and the formula guard of every export, and the
request-size limit as a browser or an API client meets it."""

from __future__ import annotations

import io
import random
import zipfile

import pytest
from django.test import Client

from wushe.core.errors import ValidationFailed
from wushe.core.uploads import (
    IMAGE,
    SPREADSHEET,
    display_name,
    neutralise_formula,
    refuse_declared_mismatch,
    sniff,
    zip_bomb_reason,
)
from wushe.testing import PASSWORD, bearer_client

# What a spreadsheet program would run, and what it must show as text instead.
FORMULAS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    " =1+1",
    "\u3000=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    '=HYPERLINK("http://evil.example","点击")',
    "=cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_every_formula_start_is_neutralised(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "1+1", "a=b", "邮箱 a@b.cn", "", "'=1", "13812345678"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise_formula(text) == text


def test_control_characters_xml_cannot_hold_are_dropped():
    assert neutralise_formula("张\x00三\x1b") == "张三"
    assert neutralise_formula("\x07=1") == "'=1"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/var/www/名单.xlsx", "名单.xlsx"),
        ("C:\\Users\\张三\\桌面\\名单.xlsx", "名单.xlsx"),
        ("．．／．．／secret.xlsx", "secret.xlsx"),  # full-width dots and slash
        ("名单\x00.exe.xlsx", "名单.exe.xlsx"),
        ("\x1b[31m名单.xlsx", "[31m名单.xlsx"),
        ("photo\u202egpj.exe", "photogpj.exe"),  # right-to-left override shows "photoexe.jpg"
        ("a\u200bb.csv", "ab.csv"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.xlsx", "_com1.xlsx"),
        ('a<b>:c"|?*.csv', "a_b__c____.csv"),
        ("...hidden.xlsx. . ", "hidden.xlsx"),
        ("", "upload"),
        ("\x00\x01", "upload"),
        ("../", "upload"),
    ],
)
def test_hostile_file_names_become_harmless_labels(raw, shown):
    assert display_name(raw) == shown


def test_long_names_are_cut_keeping_the_extension():
    name = display_name("名" * 500 + ".xlsx", max_length=120)
    assert len(name) == 120 and name.endswith("名.xlsx")
    assert len(display_name("x" * 500)) == 200


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"%PDF-1.7\n", "pdf"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "exe"),
        (b"\x7fELF\x02\x01\x01", "elf"),
        (b"#!/bin/sh\nrm -rf /\n", "script"),
        (b"<!DOCTYPE html><html>", "html"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">', "svg"),
        ("姓名,身份证号\n张三,1\n".encode(), "text"),
        ("姓名,身份证号\n".encode("gb18030"), "text"),
        (b"BMI,height\n22,170\n", "text"),  # a CSV, not a bitmap
        (b"", "empty"),
        (bytes(range(256)), "binary"),
    ],
)
def test_sniff_names_the_content(data, kind):
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("family", "name", "content_type"),
    [
        (IMAGE, "photo.exe", "image/jpeg"),
        (IMAGE, "photo.svg", ""),
        (IMAGE, "photo.jpg", "text/html"),
        (IMAGE, "photo.xlsx", ""),
        (SPREADSHEET, "名单.jpg", ""),
        (SPREADSHEET, "名单.xlsx.exe", ""),
        (SPREADSHEET, "名单.html", ""),
    ],
)
def test_a_declared_type_of_another_family_is_refused(family, name, content_type):
    with pytest.raises(ValidationFailed) as caught:
        refuse_declared_mismatch(family, file_name=name, content_type=content_type)
    assert caught.value.code == "upload.type_mismatch"
    assert "不符" in str(caught.value.message)


@pytest.mark.parametrize(
    ("family", "name", "content_type"),
    [
        (IMAGE, "photo.png", "image/png"),  # a JPEG named .png: same family, content decides
        (IMAGE, "IMG_0001", "application/octet-stream"),
        (IMAGE, "", ""),
        (SPREADSHEET, "名单.csv", "application/vnd.ms-excel"),  # Windows' type for .csv
        (SPREADSHEET, "名单.xlsx", "application/octet-stream"),
        (SPREADSHEET, "名单.txt", "text/plain"),
    ],
)
def test_a_declared_type_of_the_same_family_passes(family, name, content_type):
    refuse_declared_mismatch(family, file_name=name, content_type=content_type)


def _zip(members: dict[str, bytes]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def test_zip_bomb_reasons_come_from_the_directory():
    limits = {"max_uncompressed": 8 << 20, "max_member": 4 << 20, "max_ratio": 100}
    zeros = _zip({"xl/worksheets/sheet1.xml": b"\0" * (3 << 20)})
    assert zip_bomb_reason(zeros.infolist(), max_entries=10, **limits) == "compression_ratio"
    noise = random.Random(9).randbytes
    big = _zip({"a.bin": noise(5 << 20)})  # 5 MiB that does not compress
    assert zip_bomb_reason(big.infolist(), max_entries=10, **limits) == "member_too_large"
    many = _zip({f"{n}.xml": noise(3 << 20) for n in range(3)})  # 3 × 3 MiB
    assert zip_bomb_reason(many.infolist(), max_entries=10, **limits) == "too_large_uncompressed"
    crowd = _zip({f"{n}.xml": b"x" for n in range(11)})
    assert zip_bomb_reason(crowd.infolist(), max_entries=10, **limits) == "too_many_entries"
    fine = _zip({"xl/workbook.xml": b"<workbook/>" * 1000})
    assert zip_bomb_reason(fine.infolist(), max_entries=10, **limits) is None


# --- the request-size limit, over HTTP ---------------------------------------------------------


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "wusheboundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff"
        + b"\0" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db
def test_api_refuses_an_oversized_multipart_body_with_413(role_users, settings):
    settings.WUSHE = {**settings.WUSHE, "UPLOAD_MAX_REQUEST_BYTES": 64 * 1024}
    body, content_type = _multipart(100 * 1024)
    client = bearer_client(role_users["resident"])
    response = client.post("/api/v1/requests/1/photos", body, content_type=content_type)
    assert response.status_code == 413
    payload = response.json()
    assert payload["code"] == "upload.request_too_large"
    assert "上传的文件总共超过了" in payload["message"]
    assert payload["fields"] == {"max_bytes": 64 * 1024}


@pytest.mark.django_db
def test_page_refuses_an_oversized_multipart_body_with_a_chinese_page(role_users, settings):
    settings.WUSHE = {**settings.WUSHE, "UPLOAD_MAX_REQUEST_BYTES": 64 * 1024}
    body, content_type = _multipart(100 * 1024)
    client = Client()
    assert client.login(username=role_users["community_a"].username, password=PASSWORD)
    response = client.post("/imports/", body, content_type=content_type)
    assert response.status_code == 413
    html = response.content.decode()
    assert "上传内容过大" in html and 'data-code="upload.request_too_large"' in html


@pytest.mark.django_db
def test_a_body_under_the_limit_reaches_the_view(role_users, settings):
    settings.WUSHE = {**settings.WUSHE, "UPLOAD_MAX_REQUEST_BYTES": 64 * 1024}
    body, content_type = _multipart(1024)
    client = bearer_client(role_users["resident"])
    response = client.post("/api/v1/requests/999999/photos", body, content_type=content_type)
    # The view ran and said what is missing (the `stage` field), not 413.
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
