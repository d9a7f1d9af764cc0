"""A new worker's first minutes, in headless Chromium: sign in, see the home page, find a
community with the region picker, and a resident on a phone-sized screen."""

import pytest

from wushe.browser import browser_page, screenshot
from wushe.testing import PASSWORD, ensure_haining_regions, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def township_officer():
    ensure_haining_regions()
    return make_user("zheng", "township_officer", "330481001000")


def sign_in(page, base, username):
    page.goto(f"{base}/")
    assert "登录五社联动服务平台" in page.content()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_worker_signs_in_and_finds_a_community_with_the_picker(live_server, township_officer):
    with browser_page(viewport={"width": 1280, "height": 800}) as page:
        page.goto(f"{live_server.url}/")
        page.get_by_label("用户名").fill("zheng")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        assert page.get_by_role("alert").inner_text().strip() == "用户名或密码错误。"

        sign_in(page, live_server.url, "zheng")
        assert page.get_by_role("heading", name="我的角色与区划").is_visible()
        assert "乡镇（街道）工作人员" in page.content()
        screenshot(page, "home-township")

        page.get_by_role("navigation", name="主导航").get_by_role("link", name="行政区划").click()
        page.wait_for_url(f"{live_server.url}/regions/330481001000/")
        assert page.get_by_role("heading", name="硖石街道").is_visible()
        # The picker loads by HTMX: five cascading levels down to the township's communities.
        selects = page.locator("#region-picker select")
        selects.nth(4).wait_for()
        assert selects.count() == 5
        selects.nth(4).select_option(label="南关厢社区")
        page.get_by_role("link", name="查看 南关厢社区").click()
        page.wait_for_url(f"{live_server.url}/regions/330481001007/")
        assert page.get_by_role("heading", name="南关厢社区居委会").is_visible()
        assert "在我的管辖范围内" in page.content()

        page.locator("#region-q").fill("海洲")
        page.locator("#region-search-results a").first.wait_for()
        assert "海洲街道" in page.locator("#region-search-results").inner_text()
        screenshot(page, "region-nanguanxiang")


def test_resident_home_on_a_phone(live_server):
    ensure_haining_regions()
    make_user("zhang", "resident", "330481001007")
    with browser_page(viewport={"width": 375, "height": 740}, is_mobile=True) as page:
        sign_in(page, live_server.url, "zhang")
        assert "居民" in page.content()
        # The menu collapses behind a button on small screens.
        menu = page.get_by_role("button", name="菜单")
        assert menu.is_visible()
        assert not page.get_by_role("navigation", name="主导航").is_visible()
        menu.click()
        assert page.get_by_role("navigation", name="主导航").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, "page must not scroll sideways on a phone"
        screenshot(page, "home-resident-mobile")
