"""The whole loop of 民呼我为 in headless Chromium: a resident submits from a phone with a
photo, the community worker accepts (bulk) and dispatches, the volunteer starts and resolves,
the resident confirms and rates, and the request shows as closed on time; another request
left past its deadline escalates to the township (the command under a moved clock) and the
township officer finds it on the supervision list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from wushe.browser import browser_page, screenshot
from wushe.requests import services
from wushe.requests.models import Request, Status
from wushe.testing import (
    NANGUANXIANG,
    PASSWORD,
    XIASHI,
    ensure_default_terms,
    ensure_haining_regions,
    make_user,
)
from wushe.volunteers.models import Volunteer

from .conftest import png_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_the_whole_loop(live_server):
    ensure_haining_regions()
    ensure_default_terms()
    resident = make_user("zhang", "resident", NANGUANXIANG)
    make_user("zhou", "community_worker", NANGUANXIANG)
    make_user("zheng", "township_officer", XIASHI)
    helper = make_user("li", "volunteer", NANGUANXIANG)
    volunteer = Volunteer(
        name="李志愿", number="330481-2024-0001", registered_on=date(2024, 1, 1), user=helper
    )
    volunteer.place(NANGUANXIANG)
    volunteer.save()
    base = live_server.url

    # 1. The resident asks for help from the phone, with a photo from the camera.
    with browser_page(**PHONE) as page:
        sign_in(page, base, "zhang")
        page.get_by_role("button", name="菜单").click()
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="我要求助").click()
        page.wait_for_url(f"{base}/requests/new/")
        page.get_by_label("生活照料").check()
        page.get_by_label("请描述您的情况").fill("楼道灯坏了，晚上出门看不见。")
        page.get_by_label("照片（可拍照上传，最多 9 张）").set_input_files(
            [{"name": "light.png", "mimeType": "image/png", "buffer": png_bytes()}]
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "requests-submit-mobile")
        page.get_by_role("button", name="提交诉求").click()
        page.wait_for_url(f"{base}/requests/*/")
        assert "诉求已提交" in page.content()
        assert page.get_by_role("img", name="诉求照片 1").is_visible()
        assert "待受理" in page.locator("#req-title").inner_text()
        request = Request.objects.get()
        screenshot(page, "requests-detail-submitted-mobile")

    # 2. The community worker accepts it from the inbox and dispatches it to the volunteer.
    with browser_page(**DESKTOP) as page:
        sign_in(page, base, "zhou")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="诉求工作台").click()
        page.wait_for_url(f"{base}/requests/inbox/")
        page.get_by_label(f"选择 {request.number}").check()
        page.get_by_role("button", name="批量受理所选诉求").click()
        assert "已受理 1 条诉求" in page.content()
        page.goto(f"{base}/requests/{request.pk}/")
        page.get_by_role("link", name="派单").click()
        page.get_by_label("李志愿").check()
        screenshot(page, "requests-dispatch")
        page.get_by_role("button", name="确认派单").click()
        page.wait_for_url(f"{base}/requests/{request.pk}/")
        assert "已派单" in page.locator("#req-title").inner_text()

    # 3. The volunteer starts and resolves it from "我的任务".
    with browser_page(**PHONE) as page:
        sign_in(page, base, "li")
        page.goto(f"{base}/requests/tasks/")
        assert "楼道灯坏了" in page.content()
        page.get_by_role("button", name="开始办理").click()
        page.wait_for_url(f"{base}/requests/tasks/")
        page.get_by_role("link", name="办结").first.click()
        page.locator("summary", has_text="办结").click()
        page.get_by_label("办理结果").fill("已联系物业换好灯泡。")
        page.get_by_role("button", name="提交办结").click()
        page.wait_for_url(f"{base}/requests/{request.pk}/")
        assert "待确认" in page.locator("#req-title").inner_text()

    # 4. The resident confirms and rates: closed, on time.
    with browser_page(**PHONE) as page:
        sign_in(page, base, "zhang")
        page.goto(f"{base}/requests/")
        page.get_by_role("link", name="生活照料").first.click()
        page.get_by_label("★★★★★").check()
        page.get_by_label("评价（可选）").fill("很快就修好了，谢谢！")
        page.get_by_role("button", name="确认办结并评价").click()
        page.wait_for_url(f"{base}/requests/{request.pk}/")
        title = page.locator("#req-title").inner_text()
        assert "已办结" in title
        assert "按时办结" in page.content()
        timeline = page.locator(".req-timeline").inner_text()
        for step in ("提交诉求", "受理", "派单", "开始办理", "办结", "居民确认办结"):
            assert step in timeline
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "requests-closed-mobile")
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.rating == 5
    assert request.resolved_on_time is True

    # 5. Another request nobody accepts climbs to the township after its deadline.
    late, _created = services.request_submit(
        actor=resident,
        region_code=NANGUANXIANG,
        category="environment",
        description="小区垃圾桶满了没人清理。",
    )
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        call_command("requests", "escalate")
    late.refresh_from_db()
    assert late.escalation_level == 2
    with browser_page(**DESKTOP) as page:
        sign_in(page, base, "zheng")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="升级与督办").click()
        page.wait_for_url(f"{base}/requests/supervision/")
        assert late.number in page.content() and "乡镇（街道）" in page.content()
        page.get_by_role("link", name="环境物业").click()
        assert "社区吹哨" in page.content() or "升级" in page.locator(".req-timeline").inner_text()
        screenshot(page, "requests-escalated-township")
