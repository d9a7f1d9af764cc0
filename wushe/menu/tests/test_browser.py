"""The menu loop in headless Chromium: a resident orders from her community's menu on a
phone, the provider's staff confirm, schedule and sign off the delivery, the resident rates."""

from __future__ import annotations

from datetime import date

import pytest

from wushe.browser import browser_page, screenshot
from wushe.menu import services
from wushe.menu.models import OrderStatus, ServiceOrder
from wushe.residents.models import Resident
from wushe.testing import (
    NANGUANXIANG,
    PASSWORD,
    XIASHI,
    ensure_default_terms,
    ensure_haining_regions,
    make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_resident_orders_provider_delivers_resident_rates(live_server):
    ensure_haining_regions()
    ensure_default_terms()
    user = make_user("zhang", "resident", NANGUANXIANG)
    resident = Resident(name="张阿姨", birth_date=date(1946, 3, 2), user=user)
    resident.place(NANGUANXIANG)
    resident.save()
    staff = make_user("chen", "org_staff", XIASHI)
    organization = staff.grants.get().organization
    services.offering_create(
        actor=staff,
        region_code=XIASHI,
        provider_kind="organization",
        provider_id=organization.pk,
        spec=services.OfferingSpec(
            category="elderly_care",
            title="爱心理发",
            description="志愿者上门为老人理发。",
            capacity=5,
            schedule="每周六上午",
        ),
    )
    base = live_server.url

    # 1. The resident finds the menu in the navigation and orders from her phone.
    with browser_page(**PHONE) as page:
        sign_in(page, base, "zhang")
        page.get_by_role("button", name="菜单").click()
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="服务菜单").click()
        page.wait_for_url(f"{base}/menu/")
        assert "爱心理发" in page.content()
        assert "本期已点 0" in page.content()
        page.locator("summary", has_text="我要点单").click()
        page.get_by_label("备注（可选）").fill("上午在家。")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "menu-browse-mobile")
        page.get_by_role("button", name="确认点单").click()
        page.wait_for_url(f"{base}/menu/orders/*/")
        assert "点单成功" in page.content()
        assert "待确认" in page.locator("#order-title").inner_text()
    order = ServiceOrder.objects.get()

    # 2. The provider confirms, schedules and signs off the delivery.
    with browser_page(**DESKTOP) as page:
        sign_in(page, base, "chen")
        nav = page.get_by_role("navigation", name="主导航")
        nav.get_by_role("link", name="点单工作台").click()
        page.wait_for_url(f"{base}/menu/orders/")
        page.get_by_role("link", name="爱心理发").click()
        page.get_by_role("button", name="确认接单").click()
        assert "已确认" in page.locator("#order-title").inner_text()
        page.get_by_label("服务时间").fill(f"{order.service_date:%Y-%m-%d}T10:00")
        page.get_by_role("button", name="安排服务时间").click()
        assert "已排期" in page.locator("#order-title").inner_text()
        page.get_by_label("服务记录（可选）").fill("已上门理发。")
        screenshot(page, "menu-order-provider")
        page.get_by_role("button", name="确认服务完成").click()
        assert "已服务待评价" in page.locator("#order-title").inner_text()

    # 3. The resident rates it.
    with browser_page(**PHONE) as page:
        sign_in(page, base, "zhang")
        page.goto(f"{base}/menu/mine/")
        page.get_by_role("link", name="去评价").click()
        page.get_by_label("★★★★★", exact=True).check()
        page.get_by_label("评价（可选）").fill("理得很好，谢谢！")
        page.get_by_role("button", name="提交评价").click()
        assert "感谢您的评价" in page.content()
        assert "已评价" in page.locator("#order-title").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "menu-rated-mobile")
    order.refresh_from_db()
    assert order.status == OrderStatus.RATED
    assert order.rating == 5 and order.rating_comment == "理得很好，谢谢！"
