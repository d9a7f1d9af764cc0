"""Inbox pages, settings page, API shapes and the unread-count tag: each user sees only their
own notifications (another's is 404)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from wushe.core import nav
from wushe.notifications.models import Notification, NotificationPreference
from wushe.notifications.services import notify
from wushe.testing import NANGUANXIANG, bearer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def inboxes(role_users):
    resident, worker = role_users["resident"], role_users["community_a"]
    notify(
        recipients=[resident],
        kind="requests.accepted",
        title="您的诉求已受理",
        body="社区将在 2 天内安排处理。",
        link="/requests/7/",
        region_code=NANGUANXIANG,
    )
    notify(recipients=[resident], kind="requests.resolved", title="您的诉求已办结")
    notify(recipients=[worker], kind="requests.submitted", title="有一条新的诉求待受理")
    return resident, worker


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_api_lists_only_my_notifications_unread_first(inboxes):
    resident, _worker = inboxes
    older = Notification.objects.get(title="您的诉求已受理")
    newer = Notification.objects.get(title="您的诉求已办结")
    client = bearer_client(resident)
    client.post(f"/api/v1/notifications/{newer.pk}/read")

    response = client.get("/api/v1/notifications")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2 and data["count_exact"] is True
    assert [item["title"] for item in data["items"]] == ["您的诉求已受理", "您的诉求已办结"]
    first = data["items"][0]
    assert set(first) == {
        "id",
        "kind",
        "title",
        "body",
        "link",
        "region_code",
        "target_type",
        "target_id",
        "created_at",
        "read_at",
        "is_read",
    }
    assert first["id"] == older.pk
    assert first["region_code"] == NANGUANXIANG
    assert first["link"] == "/requests/7/"
    assert first["is_read"] is False and first["read_at"] is None
    assert data["items"][1]["is_read"] is True

    unread = client.get("/api/v1/notifications?unread=true").json()
    assert [item["title"] for item in unread["items"]] == ["您的诉求已受理"]
    read = client.get("/api/v1/notifications?unread=false&limit=1").json()
    assert [item["title"] for item in read["items"]] == ["您的诉求已办结"]


def test_api_read_one_read_all_and_count(inboxes):
    resident, worker = inboxes
    client = bearer_client(resident)
    assert client.get("/api/v1/notifications/unread-count").json() == {"count": 2}
    note = Notification.objects.filter(recipient=resident).first()
    response = client.post(f"/api/v1/notifications/{note.pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    again = client.post(f"/api/v1/notifications/{note.pk}/read")  # repeating changes nothing
    assert again.json()["read_at"] == response.json()["read_at"]
    assert client.get("/api/v1/notifications/unread-count").json() == {"count": 1}
    assert client.post("/api/v1/notifications/read-all").json() == {"updated": 1}
    assert client.get("/api/v1/notifications/unread-count").json() == {"count": 0}
    # The worker's own message is untouched.
    assert bearer_client(worker).get("/api/v1/notifications/unread-count").json() == {"count": 1}


def test_another_users_notification_is_404_everywhere(inboxes, role_users):
    _resident, worker = inboxes
    theirs = Notification.objects.get(recipient=worker)
    # Even an admin cannot read or mark someone else's inbox.
    for key in ("resident", "admin", "county"):
        client = bearer_client(role_users[key])
        response = client.post(f"/api/v1/notifications/{theirs.pk}/read")
        assert response.status_code == 404
        assert response.json()["code"] == "notification.not_found"
        titles = [i["title"] for i in client.get("/api/v1/notifications").json()["items"]]
        assert "有一条新的诉求待受理" not in titles
        pages = page_client(role_users[key])
        assert pages.post(f"/notifications/{theirs.pk}/read/").status_code == 404
        assert pages.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_needs_sign_in():
    response = Client().get("/api/v1/notifications")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"


def test_api_preferences_never_show_the_full_phone(role_users):
    client = bearer_client(role_users["resident"])
    assert client.get("/api/v1/notifications/preferences").json() == {
        "sms_enabled": False,
        "phone_masked": "",
        "wechat_bound": False,
    }
    response = client.put(
        "/api/v1/notifications/preferences",
        {"sms_enabled": True, "phone": "13812345678", "wechat_openid": "oAbc_123456"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "sms_enabled": True,
        "phone_masked": "138****5678",
        "wechat_bound": True,
    }
    assert "13812345678" not in response.content.decode()
    bad = client.put(
        "/api/v1/notifications/preferences",
        {"sms_enabled": True, "phone": "010-1234"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "phone.format"


def test_inbox_page_in_chinese_with_unread_first_and_actions(inboxes):
    resident, _worker = inboxes
    client = page_client(resident)
    response = client.get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "消息" in html and "您有 2 条未读消息" in html
    assert "您的诉求已受理" in html and "全部标为已读" in html
    assert "有一条新的诉求待受理" not in html
    only_unread = client.get("/notifications/?unread=1", headers={"HX-Request": "true"})
    assert only_unread.status_code == 200
    assert "<h1>" not in only_unread.content.decode()  # the results fragment only


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(inboxes):
    resident, _worker = inboxes
    note = Notification.objects.get(title="您的诉求已受理")
    client = page_client(resident)
    response = client.post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/requests/7/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_read_and_all_read_pages(inboxes):
    resident, _worker = inboxes
    client = page_client(resident)
    note = Notification.objects.filter(recipient=resident).first()
    response = client.post(f"/notifications/{note.pk}/read/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=resident, read_at__isnull=True).exists()
    assert client.get(f"/notifications/{note.pk}/read/").status_code == 405


def test_settings_page_saves_phone_sealed_and_shows_it_masked(role_users):
    user = role_users["volunteer"]
    client = page_client(user)
    page = client.get("/notifications/settings/")
    assert page.status_code == 200
    assert "通知设置" in page.content.decode() and "接收短信通知" in page.content.decode()

    missing = client.post("/notifications/settings/", {"sms_enabled": "on"})
    assert missing.status_code == 200
    assert "开启短信通知需要填写手机号码" in missing.content.decode()

    saved = client.post(
        "/notifications/settings/", {"sms_enabled": "on", "phone": "138-1234-5678"}, follow=True
    )
    html = saved.content.decode()
    assert "通知设置已保存" in html
    assert "138****5678" in html and "13812345678" not in html
    pref = NotificationPreference.objects.get(user=user)
    assert pref.sms_enabled and pref.phone_masked == "138****5678"

    # Leaving the phone empty keeps it; "delete" clears it (and SMS must then be off).
    client.post("/notifications/settings/", {"sms_enabled": "on", "phone": ""})
    pref.refresh_from_db()
    assert pref.phone_masked == "138****5678"
    client.post("/notifications/settings/", {"clear_phone": "on"})
    pref.refresh_from_db()
    assert (pref.sms_enabled, pref.phone_token, pref.phone_masked) == (False, "", "")


def test_pages_need_sign_in():
    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_nav_item_for_every_signed_in_user(role_users):
    for user in role_users.values():
        assert "notifications" in [item.key for item in nav.items_for(user)]


def test_unread_count_tag(inboxes):
    resident, _worker = inboxes
    request = RequestFactory().get("/")
    request.user = resident
    template = Template("{% load notifications %}{% unread_count as n %}[{{ n }}]")
    assert template.render(Context({"request": request})) == "[2]"
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert template.render(Context({"request": request})) == "[0]"


def test_home_page_shows_the_messages_link(role_users):
    html = page_client(role_users["resident"]).get("/").content.decode()
    assert "/notifications/" in html
