"""A community worker on a phone: finds a resident, opens the record, reveals the ID number
with a reason; the page never scrolls sideways."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from wushe.browser import browser_page, screenshot
from wushe.residents import services
from wushe.testing import NANGUANXIANG, PASSWORD, ensure_haining_regions, make_user

from .conftest import make_id, make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_finds_a_resident_and_reveals_the_id_number_on_a_phone(live_server):
    ensure_haining_regions()
    worker = make_user("zhou", "community_worker", NANGUANXIANG)
    admin = make_user("root", "admin", None)
    number = make_id("19560312", 2)
    resident = make_resident(admin, id_number=number, phone="13912345678", address="南关厢 3 幢")
    services.resident_tag_add(
        resident=resident, tag="alone_elder", start_date=date(2024, 1, 5), actor=admin
    )
    make_resident(admin, name="王建国", id_number=make_id("19800101", 11))

    with browser_page(viewport={"width": 375, "height": 740}, is_mobile=True) as page:
        page.goto(f"{live_server.url}/")
        page.get_by_label("用户名").fill(worker.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/residents/")
        assert page.get_by_role("heading", name="居民台账").is_visible()
        assert "王建国" in page.content()

        page.get_by_label("姓名").fill("张秀")  # names match from the start
        page.get_by_role("button", name="查询").click()
        # A locator assertion, not wait_for_function: the CSP forbids evaluating strings.
        expect(page.locator("#resident-results")).not_to_contain_text("王建国")
        assert "独居老人" in page.locator("#resident-results").inner_text()
        assert number not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "residents-list-mobile")

        page.get_by_role("link", name="张秀英").click()
        page.wait_for_url(f"{live_server.url}/residents/{resident.pk}/")
        assert resident.id_number_masked in page.content()
        page.locator(f"#sealed-id_number-{resident.pk} summary").click()
        page.get_by_label("查看事由（将记入审计日志）").first.fill("电话回访核实身份")
        page.get_by_role("button", name="确认查看").first.click()
        page.locator(f"#sealed-id_number-{resident.pk}").get_by_text(number).wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "resident-detail-mobile")
