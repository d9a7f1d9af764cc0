"""Formula injection on the exports of the import engine (the residents register and an
import's error report), over the API and the pages: every text a spreadsheet program could run
is written as text with a leading `'`, and no cell is a formula.

`assert_formula_safe` is shared by the other test_uploads_exports_* modules."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from wushe.core.uploads import FORMULA_PREFIXES
from wushe.residents.models import Resident
from wushe.testing import NANGUANXIANG, PASSWORD, bearer_client

# Each as the whole text of a cell; CR is left out only because XML turns it into LF on the
# way back, which the unit tests of neutralise_formula cover.
PAYLOADS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\n=1", " =1+1", "＝1+1", "＋1", "－1", "＠A1"]
_BLANKS = " \u00a0\u3000"


def content_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def assert_formula_safe(content: bytes, payloads=PAYLOADS) -> list[str]:
    """No formula cell, no text cell a spreadsheet would run, and each payload present as
    neutralised text. Returns the texts of all cells."""
    book = load_workbook(io.BytesIO(content))
    texts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                assert cell.data_type != "f", where
                if isinstance(cell.value, str):
                    assert not cell.value.lstrip(_BLANKS).startswith(FORMULA_PREFIXES), where
                    texts.append(cell.value)
    for payload in payloads:
        # Forms and services may strip the text first (" =1+1" is stored as "=1+1").
        forms = {"'" + payload, "'" + payload.strip()}
        assert any(form in text for text in texts for form in forms), (payload, texts)
    return texts


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.mark.django_db
def test_the_residents_export_neutralises_every_formula(role_users):
    for payload in PAYLOADS:
        resident = Resident(
            name=payload, birth_date=date(1950, 1, 1), address=payload, notes=payload
        )
        resident.place(NANGUANXIANG)
        resident.save()
    worker = role_users["community_a"]
    api = bearer_client(worker).get("/api/v1/exports/residents")
    assert api.status_code == 200, api.content
    texts = assert_formula_safe(content_of(api))
    assert texts.count("'=1+1") == 3  # name, address and notes
    page = signed_in(worker).get("/imports/export/residents/")
    assert page.status_code == 200
    assert_formula_safe(content_of(page))


@pytest.mark.django_db
def test_the_error_report_neutralises_the_file_name_and_the_cells(role_users):
    worker = role_users["community_a"]
    client = bearer_client(worker)
    template = content_of(client.get("/api/v1/imports/templates/residents"))
    header = [c.value for c in load_workbook(io.BytesIO(template)).worksheets[0][1]]
    date_column = next(i for i, h in enumerate(header) if str(h).endswith("标签开始日期"))
    lines = [",".join(str(h) for h in header)]
    for payload in PAYLOADS:
        row = [""] * len(header)
        row[0] = "张三"
        row[date_column] = '"' + payload + '"'
        lines.append(",".join(row))
    data = "\n".join(lines).encode()
    upload = client.post(
        "/api/v1/imports",
        {"kind": "residents", "file": SimpleUploadedFile("=1+1.csv", data)},
    )
    assert upload.status_code == 201, upload.content
    job = upload.json()
    assert job["file_name"] == "=1+1.csv" and job["counts"]["rows_invalid"] > 0
    report = client.get(f"/api/v1/imports/{job['id']}/errors.xlsx")
    assert report.status_code == 200
    texts = assert_formula_safe(content_of(report), payloads=["=1+1.csv"])
    assert any(re.match(r"'=1\+1\.csv 的错误报告", t) for t in texts)
    page = signed_in(worker).get(f"/imports/{job['id']}/errors.xlsx")
    assert page.status_code == 200
    assert_formula_safe(content_of(page), payloads=["=1+1.csv"])
