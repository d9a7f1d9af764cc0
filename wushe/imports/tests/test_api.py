"""The HTTP API: preview, commit (all or nothing, once), permissions, downloads."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from wushe.audit.models import AuditEvent
from wushe.imports.models import ImportJob
from wushe.testing import DONGSHAN, NANGUANXIANG, bearer_client

from .conftest import HEADER, ID_A, ID_B, ID_C, KIND, xlsx_bytes

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x01" * 64


def sample(*extra_rows):
    return xlsx_bytes(
        [
            HEADER,
            ["张三", ID_A, "13812345678", "1990-01-01", NANGUANXIANG],
            ["李四", ID_B, "13912345678", None, NANGUANXIANG],
            ["王五", "3.30481E+17", "13712345678", None, NANGUANXIANG],
            *extra_rows,
        ]
    )


def upload(client, data, name="名单.xlsx", kind=KIND):
    return client.post("/api/v1/imports", {"kind": kind, "file": SimpleUploadedFile(name, data)})


def created_rows():
    return AuditEvent.objects.filter(action__startswith="test_people.").count()


@pytest.fixture
def worker(role_users):
    return role_users["community_a"]


def test_upload_returns_a_preview_and_writes_nothing(people, worker):
    response = upload(bearer_client(worker), sample())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "previewed" and body["status_label"] == "待确认导入"
    assert body["counts"] == {
        "rows_total": 3,
        "rows_valid": 2,
        "rows_invalid": 1,
        "rows_empty": 0,
        "to_create": 2,
        "to_update": 0,
        "created": 0,
        "updated": 0,
        "issues": 1,
    }
    assert body["issues"] == [
        {
            "row_number": 4,
            "field": "id_number",
            "header": "身份证号",
            "code": "person.id_number.excel_number",
            "message": body["issues"][0]["message"],
            "value": "3.30***E+17",
        }
    ]
    assert "文本" in body["issues"][0]["message"]
    assert body["region_code"] == NANGUANXIANG
    assert created_rows() == 0
    job = ImportJob.objects.get(pk=body["id"])
    assert job.county_code == "330481"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"imports.job.uploaded", "imports.job.previewed"} <= actions


def test_the_stored_upload_is_encrypted(people, worker):
    body = upload(bearer_client(worker), sample()).json()
    job = ImportJob.objects.get(pk=body["id"])
    assert not job.storage_name.endswith(".xlsx")
    with default_storage.open(job.storage_name, "rb") as handle:
        stored = handle.read()
    assert stored.startswith(b"WUSHEIMP1\n")
    assert b"PK\x03\x04" not in stored and ID_A.encode() not in stored


def test_commit_writes_all_valid_rows_once(people, worker, django_capture_on_commit_callbacks):
    client = bearer_client(worker)
    job_id = upload(client, sample()).json()["id"]
    stored = ImportJob.objects.get(pk=job_id).storage_name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{job_id}/commit")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "committed"
    assert (body["counts"]["created"], body["counts"]["updated"]) == (2, 0)
    assert created_rows() == 2
    committed = AuditEvent.objects.get(action="imports.job.committed")
    assert committed.changes["created"] == 2 and committed.changes["rows_invalid"] == 1
    assert not default_storage.exists(stored)  # the upload is gone once imported

    again = client.post(f"/api/v1/imports/{job_id}/commit")
    assert again.status_code == 200 and again.json()["status"] == "committed"
    assert created_rows() == 2
    assert AuditEvent.objects.filter(action="imports.job.committed").count() == 1


def test_commit_is_all_or_nothing(people, worker):
    client = bearer_client(worker)
    job_id = upload(client, sample(["炸弹", ID_C, None, None, NANGUANXIANG])).json()["id"]
    body = client.post(f"/api/v1/imports/{job_id}/commit").json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == "import.commit_failed"
    assert "没有写入任何数据" in body["error"]["message"]
    assert created_rows() == 0
    assert not AuditEvent.objects.filter(action="imports.job.committed").exists()
    failed = AuditEvent.objects.get(action="imports.job.failed")
    assert failed.outcome == AuditEvent.Outcome.FAILURE


def test_commit_updates_existing_records(people, worker):
    people.database = {ID_A: 41}
    client = bearer_client(worker)
    job_id = upload(client, sample()).json()["id"]
    body = client.post(f"/api/v1/imports/{job_id}/commit").json()
    assert (body["counts"]["created"], body["counts"]["updated"]) == (1, 1)


def test_nothing_valid_cannot_be_committed(people, worker):
    client = bearer_client(worker)
    data = xlsx_bytes([HEADER, ["王五", "3.30481E+17", None, None, NANGUANXIANG]])
    job_id = upload(client, data).json()["id"]
    response = client.post(f"/api/v1/imports/{job_id}/commit")
    assert response.status_code == 422
    assert response.json()["code"] == "import.nothing_valid"


def test_cancelled_jobs_cannot_be_committed(people, worker):
    client = bearer_client(worker)
    job_id = upload(client, sample()).json()["id"]
    assert client.post(f"/api/v1/imports/{job_id}/cancel").json()["status"] == "cancelled"
    response = client.post(f"/api/v1/imports/{job_id}/commit")
    assert response.status_code == 409
    assert response.json()["code"] == "import.invalid_transition"


@pytest.mark.parametrize("key", ["resident", "volunteer", "org_staff", "auditor"])
def test_only_writers_may_import(people, role_users, key):
    response = upload(bearer_client(role_users[key]), sample())
    assert response.status_code == 403
    assert response.json()["code"] == "import.forbidden"


def test_unknown_kind_is_404(people, worker):
    response = upload(bearer_client(worker), sample(), kind="spaceships")
    assert response.status_code == 404
    assert response.json()["code"] == "import.kind_unknown"
    assert bearer_client(worker).get("/api/v1/imports/templates/spaceships").status_code == 404


def test_other_users_jobs_do_not_exist_for_them(people, role_users):
    job_id = upload(bearer_client(role_users["community_a"]), sample()).json()["id"]
    other = bearer_client(role_users["community_b"])
    for url in (
        f"/api/v1/imports/{job_id}",
        f"/api/v1/imports/{job_id}/issues",
        f"/api/v1/imports/{job_id}/errors.xlsx",
    ):
        assert other.get(url).status_code == 404
    assert other.post(f"/api/v1/imports/{job_id}/commit").status_code == 404
    assert other.get("/api/v1/imports").json()["items"] == []
    # Admins see the jobs of their scope.
    assert bearer_client(role_users["admin"]).get(f"/api/v1/imports/{job_id}").status_code == 200


def test_file_too_large_is_413(people, worker, settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_MAX_BYTES": 1000}
    response = upload(bearer_client(worker), sample())
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "import.file_too_large"
    assert "拆分" in body["message"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (PNG, "import.file_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "import.file_type"),
        (bytes(range(256)) * 20, "import.file_type"),
        (xlsx_bytes([["姓名"], ["张三"]]), "import.missing_columns"),
    ],
    # Fixed ids: the workbook's bytes carry the time it was made, and pytest-xdist needs
    # every worker to collect the same test names.
    ids=["png", "old-excel", "binary", "xlsx-without-columns"],
)
def test_unusable_files_are_422_with_a_code_and_no_job(people, worker, data, code):
    response = upload(bearer_client(worker), data)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert not ImportJob.objects.exists()


def test_hostile_file_names_are_harmless(people, worker):
    body = upload(bearer_client(worker), sample(), name="../../\x1b[31m名单\u202e.xlsx").json()
    assert body["file_name"] == "[31m名单.xlsx"
    job = ImportJob.objects.get(pk=body["id"])
    assert ".." not in job.storage_name and job.storage_name.startswith("imports/")


def test_issues_are_paginated(people, worker):
    rows = [["某", "123", None, None, NANGUANXIANG]] * 5
    client = bearer_client(worker)
    job_id = upload(client, sample(*rows)).json()["id"]
    page = client.get(f"/api/v1/imports/{job_id}/issues", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 6 and page["count_exact"] is True
    assert [i["row_number"] for i in page["items"]] == [6, 7]


def test_error_report_lists_the_issues_masked(people, worker):
    client = bearer_client(worker)
    job_id = upload(client, sample(["赵六", ID_C, None, None, DONGSHAN])).json()["id"]
    response = client.get(f"/api/v1/imports/{job_id}/errors.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("行号", "列", "错误代码", "说明", "原值(已脱敏)")
    assert rows[2][:3] == (4, "身份证号", "person.id_number.excel_number")
    assert rows[3][:3] == (5, "所属社区", "person.region.out_of_scope")
    assert ID_C not in content.decode("latin-1")


def test_template_download(people, worker):
    response = bearer_client(worker).get(f"/api/v1/imports/templates/{KIND}")
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["*姓名", "*身份证号", "手机号码"]
    assert sheet["B2"].value == "330481199001011234" and sheet["B2"].number_format == "@"
    assert sheet.column_dimensions["B"].number_format == "@"
    assert sheet.column_dimensions["A"].width >= 10
    notes = book["填写说明"]
    texts = [row[0] for row in notes.iter_rows(values_only=True)]
    assert "身份证号" in texts
    assert any(row[1] == "必填" for row in notes.iter_rows(values_only=True))


def test_the_template_imports_as_nothing(people, worker):
    client = bearer_client(worker)
    template = b"".join(client.get(f"/api/v1/imports/templates/{KIND}").streaming_content)
    body = upload(client, template).json()
    assert body["counts"]["rows_total"] == 0 and body["counts"]["rows_empty"] == 1


def test_export_is_masked_and_safe_against_formula_injection(people, role_users):
    from wushe.audit.services import audit_record

    audit_record(
        action="test_people.created",
        region_code=NANGUANXIANG,
        changes={"name": '=HYPERLINK("http://evil")', "id_number": ID_A},
    )
    response = bearer_client(role_users["auditor"]).get(f"/api/v1/exports/{KIND}?q=张")
    assert response.status_code == 200, response.content
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("*姓名", "*身份证号")
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[1][1] == "3304**********" + ID_A[-4:]
    assert rows[1][2] == "138****5678" and rows[1][8] == "是" and rows[1][10] == "a、b"
    event = AuditEvent.objects.get(action="imports.export.created")
    assert event.changes["rows"] == 1 and event.changes["filters"] == {"q": "张"}


def test_export_needs_the_export_permission(people, role_users):
    response = bearer_client(role_users["resident"]).get(f"/api/v1/exports/{KIND}")
    assert response.status_code == 403


def test_uploads_above_djangos_2_mib_body_limit_are_accepted(people, worker):
    # DATA_UPLOAD_MAX_MEMORY_SIZE (2 MiB) does not count files; our own limit (20 MiB) does.
    row = ["张三", ID_A, None, None, NANGUANXIANG]
    data = ("\n".join([",".join(HEADER)] + [",".join(v or "" for v in row)] * 80_000)).encode()
    assert len(data) > 3 * 1024 * 1024
    response = upload(bearer_client(worker), data, name="big.csv")
    assert response.status_code == 201, response.content
    assert response.json()["background"] is True


def test_too_many_rows_fails_the_job_with_a_message(people, worker, settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_MAX_ROWS": 2}
    body = upload(bearer_client(worker), sample()).json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == "import.too_many_rows"
    assert "拆分" in body["error"]["message"]


def test_stale_uploads_are_purged(people, worker, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    job_id = upload(bearer_client(worker), sample()).json()["id"]
    stored = ImportJob.objects.get(pk=job_id).storage_name
    ImportJob.objects.filter(pk=job_id).update(created_at=timezone.now() - timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("imports", "purge", "--days", "7")
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == "cancelled" and job.error_code == "import.expired"
    assert job.storage_name == "" and not default_storage.exists(stored)
    assert AuditEvent.objects.filter(action="imports.job.expired").count() == 1
