"""The funding loop in headless Chromium: an organisation submits a proposal to the round, two
reviewers score it, the county approves it with a budget, the organisation spends within the
budget and is refused beyond it, and the public page (no login) shows the project with the
right totals."""

from __future__ import annotations

import pytest

from wushe.browser import browser_page, screenshot
from wushe.organizations.models import Organization
from wushe.projects import services
from wushe.projects.models import Project, Status
from wushe.projects.tests.conftest import make_call
from wushe.testing import HAINING, NANGUANXIANG, PASSWORD, XIASHI, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}


def sign_in(page, base, username):
    page.goto(f"{base}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_proposal_to_public_page(live_server):
    org = Organization.objects.create(name="海宁市善行社会工作服务中心", region_id=XIASHI)
    make_user("chen", "org_staff", XIASHI, organization=org)
    county = make_user("haining", "civil_affairs", HAINING)
    reviewers = [make_user("expert_a"), make_user("expert_b")]
    call = make_call(county, budget_fen=50_000_000)
    for reviewer in reviewers:
        services.panel_add(call_id=call.pk, user_id=reviewer.pk, actor=county)
    base = live_server.url

    # 1. The organisation applies to the round.
    with browser_page(**DESKTOP) as page:
        sign_in(page, base, "chen")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="项目库").click()
        page.get_by_role("link", name="公益创投与政府购买服务申报").click()
        page.get_by_role("link", name=call.title).click()
        page.get_by_role("link", name="申报项目").click()
        page.get_by_label("项目名称").fill("南关厢独居老人助餐项目")
        page.get_by_label("项目内容").fill("为独居老人提供助餐和探访。")
        page.get_by_label("服务区域").select_option(NANGUANXIANG)
        page.get_by_label("申请金额（元）").fill("20000")
        page.get_by_label("计划受益人数").fill("60")
        page.get_by_role("button", name="提交申报").click()
        page.wait_for_url(f"{base}/projects/*/")
        assert "申报已提交" in page.content()
        project = Project.objects.get()
        screenshot(page, "projects-submitted")

    # 2. Two reviewers score it.
    for reviewer, score in zip(reviewers, ("82", "88"), strict=True):
        with browser_page(**DESKTOP) as page:
            sign_in(page, base, reviewer.username)
            page.goto(f"{base}/projects/{project.pk}/")
            page.get_by_label("评分（0–100）").fill(score)
            page.get_by_label("评审意见").fill("需求清楚，预算合理。")
            page.get_by_role("button", name="提交评分").click()
            assert "评分已保存" in page.content()

    # 3. The county approves it with a budget.
    with browser_page(**DESKTOP) as page:
        sign_in(page, base, "haining")
        page.goto(f"{base}/projects/{project.pk}/")
        assert "85.0（2 位专家）" in page.content()
        page.get_by_label("立项金额（元）").fill("15000")
        page.get_by_role("button", name="批准立项").click()
        assert "已立项" in page.content()
        assert "实施中" in page.locator("#project-title").inner_text()

    # 4. The organisation spends within the budget and is refused beyond it.
    with browser_page(**PHONE) as page:
        sign_in(page, base, "chen")
        page.goto(f"{base}/projects/{project.pk}/")
        page.get_by_label("支出事项").fill("助餐食材")
        page.get_by_label("支出金额（元）").fill("12000")
        page.get_by_role("button", name="登记支出").click()
        assert "支出已登记" in page.content()
        assert page.locator("#remaining").inner_text() == "¥3,000.00"
        page.get_by_label("支出事项").fill("宣传印刷")
        page.get_by_label("支出金额（元）").fill("3000.01")
        page.get_by_role("button", name="登记支出").click()
        assert "超出项目立项预算" in page.content()
        assert page.locator("#spent").inner_text() == "¥12,000.00"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "projects-over-budget-mobile")
    project.refresh_from_db()
    assert project.status == Status.APPROVED and project.spent_fen == 1_200_000

    # 5. Anyone, without logging in, sees the project with the right totals.
    with browser_page(**PHONE) as page:
        page.goto(f"{base}/disclosure/projects/")
        assert "共 1 个项目，立项资金 ¥15,000.00，已支出 ¥12,000.00" in page.content()
        page.get_by_role("link", name="南关厢独居老人助餐项目").click()
        assert page.locator("#pub-budget").inner_text() == "¥15,000.00"
        assert page.locator("#pub-spent").inner_text() == "¥12,000.00"
        assert page.locator("#ledger-total").inner_text() == "¥12,000.00"
        assert "海宁市民政局" in page.content() and org.name in page.content()
        screenshot(page, "disclosure-project-mobile")
