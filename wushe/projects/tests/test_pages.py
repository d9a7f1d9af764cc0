"""The project pages: the round, the proposal form (also from residents' needs), the project
page with its forms, per role; errors become messages, out of scope is 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from wushe.needs import services as need_services
from wushe.projects.models import Project, Status
from wushe.testing import NANGUANXIANG, PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_organisation_applies_from_the_round_page(world):
    org = signed_in(world.users["org_staff"])
    page = org.get(reverse("projects:call", args=[world.call.pk])).content.decode()
    assert "申报项目" in page and "¥1,000,000.00" in page
    form = org.get(reverse("projects:apply", args=[world.call.pk]))
    assert form.status_code == 200
    response = org.post(
        reverse("projects:apply", args=[world.call.pk]),
        {
            "organization": world.organization.pk,
            "region": NANGUANXIANG,
            "title": "邻里互助项目",
            "summary": "互助",
            "requested": "12,000.50",
            "target": "80",
            "idempotency_key": "form-1",
        },
    )
    project = Project.objects.get(title="邻里互助项目")
    assert response.status_code == 302 and project.requested_fen == 1_200_050
    assert project.status == Status.SUBMITTED


def test_errors_show_as_messages(world):
    project = world.approved(100_000)
    org = signed_in(world.users["org_staff"])
    response = org.post(
        reverse("projects:expenditure", args=[project.pk]),
        {"spent_on": "2026-05-01", "item": "物资", "amount": "1000.01"},
        follow=True,
    )
    assert "超出项目立项预算" in response.content.decode()
    assert project.expenditures.count() == 0
    org.post(
        reverse("projects:expenditure", args=[project.pk]),
        {"spent_on": "2026-05-01", "item": "物资", "amount": "1000"},
    )
    project.refresh_from_db()
    assert project.spent_fen == 100_000


def test_project_page_buttons_follow_the_roles(world):
    project = world.propose()
    reviewer_page = signed_in(world.reviewers[0]).get(reverse("projects:detail", args=[project.pk]))
    assert "提交评分" in reviewer_page.content.decode()
    county_page = signed_in(world.users["county"]).get(
        reverse("projects:detail", args=[project.pk])
    )
    assert "批准立项" in county_page.content.decode()
    org_page = signed_in(world.users["org_staff"]).get(
        reverse("projects:detail", args=[project.pk])
    )
    html = org_page.content.decode()
    assert "批准立项" not in html and "提交评分" not in html and "撤回申报" in html
    other = signed_in(world.users["community_b"])
    assert other.get(reverse("projects:detail", args=[project.pk])).status_code == 404
    assert signed_in(world.users["resident"]).get(reverse("projects:list")).status_code == 403


def test_proposal_from_a_group_of_needs(world):
    worker = world.users["community_a"]
    needs = [
        need_services.need_create(
            actor=worker,
            region_code=NANGUANXIANG,
            category="elderly_care",
            title=title,
            people_count=count,
            vulnerable_count=1,
            source="survey",
        )
        for title, count in (("独居老人吃饭难", 12), ("老人需要陪同就医", 8))
    ]
    client = signed_in(worker)
    url = reverse("projects:proposal_from_needs") + "?" + "&".join(f"need={n.pk}" for n in needs)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "独居老人吃饭难" in html and 'value="20"' in html  # 12 + 8 people
    assert "养老服务服务项目" in html
    response = client.post(
        reverse("projects:proposal_from_needs"),
        {
            "need": [n.pk for n in needs],
            "call": world.call.pk,
            "organization": world.organization.pk,
            "region": NANGUANXIANG,
            "title": "南关厢助老项目",
            "summary": "回应居民需求",
            "requested": "8000",
            "target": "20",
            "idempotency_key": "needs-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(title="南关厢助老项目")
    assert set(project.needs.values_list("pk", flat=True)) == {n.pk for n in needs}
    for need in needs:
        need.refresh_from_db()
        assert need.status == "proposed"
    assert signed_in(world.users["org_staff"]).get(url).status_code == 403


def test_exports_from_pages(world):
    project = world.approved()
    org = signed_in(world.users["org_staff"])
    response = org.get(reverse("projects:ledger_xlsx", args=[project.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd")
    assert org.get(reverse("projects:results_xlsx", args=[world.call.pk])).status_code == 404
    county = signed_in(world.users["county"])
    assert county.get(reverse("projects:results_xlsx", args=[world.call.pk])).status_code == 200


def test_resident_rates_from_the_public_page(world):
    project = world.approved()
    resident = signed_in(world.users["resident"])
    page = resident.get(reverse("disclosure:project", args=[project.pk])).content.decode()
    assert "评价这个项目" in page
    response = resident.post(
        reverse("projects:rate", args=[project.pk]), {"rating": "4", "comment": "好"}, follow=True
    )
    assert "感谢您的评价" in response.content.decode()
    assert project.ratings.get().rating == 4
    anonymous = Client().get(reverse("disclosure:project", args=[project.pk])).content.decode()
    assert "评价这个项目" not in anonymous and "4.0 / 5" in anonymous


def test_manager_records_the_assistance_funds_and_sees_the_allowance(world, assistance_call):
    county = signed_in(world.users["county"])
    url = reverse("projects:assistance_set", args=[assistance_call.pk])
    response = county.post(url, {"total": "1,000,000", "share_pct": "1.5"}, follow=True)
    html = response.content.decode()
    assert "不超过 1.5%：上限 ¥15,000.00，已用 ¥0.00，剩余额度 ¥15,000.00" in html
    bad = county.post(url, {"total": "1000", "share_pct": "1.555"}, follow=True)
    assert "比例请填写" in bad.content.decode()
    org = signed_in(world.users["org_staff"])
    assert org.post(url, {"total": "1"}, follow=True).status_code == 200
    from wushe.projects.models import AssistanceBudget

    assert AssistanceBudget.objects.get().total_fen == 100_000_000


def test_manager_publishes_a_round(world):
    county = signed_in(world.users["county"])
    assert county.get(reverse("projects:call_new")).status_code == 200
    response = county.post(
        reverse("projects:call_new"),
        {
            "kind": "purchase",
            "title": "2026年海宁市政府购买居家养老服务",
            "region": "330481000000",
            "funder": "海宁市民政局",
            "funding_source": "fiscal",
            "year": "2026",
            "budget": "300000",
            "grade_policy": "required",
            "grade_min": "3A",
            "min_reviews": "3",
        },
    )
    assert response.status_code == 302
    from wushe.projects.models import Call

    call = Call.objects.get(title="2026年海宁市政府购买居家养老服务")
    assert call.budget_fen == 30_000_000 and call.min_reviews == 3 and call.grade_min == "3A"
    assert signed_in(world.users["org_staff"]).get(reverse("projects:call_new")).status_code == 403


def test_delivery_forms(world):
    project = world.approved()
    org = signed_in(world.users["org_staff"])
    org.post(
        reverse("projects:milestone", args=[project.pk]),
        {"title": "中期评估", "due_on": "2026-07-01"},
    )
    milestone = project.milestones.get()
    org.post(reverse("projects:milestone_done", args=[project.pk, milestone.pk]))
    response = org.post(
        reverse("projects:activity", args=[project.pk]),
        {"held_on": "2026-05-03", "title": "助餐", "beneficiaries": "30", "vulnerable": "5"},
        follow=True,
    )
    html = response.content.decode()
    assert "活动已记录" in html and "30 人次（困难群体 5）" in html and "完成" in html
    milestone.refresh_from_db()
    assert milestone.done_on is not None
