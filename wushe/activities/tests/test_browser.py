"""The time bank in headless Chromium: the organiser's screen shows the sign-in code, the
volunteer's phone opens it and signs in; later (the clock moved) signs out with the fresh
code; the organiser verifies the record in the queue; the volunteer sees hours and balance,
gives coins to a parent and redeems points at the charity store."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from wushe.activities import services
from wushe.activities.models import RecordStatus, ServiceRecord
from wushe.browser import browser_page, screenshot
from wushe.charity.models import CharityStore, StoreItem
from wushe.residents.services import resident_create
from wushe.testing import HAINING, NANGUANXIANG, PASSWORD, ensure_haining_regions, make_user
from wushe.timebank import services as tb
from wushe.timebank.models import Balance, SchemeKind
from wushe.timebank.tests.conftest import make_id
from wushe.volunteers.tests.helpers import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
START = timezone.make_aware(datetime(2026, 11, 2, 9, 0))


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def scan_link(page, action):
    href = page.locator(f'a[data-scan-url="{action}"]').get_attribute("href")
    assert href and re.search(r"/activities/scan/[^/]+/$", href)
    return href


def test_sign_in_out_verify_balance_gift_redeem(live_server, settings):
    # The clock jumps 100 minutes at once below; a real organiser's open QR page polls every
    # few seconds, so its session never idles out (30 minutes, wushe/core/security.py).
    settings.WUSHE = {**settings.WUSHE, "SESSION_IDLE_SECONDS": 4 * 3600}
    ensure_haining_regions()
    admin = make_user("root", "admin")
    organiser = make_user("zhou", "community_worker", NANGUANXIANG)
    phone_user = make_user("li", "volunteer", NANGUANXIANG)
    coin = tb.scheme_create(
        region_code=HAINING, code="hn-coin", name="海宁时间币",
        kind=SchemeKind.COIN, actor=admin, daily_earn_cap=None,
    )  # fmt: skip
    points = tb.scheme_create(
        region_code=HAINING, code="hn-points", name="海宁公益积分",
        kind=SchemeKind.POINTS, actor=admin, earn_per_hour=10, daily_earn_cap=None,
        redeem_min_age=0,
    )  # fmt: skip
    child_id = make_id("19850101", 13)
    elder = resident_create(
        region_code=NANGUANXIANG, name="王老伯", id_number=make_id("19480312", 11),
        household_number="0101", relation_to_head="head", actor=admin,
    )  # fmt: skip
    child = resident_create(
        region_code=NANGUANXIANG, name="李志愿", id_number=child_id, household_number="0101",
        relation_to_head="child", actor=admin, user=phone_user,
    )  # fmt: skip
    parent = tb.account_for_resident(scheme=coin, resident=elder)
    volunteer = register(actor=admin, id_number=child_id, user=phone_user)
    own_points = tb.account_for_resident(scheme=points, resident=child)
    tb.coins_earn(account=own_points, minutes=60, value_date=START.date(), actor=admin)
    store = CharityStore(name="南关厢爱心超市")
    store.place(NANGUANXIANG)
    store.save()
    rice = StoreItem(store=store, name="大米", unit="袋", points_price=4, stock=3)
    rice.place(NANGUANXIANG)
    rice.save()
    activity = services.activity_create(
        region_code=NANGUANXIANG, title="敬老院助餐", starts_at=START,
        ends_at=START + timedelta(hours=4), actor=organiser,
    )  # fmt: skip
    base = live_server.url

    with (
        time_machine.travel(START + timedelta(minutes=5)) as clock,
        browser_page(**DESKTOP) as screen,
    ):
        phone = screen.context.browser.new_context(locale="zh-CN", **PHONE).new_page()
        phone.set_default_timeout(15_000)
        sign_in(screen, base, "zhou")
        screen.goto(f"{base}/activities/{activity.pk}/")
        assert screen.locator(".qr-code svg").count() == 2
        screenshot(screen, "activities-qr-screen")
        sign_in(phone, base, "li")
        phone.goto(scan_link(screen, "in"))
        phone.get_by_role("button", name="确认签到").click()
        phone.wait_for_url(f"{base}/activities/{activity.pk}/")
        assert "签到成功" in phone.content()

        clock.shift(timedelta(minutes=100))
        screen.reload()
        phone.goto(scan_link(screen, "out"))
        phone.get_by_label("路途时间（分钟，不计入服务时长）").fill("10")
        screenshot(phone, "activities-sign-out-mobile")
        phone.get_by_role("button", name="确认签退").click()
        phone.wait_for_url(f"{base}/activities/{activity.pk}/")
        assert "服务记录已提交" in phone.content()
        record = ServiceRecord.objects.get(volunteer=volunteer)
        assert record.minutes == 90

        screen.goto(f"{base}/activities/queue/")
        screen.locator(f'tr[data-record="{record.pk}"]').get_by_role("button", name="认证").click()
        screen.wait_for_url(f"{base}/activities/queue/")
        record.refresh_from_db()
        assert record.status == RecordStatus.VERIFIED

        phone.goto(f"{base}/activities/mine/")
        assert "1.5 小时" in phone.get_by_test_id("hours").inner_text()
        phone.goto(f"{base}/timebank/")
        assert "1.50" in phone.content()
        phone.get_by_label("操作").select_option("gift")
        phone.get_by_label("转赠给").select_option(str(parent.pk))
        phone.get_by_label("数量").fill("0.5")
        phone.get_by_role("button", name="确定").click()
        phone.wait_for_url(re.compile(r".*/timebank/\?account=\d+$"))
        assert "操作成功" in phone.content()
        assert Balance.objects.get(account=parent).amount == 30

        phone.goto(f"{base}/timebank/store/")
        item = phone.locator(f'li[data-item="{rice.pk}"]')
        item.get_by_label("数量").fill("2")
        item.get_by_role("button", name="兑换").click()
        phone.wait_for_url(re.compile(r".*/timebank/store/\?account=\d+$"))
        assert "兑换成功" in phone.content()
        assert phone.get_by_test_id("points").inner_text() == "2"
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(phone, "timebank-store-mobile")
    rice.refresh_from_db()
    assert rice.stock == 1
