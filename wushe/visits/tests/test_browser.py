"""探访关爱 in headless Chromium: a community worker on a phone finds who is due, records a
phone visit that found a need and raises it as a request; the township officer sees the
community on the overdue overview and sets an extreme-weather override."""

from __future__ import annotations

from datetime import date

import pytest

from wushe.browser import browser_page, screenshot
from wushe.testing import (
    DONGSHAN,
    NANGUANXIANG,
    PASSWORD,
    XIASHI,
    ensure_default_terms,
    ensure_haining_regions,
    make_user,
)
from wushe.visits import services
from wushe.visits.models import Visit, WeatherOverride

from .conftest import make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_due_list_record_and_overview(live_server):
    ensure_haining_regions()
    ensure_default_terms()
    make_user("zhou", "community_worker", NANGUANXIANG)
    make_user("zheng", "township_officer", XIASHI)
    make_resident("钱奶奶", NANGUANXIANG, "alone_elder")
    make_resident("周奶奶", DONGSHAN, "alone_elder")
    services.enrolments_sync(today=date(2025, 1, 1))  # long overdue by now
    base = live_server.url

    with browser_page(**PHONE) as page:
        sign_in(page, base, "zhou")
        page.goto(f"{base}/visits/?bucket=overdue")
        card = page.locator(".vis-cards li", has_text="钱奶奶")
        card.get_by_role("link", name="记录探访").click()
        page.get_by_label("电话探访").check()
        page.get_by_label("需要关注").check()
        page.get_by_label("探访记录").fill("老人腿脚不便，希望有人送餐。")
        page.get_by_text("发现需求？").click()
        page.get_by_label("转为诉求，交社区办理").check()
        page.get_by_label("诉求类别").select_option(label="生活照料")
        page.get_by_label("需求说明").fill("独居老人腿脚不便，需要助餐送餐。")
        screenshot(page, "visits-record-phone")
        page.get_by_role("button", name="保存探访记录").click()
        page.wait_for_selector("text=探访已记录")
        assert page.locator("text=已转为诉求").count() == 1
        assert page.locator("table", has_text="电话探访").count() == 1

    visit = Visit.objects.get()
    assert visit.method == "phone" and visit.follow_up_request is not None

    with browser_page(**DESKTOP) as page:
        sign_in(page, base, "zheng")
        page.goto(f"{base}/visits/overview/")
        row = page.locator("tr", has_text="东山社区")
        assert row.locator(".badge.warn").inner_text() == "1"
        page.goto(f"{base}/visits/plan/")
        page.get_by_text("设置临时加密探访").click()
        page.get_by_label("原因").fill("寒潮预警")
        page.get_by_role("button", name="设置并通知探访责任人").click()
        page.wait_for_selector("text=临时加密探访已设置")
        screenshot(page, "visits-plan")
    assert WeatherOverride.objects.filter(reason="寒潮预警", region_id=XIASHI).exists()
