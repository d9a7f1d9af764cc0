from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from wushe.audit.models import AuditEvent
from wushe.indicators import engine
from wushe.indicators.models import AnnualReport, IndicatorTarget
from wushe.testing import HAINING, PASSWORD

from .conftest import C1, C2, T1, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(world: World) -> World:
    engine.compute(years=[2026])
    return world


def login(world: World, key: str) -> Client:
    client = Client()
    assert client.login(username=f"u_{key}", password=PASSWORD)
    return client


def test_dashboard_cards_and_drill_down(computed):
    page = login(computed, "county").get(f"/indicators/?region={T1}&period=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    assert "硖石街道" in html
    assert "诉求按时受理率" in html and "66.7" in html
    assert f"?region={C1}&amp;period=2026-10" in html  # drill-down link to the community
    assert "vendor/echarts.min.js" in html


def test_dashboard_defaults_to_home_region(computed):
    page = login(computed, "township").get("/indicators/?period=2026-10")
    assert page.status_code == 200
    assert "硖石街道 · 2026年10月指标看板" in page.content.decode()


@pytest.mark.parametrize(
    ("user", "region", "status"),
    [
        ("community_a", C2, 404),
        ("township", HAINING, 404),
        ("resident", C1, 404),
        ("county", C1, 200),
    ],
)
def test_pages_respect_scope(computed, user, region, status):
    client = login(computed, user)
    assert client.get(f"/indicators/?region={region}&period=2026").status_code == status
    assert (
        client.get(f"/indicators/requests.satisfaction/?region={region}&period=2026").status_code
        == status
    )
    assert client.get(f"/indicators/report/?region={region}&year=2026").status_code == status
    assert client.get(f"/indicators/report.xlsx?region={region}&year=2026").status_code == status


def test_indicator_detail_shows_ranking_and_zero_denominator(computed):
    page = login(computed, "county").get(
        f"/indicators/socialworkers.elderly_per_social_worker/?region={T1}&period=2026-10"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "下级区划排名" in html
    assert "分母为零" in html  # 东山: an elderly resident, no social worker


def test_bad_period_is_404_on_pages(computed):
    assert (
        login(computed, "county").get(f"/indicators/?region={C1}&period=2026-13").status_code == 404
    )


def test_targets_page_sets_and_audits(computed):
    client = login(computed, "county")
    code = "stations.volunteer_post_coverage"
    response = client.post(
        "/indicators/targets/",
        {"region": HAINING, "year": "2026", f"t_{code}": "90", f"n_{code}": "海宁市 2026 年计划"},
    )
    assert response.status_code == 302
    target = IndicatorTarget.objects.get(indicator=code, region_id=HAINING, year=2026)
    assert target.value == 90
    assert AuditEvent.objects.filter(action="indicators.target.set").exists()
    bad = client.post(
        "/indicators/targets/", {"region": HAINING, "year": "2026", f"t_{code}": "abc"}, follow=True
    )
    assert "目标值应为不小于 0 的数字" in bad.content.decode()
    # Community workers do not set targets.
    assert (
        login(computed, "community_a").get(f"/indicators/targets/?region={C1}").status_code == 404
    )


def test_annual_report_page_narrative_and_xlsx(computed):
    client = login(computed, "county")
    response = client.post(
        "/indicators/report/",
        {"region": T1, "year": "2026", "summary": "全年工作稳步推进", "problems": "=1+1"},
    )
    assert response.status_code == 302
    saved = AnnualReport.objects.get(region_id=T1, year=2026)
    assert saved.summary == "全年工作稳步推进"
    page = client.get(f"/indicators/report/?region={T1}&year=2026").content.decode()
    assert "全年工作稳步推进" in page and "南关厢社区" in page
    xlsx = client.get(f"/indicators/report.xlsx?region={T1}&year=2026")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    summary = book.worksheets[0]
    names = [row[0] for row in summary.iter_rows(min_row=5, values_only=True)]
    assert "诉求按时受理率" in names
    accepted = next(
        r for r in summary.iter_rows(min_row=5, values_only=True) if r[0] == "诉求按时受理率"
    )
    assert accepted[3] == 75.0  # 3 of 4 accepted on time in 2026
    sub = book.worksheets[1]
    codes = [row[0] for row in sub.iter_rows(min_row=3, values_only=True)]
    assert C1 in codes and C2 in codes
    words = book.worksheets[2]
    texts = {row[0]: row[1] for row in words.iter_rows(values_only=True)}
    assert texts["总体情况"] == "全年工作稳步推进"
    assert texts["存在问题"] == "'=1+1"  # formula injection neutralised
    # An auditor reads the report but cannot write the narrative.
    auditor = login(computed, "auditor")
    assert auditor.get(f"/indicators/report/?region={T1}&year=2026").status_code == 200
    assert (
        auditor.post(
            "/indicators/report/", {"region": T1, "year": "2026", "summary": "x"}
        ).status_code
        == 404
    )
