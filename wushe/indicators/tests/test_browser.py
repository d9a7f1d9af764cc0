"""In headless Chromium: a county civil-affairs officer opens the indicator dashboard, sees
the cards and the chart, drills down county → township → community, opens one indicator's
ranking, and downloads the annual report as .xlsx."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from wushe.browser import browser_page, screenshot
from wushe.indicators import engine
from wushe.testing import PASSWORD

from .conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_dashboard_drill_down_and_report(live_server, world: World):
    engine.compute(years=[2026])
    base = live_server.url
    with browser_page(viewport={"width": 1280, "height": 900}, accept_downloads=True) as page:
        sign_in(page, base, "u_county")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="指标看板").click()
        page.wait_for_url(f"{base}/indicators/")
        page.goto(f"{base}/indicators/?period=2026-10")
        assert "海宁市 · 2026年10月指标看板" in page.locator("h1").inner_text()
        page.locator("#children-chart[data-ready='1'] svg").wait_for()
        screenshot(page, "indicators-dashboard-county")

        # Drill down: county → 硖石街道 → 南关厢社区.
        page.get_by_role("link", name="硖石街道").click()
        page.wait_for_url("**region=330481001000**")
        assert "硖石街道 · 2026年10月指标看板" in page.locator("h1").inner_text()
        page.get_by_role("link", name="南关厢社区").first.click()
        page.wait_for_url("**region=330481001007**")
        card = page.locator(".ind-card", has_text="诉求按时受理率")
        assert "66.7" in card.inner_text()
        assert "分母为零" not in card.inner_text()
        # Up again through the breadcrumbs, then one indicator's ranking.
        page.locator(".ind-crumbs").get_by_role("link", name="硖石街道").click()
        page.wait_for_url("**region=330481001000**")
        page.locator(".ind-card", has_text="每名社工服务老年人数").locator("a").click()
        page.wait_for_url("**/indicators/socialworkers.elderly_per_social_worker/**")
        page.locator("[data-chart='ranking'][data-ready='1'] svg").wait_for()
        assert "分母为零" in page.locator("table").inner_text()  # 东山社区: no social worker
        screenshot(page, "indicators-ranking")

        # The annual report of the township, downloaded as .xlsx.
        page.goto(f"{base}/indicators/?region=330481001000&period=2026")
        page.get_by_role("link", name="年度报告").click()
        page.wait_for_url("**/indicators/report/**")
        page.get_by_label("总体情况").fill("全年工作稳步推进。")
        page.get_by_role("button", name="保存文字说明").click()
        page.wait_for_url("**/indicators/report/**")
        assert "文字说明已保存" in page.content()
        with page.expect_download() as info:
            page.get_by_role("link", name="下载 Excel").click()
        download = info.value
        assert download.suggested_filename == "annual-report-330481001000-2026.xlsx"
        with open(download.path(), "rb") as saved:  # no file extension: pass the file
            book = load_workbook(saved)
        names = [row[0] for row in book.worksheets[0].iter_rows(min_row=5, values_only=True)]
        assert "诉求按时受理率" in names
        words = {r[0]: r[1] for r in book.worksheets[2].iter_rows(values_only=True)}
        assert words["总体情况"] == "全年工作稳步推进。"
        screenshot(page, "indicators-report")
