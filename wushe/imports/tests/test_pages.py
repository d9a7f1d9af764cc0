"""Pages in Chinese: upload, preview with issues, confirm, progress bar, downloads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wushe.audit.models import AuditEvent
from wushe.imports.models import ImportJob
from wushe.imports.services import import_upload
from wushe.testing import NANGUANXIANG

from .conftest import HEADER, ID_A, ID_B, ID_C, ID_D, KIND, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sample() -> bytes:
    return xlsx_bytes(
        [
            ["海宁市居民信息登记表"],
            HEADER,
            ["张三", ID_A, "13812345678", "1990-01-01", NANGUANXIANG],
            ["李四", "3.30481E+17", None, None, NANGUANXIANG],
        ],
        merges=["A1:E1"],
    )


def test_import_page_offers_permitted_kinds_and_templates(people, role_users):
    client = signed_in(role_users["community_a"])
    html = client.get("/imports/").content.decode()
    assert "表格导入" in html and "上传并预览" in html
    assert f'<option value="{KIND}">测试人员</option>' in html
    assert f'href="/imports/templates/{KIND}/"' in html
    assert 'href="/imports/"' in client.get("/").content.decode()  # in the menu


def test_import_page_is_closed_to_roles_that_cannot_import(people, role_users):
    client = signed_in(role_users["resident"])
    assert client.get("/imports/").status_code == 403
    assert 'href="/imports/"' not in client.get("/").content.decode()


def test_upload_preview_and_confirm(people, role_users):
    client = signed_in(role_users["community_a"])
    response = client.post(
        "/imports/", {"kind": KIND, "file": SimpleUploadedFile("名单.xlsx", sample())}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert "待确认导入" in html
    assert "表头在第 2 行" in html
    assert "确认后将新增 1 条、更新 0 条记录；有错误的 1 行不会导入。" in html
    assert "后几位数字已经丢失" in html and "person.id_number.excel_number" in html
    assert f'href="/imports/{job.pk}/errors.xlsx"' in html
    assert "<progress" not in html

    response = client.post(f"/imports/{job.pk}/commit/", follow=True)
    html = response.content.decode()
    assert "导入完成：新增 1 条，更新 0 条，跳过有错误的 1 行。" in html
    assert "已导入" in html
    assert AuditEvent.objects.filter(action="test_people.created").count() == 1


def test_upload_errors_are_shown_on_the_form(people, role_users, settings):
    client = signed_in(role_users["community_a"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50
    response = client.post("/imports/", {"kind": KIND, "file": SimpleUploadedFile("a.xlsx", png)})
    assert response.status_code == 422
    assert "这是图片文件" in response.content.decode()
    settings.WUSHE = {**settings.WUSHE, "IMPORT_MAX_BYTES": 100}
    response = client.post(
        "/imports/", {"kind": KIND, "file": SimpleUploadedFile("a.xlsx", sample())}
    )
    assert response.status_code == 413
    assert "拆分" in response.content.decode()


def test_running_jobs_show_a_polling_progress_bar(people, role_users, settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_BACKGROUND_ROWS": 1}
    worker = role_users["community_a"]
    rows = [HEADER] + [["某", n, None, None, NANGUANXIANG] for n in (ID_A, ID_B, ID_C, ID_D)]
    job = import_upload(kind=KIND, file_name="a.csv", data=csv_bytes(rows), actor=worker)
    client = signed_in(worker)
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert "<progress" in html and 'hx-trigger="every 1s"' in html
    assert f'hx-get="/imports/{job.pk}/progress/"' in html
    poll = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert "<progress" in poll.content.decode() and "HX-Refresh" not in poll
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PREVIEWED)
    done = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_other_users_jobs_are_404_pages(people, role_users):
    job = import_upload(
        kind=KIND, file_name="a.xlsx", data=sample(), actor=role_users["community_a"]
    )
    client = signed_in(role_users["community_b"])
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.post(f"/imports/{job.pk}/commit/").status_code == 404
    assert client.get(f"/imports/{job.pk}/errors.xlsx").status_code == 404


def test_downloads_from_pages(people, role_users):
    job = import_upload(
        kind=KIND, file_name="a.xlsx", data=sample(), actor=role_users["community_a"]
    )
    client = signed_in(role_users["community_a"])
    for url in (
        f"/imports/{job.pk}/errors.xlsx",
        f"/imports/templates/{KIND}/",
        f"/imports/export/{KIND}/?region=330481001007",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    event = AuditEvent.objects.get(action="imports.export.created")
    assert event.changes["filters"] == {"region": "330481001007"}
    assert signed_in(role_users["resident"]).get(f"/imports/export/{KIND}/").status_code == 403
    assert client.get("/imports/export/nothing/").status_code == 404
