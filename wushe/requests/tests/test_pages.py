"""Pages in Chinese: the resident's mobile pages (submit with photos, my requests, detail with
the timeline, confirm and rate, reopen, cancel), the worker inbox with counts and bulk
accept, dispatch, follow-up, the supervision list, the handlers' tasks, and the menu."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wushe.core import nav
from wushe.requests.models import Request, RequestPhoto, Status
from wushe.testing import NANGUANXIANG

from .conftest import png_bytes, signed_in

pytestmark = pytest.mark.django_db


def test_resident_submits_from_the_phone_form_with_a_photo(world):
    client = signed_in(world.users["resident"])
    page = client.get("/requests/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "我要求助" in html and "生活照料" in html and "提交诉求" in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    key = page.context["form"].initial["idempotency_key"]
    data = {
        "category": "daily_care",
        "description": "家里的灯坏了",
        "urgency": "normal",
        "address": "",
        "region": NANGUANXIANG,
        "idempotency_key": key,
    }
    photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    response = client.post("/requests/new/", {**data, "photos": [photo]})
    assert response.status_code == 302
    request = Request.objects.get()
    assert response["Location"] == f"/requests/{request.pk}/"
    assert RequestPhoto.objects.filter(request=request, stage="submitted").count() == 1
    # Pressing 提交 twice (same form, same key) files one request.
    again = client.post("/requests/new/", data)
    assert again.status_code == 302 and Request.objects.count() == 1
    detail = client.get(response["Location"]).content.decode()
    assert "提交诉求" in detail and "办理进度" in detail and "待受理" in detail
    assert "撤销诉求" in detail and "诉求照片" in detail
    assert f"/requests/{request.pk}/photos/" in detail


def test_submit_form_errors_are_shown_in_chinese(world):
    client = signed_in(world.users["resident"])
    response = client.post(
        "/requests/new/",
        {
            "category": "daily_care",
            "description": "",
            "urgency": "normal",
            "region": NANGUANXIANG,
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 422
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    bad_photo = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(
        "/requests/new/",
        {
            "category": "daily_care",
            "description": "灯坏了",
            "urgency": "normal",
            "region": NANGUANXIANG,
            "idempotency_key": "k2",
            "photos": [bad_photo],
        },
    )
    assert response.status_code == 422 and Request.objects.count() == 0


def test_my_requests_and_the_resident_closing_the_loop(world):
    request = world.make("resolved")
    client = signed_in(world.users["resident"])
    mine = client.get("/requests/").content.decode()
    assert "我的诉求" in mine and request.number in mine and "待确认" in mine
    detail = client.get(f"/requests/{request.pk}/").content.decode()
    assert "确认办结并评价" in detail and "★★★★★" in detail and "不满意，重新办理" in detail
    response = client.post(f"/requests/{request.pk}/confirm/", {"rating": "4", "comment": "好"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.rating == 4
    detail = client.get(f"/requests/{request.pk}/").content.decode()
    assert "已办结" in detail and "★★★★" in detail and "按时办结" in detail
    assert "感谢您的评价" in detail
    reopened = client.post(f"/requests/{request.pk}/reopen/", {"reason": "又坏了"}, follow=True)
    assert "已重新提交" in reopened.content.decode()
    request.refresh_from_db()
    assert request.status == Status.ACCEPTED


def test_resident_cancels_before_acceptance_and_errors_become_messages(world):
    request = world.submit()
    client = signed_in(world.users["resident"])
    response = client.post(f"/requests/{request.pk}/cancel/", follow=True)
    assert "诉求已撤销" in response.content.decode()
    again = client.post(f"/requests/{request.pk}/reopen/", follow=True)
    assert "不能重新办理" in again.content.decode()
    someone_else = world.submit("community_a", channel="phone")
    assert client.post(f"/requests/{someone_else.pk}/cancel/").status_code == 404
    assert (
        signed_in(world.users["other_resident"]).get(f"/requests/{request.pk}/").status_code == 404
    )


def test_inbox_counts_overdue_mark_and_bulk_accept(world):
    old = world.submit()
    fresh = world.submit()
    world.make("in_progress")
    Request.objects.filter(pk=old.pk).update(accept_due_at=timezone.now() - timedelta(hours=1))
    client = signed_in(world.users["community_a"])
    page = client.get("/requests/inbox/")
    html = page.content.decode()
    assert page.status_code == 200 and "诉求工作台" in html
    for label in ("待受理", "待派单", "办理中", "待确认", "已逾期", "已升级", "督办中"):
        assert label in html
    tabs = {t["key"]: t["count"] for t in page.context["tabs"]}
    assert tabs["submitted"] == 2 and tabs["overdue"] == 1 and tabs["working"] == 1
    assert 'class="badge warn">已逾期' in html
    assert "批量受理所选诉求" in html
    response = client.post("/requests/inbox/accept/", {"ids": [old.pk, fresh.pk]}, follow=True)
    assert "已受理 2 条诉求" in response.content.decode()
    assert set(
        Request.objects.filter(pk__in=[old.pk, fresh.pk]).values_list("status", flat=True)
    ) == {"accepted"}
    # HTMX asks for the results only.
    partial = client.get("/requests/inbox/?status=accepted", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and old.number in partial.content.decode()
    assert signed_in(world.users["resident"]).get("/requests/inbox/").status_code == 403
    other = signed_in(world.users["community_b"]).get("/requests/inbox/?status=accepted")
    assert old.number not in other.content.decode()


def test_dispatch_screen_lists_eligible_handlers(world):
    request = world.make("accepted")
    client = signed_in(world.users["community_a"])
    page = client.get(f"/requests/{request.pk}/dispatch/")
    html = page.content.decode()
    assert page.status_code == 200 and "确认派单" in html
    assert "李志愿" in html and "王社工" in html and "沈卫东" in html
    empty = client.post(f"/requests/{request.pk}/dispatch/", {})
    assert empty.status_code == 422 and "请选择至少一个承办方" in empty.content.decode()
    response = client.post(
        f"/requests/{request.pk}/dispatch/",
        {"handlers": [f"volunteer:{world.volunteer.pk}"], "department": "住建局", "note": "尽快"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED and request.assignments.count() == 2
    assert (
        signed_in(world.users["auditor"]).get(f"/requests/{request.pk}/dispatch/").status_code
        == 403
    )


def test_handler_tasks_start_and_resolve_with_photos(world):
    request = world.make("dispatched")
    client = signed_in(world.users["volunteer"])
    tasks = client.get("/requests/tasks/").content.decode()
    assert "我的任务" in tasks and "开始办理" in tasks and request.description[:10] in tasks
    response = client.post(f"/requests/{request.pk}/start/", {"next": "/requests/tasks/"})
    assert response.status_code == 302 and response["Location"] == "/requests/tasks/"
    photo = SimpleUploadedFile("done.png", png_bytes((0, 128, 0)), content_type="image/png")
    client.post(f"/requests/{request.pk}/resolve/", {"result": "已买好菜", "photos": [photo]})
    org = signed_in(world.users["org_staff"])
    org.post(f"/requests/{request.pk}/resolve/", {"result": "已安排送餐"})
    request.refresh_from_db()
    assert request.status == Status.RESOLVED
    assert RequestPhoto.objects.filter(request=request, stage="resolved").count() == 1
    done = client.get("/requests/tasks/").content.decode()
    assert "已完成" in done


def test_party_member_claims_from_tasks(world):
    request = world.make("accepted")
    client = signed_in(world.users["party"])
    page = client.get("/requests/tasks/").content.decode()
    assert "可认领的诉求" in page and "我来认领" in page
    response = client.post(f"/requests/{request.pk}/claim/", follow=True)
    assert "认领成功" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED


def test_follow_up_and_supervision_pages(world):
    closed = world.make("closed")
    worker = signed_in(world.users["community_a"])
    page = worker.get(f"/requests/{closed.pk}/follow-up/")
    assert page.status_code == 200 and "登记回访" in page.content.decode()
    response = worker.post(
        f"/requests/{closed.pk}/follow-up/",
        {"outcome": "reached", "satisfied": "yes", "note": "好"},
    )
    assert response.status_code == 302
    assert closed.follow_ups.get().satisfied is True

    with time_machine.travel(timezone.now() - timedelta(days=3)):
        late = world.submit()
    from wushe.requests.services import requests_sweep

    requests_sweep()
    township = signed_in(world.users["township"])
    listing = township.get("/requests/supervision/").content.decode()
    assert "升级与督办" in listing and late.number in listing and "乡镇（街道）" in listing
    detail = township.get(f"/requests/{late.pk}/").content.decode()
    assert "列入督办" in detail and "已升级至乡镇（街道）" in detail
    township.post(f"/requests/{late.pk}/supervise/", {"note": "请三日内办结"})
    late.refresh_from_db()
    assert late.supervised
    assert signed_in(world.users["resident"]).get("/requests/supervision/").status_code == 403


def test_photo_pages_follow_the_request(world):
    request = world.submit()
    client = signed_in(world.users["resident"])
    client.post(
        f"/requests/{request.pk}/photos/",
        {"stage": "submitted", "photos": [SimpleUploadedFile("a.png", png_bytes(), "image/png")]},
    )
    photo = RequestPhoto.objects.get()
    url = f"/requests/{request.pk}/photos/{photo.pk}/"
    assert client.get(url).status_code == 200
    assert client.get(url + "?thumb=1")["Content-Type"] == "image/jpeg"
    assert signed_in(world.users["community_b"]).get(url).status_code == 404
    assert signed_in(world.users["community_a"]).get(url).status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("resident", {"requests_submit", "requests_mine"}),
        ("community_a", {"requests_inbox"}),
        ("township", {"requests_inbox", "requests_supervision"}),
        ("auditor", {"requests_inbox", "requests_supervision"}),
        ("volunteer", {"requests_tasks"}),
        ("org_staff", {"requests_tasks"}),
        ("social_worker", {"requests_inbox", "requests_tasks"}),
        ("party", {"requests_tasks"}),
        ("charity_staff", set()),
    ],
)
def test_menu_entries_per_role(world, role, expected):
    keys = {
        item.key for item in nav.items_for(world.users[role]) if item.key.startswith("requests")
    }
    assert keys == expected


def test_a_form_sent_again_with_other_words_is_explained(world):
    client = signed_in(world.users["resident"])
    data = {
        "category": "daily_care",
        "description": "灯坏了",
        "urgency": "normal",
        "region": NANGUANXIANG,
        "idempotency_key": "form-1",
    }
    assert client.post("/requests/new/", data).status_code == 302
    again = client.post("/requests/new/", {**data, "description": "水管也漏了"})
    assert again.status_code == 422 and "这份表单已经提交过" in again.content.decode()
    assert Request.objects.count() == 1


def test_too_many_photos_at_once_are_refused(world):
    request = world.submit()
    files = [
        SimpleUploadedFile(f"{i}.png", png_bytes((i, i, i)), content_type="image/png")
        for i in range(10)
    ]
    from wushe.testing import bearer_client

    response = bearer_client(world.users["resident"]).post(
        f"/api/v1/requests/{request.pk}/photos", {"stage": "submitted", "photos": files}
    )
    assert response.status_code == 422 and response.json()["code"] == "request.photos.too_many"
