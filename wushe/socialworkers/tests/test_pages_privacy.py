"""Pages of the social worker register, and the audited reveal of ID numbers and phones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wushe.audit.models import AuditEvent
from wushe.socialworkers.models import SocialWorker
from wushe.testing import NANGUANXIANG, PASSWORD, XIASHI, bearer_client

from .conftest import id_number, make_worker, years_ago

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def reveal(user, worker, field="id_number", reason="核对登记信息"):
    return bearer_client(user).post(
        "/api/v1/personal/reveal",
        {
            "subject_type": "socialworkers.socialworker",
            "subject_id": worker.pk,
            "field": field,
            "reason": reason,
        },
        content_type="application/json",
    )


def test_reveal_is_for_writers_in_scope_and_is_audited(role_users, workers):
    worker = workers["ngx"]
    response = reveal(role_users["community_a"], worker)
    assert response.status_code == 200
    assert response.json()["value"] == id_number(2)
    event = AuditEvent.objects.get(action="privacy.personal.revealed")
    assert event.target_id == str(worker.pk) and event.region_code == NANGUANXIANG
    assert event.changes["reason"] == "核对登记信息" and event.changes["field"] == "id_number"
    assert id_number(2) not in str(event.changes)
    phone = reveal(role_users["township"], worker, field="phone")
    assert phone.json()["value"] == "+8613800000002"

    refused = reveal(role_users["auditor"], worker)
    assert refused.status_code == 403 and refused.json()["code"] == "privacy.reveal_forbidden"
    assert AuditEvent.objects.filter(
        action="privacy.personal.reveal_refused", outcome="failure"
    ).exists()
    assert reveal(role_users["community_b"], worker).status_code == 404
    assert reveal(role_users["resident"], worker).status_code == 404
    assert reveal(role_users["community_a"], worker, reason="看").status_code == 422


def test_a_social_worker_may_reveal_their_own_record(role_users, workers):
    person = role_users["resident"]
    SocialWorker.objects.filter(pk=workers["ngx"].pk).update(user=person)
    assert reveal(person, workers["ngx"]).json()["value"] == id_number(2)
    assert reveal(person, workers["xiashi"]).status_code == 404


def test_list_page_shows_warnings_counts_and_masks(role_users, workers):
    admin = role_users["admin"]
    make_worker(admin, 20, name="到期提醒", registered_on=years_ago(3, days=-30))
    client = signed_in(role_users["township"])
    html = client.get("/socialworkers/").content.decode()
    assert "社会工作者" in html and "王晓燕" in html and "李丽娟" in html
    assert "张海涛" not in html  # another township
    assert "90 天内到期 1 人" in html
    assert "登记已逾期 2 人" in html  # 王晓燕 and 李丽娟: registered 2020, never renewed
    assert id_number(1) not in html and id_number(1)[:4] + "**********" in html
    assert "延续登记已逾期" in html
    due = client.get("/socialworkers/?warning=due_soon", HTTP_HX_REQUEST="true").content.decode()
    assert "到期提醒" in due and "王晓燕" not in due and "<html" not in due
    assert "延续登记 " in due and "天内到期" in due


def test_detail_page_with_sealed_values_renewal_and_education_forms(role_users, workers):
    worker = workers["xiashi"]
    client = signed_in(role_users["township"])
    html = client.get(f"/socialworkers/{worker.pk}/").content.decode()
    assert "王晓燕" in html and "查看完整" in html and "记录延续登记" in html
    assert id_number(1) not in html and "13800000001" not in html
    assert "硖石街道社会工作服务站" in html and "驻站" in html

    renewal = client.post(
        f"/socialworkers/{worker.pk}/renewals/", {"renewed_on": "2023-03-10", "note": "按时"}
    )
    assert renewal.status_code == 302
    worker.refresh_from_db()
    assert str(worker.registration_expires_on) == "2026-03-10"
    bad = client.post(f"/socialworkers/{worker.pk}/renewals/", {"renewed_on": "2019-01-01"})
    assert bad.status_code == 422
    assert "延续登记日期须晚于上次登记" in bad.content.decode()

    education = client.post(
        f"/socialworkers/{worker.pk}/education/",
        {
            "taken_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "hours": "12.5",
            "provider": "嘉兴市社会工作者协会",
            "topic": "老年社会工作",
        },
    )
    assert education.status_code == 302
    worker.refresh_from_db()
    assert str(worker.education_hours) == "12.5"

    auditor = signed_in(role_users["auditor"])
    seen = auditor.get(f"/socialworkers/{worker.pk}/").content.decode()
    assert "查看完整" not in seen and "记录延续登记" not in seen
    assert (
        auditor.post(
            f"/socialworkers/{worker.pk}/renewals/", {"renewed_on": "2024-01-01"}
        ).status_code
        == 403
    )
    assert (
        signed_in(role_users["community_b"]).get(f"/socialworkers/{worker.pk}/").status_code == 404
    )


def test_create_and_edit_pages(role_users, stations):
    client = signed_in(role_users["township"])
    assert "登记社会工作者" in client.get("/socialworkers/new/").content.decode()
    form = {
        "name": "周佳怡",
        "id_number": id_number(30).lower(),
        "phone": "139 1234 5678",
        "certificate_level": "assistant",
        "certificate_number": "ZS20230030",
        "certificate_date": "2023-10-20",
        "registered_on": "2024-01-10",
        "region": XIASHI,
        "station": stations["xiashi"].pk,
        "resident_at_station": "on",
        "status": "active",
    }
    response = client.post("/socialworkers/new/", form)
    worker = SocialWorker.objects.get(name="周佳怡")
    assert response.status_code == 302 and response["Location"] == f"/socialworkers/{worker.pk}/"
    assert worker.phone_masked == "139****5678" and worker.resident_at_station

    duplicate = client.post("/socialworkers/new/", {**form, "certificate_number": "ZS1"})
    assert duplicate.status_code == 200
    assert "证书编号只能由字母" in duplicate.content.decode()
    again = client.post("/socialworkers/new/", {**form, "certificate_number": "ZS20230099"})
    assert "该身份证号已登记为社会工作者" in again.content.decode()

    # Editing keeps the sealed values when the boxes are left empty.
    edit = client.post(
        f"/socialworkers/{worker.pk}/edit/",
        {**form, "id_number": "", "phone": "", "name": "周佳怡（改）", "status": "left"},
    )
    assert edit.status_code == 302
    worker.refresh_from_db()
    assert worker.name == "周佳怡（改）" and worker.status == "left"
    assert worker.phone_masked == "139****5678" and worker.id_number_masked.endswith(
        id_number(30)[-4:]
    )
    assert (
        signed_in(role_users["auditor"]).get(f"/socialworkers/{worker.pk}/edit/").status_code == 403
    )
    assert signed_in(role_users["resident"]).get("/socialworkers/").status_code == 403
