"""The projects demo step: deterministic, idempotent, and consistent with the rules it shows
(spending within budgets, the social-assistance share, cached sums equal to their rows)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Sum

from wushe.accounts.models import User
from wushe.projects import selectors
from wushe.projects.models import (
    FUNDED_STATUSES,
    Activity,
    Call,
    Expenditure,
    FundingSource,
    Project,
    Status,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        Project.objects.values_list("title", "status", "approved_fen", "spent_fen", "region_id")
    )


def test_demo_projects_step():
    call_command("demo", "load", "--seed", "4", "--scale", "0.5")
    first = snapshot()
    call_command("demo", "load", "--seed", "4", "--scale", "0.5")
    assert snapshot() == first
    assert Call.objects.count() == 2
    funded = Project.objects.filter(status__in=FUNDED_STATUSES)
    assert funded.count() >= 12
    total = funded.aggregate(s=Sum("approved_fen"))["s"]
    assert 10_000_000 <= total <= 100_000_000  # hundreds of thousands of yuan
    assert {Status.SUBMITTED, Status.APPROVED, Status.CLOSED} <= set(
        Project.objects.values_list("status", flat=True)
    )
    for p in Project.objects.all():
        spent = Expenditure.objects.filter(project=p).aggregate(s=Sum("amount_fen"))["s"] or 0
        people = Activity.objects.filter(project=p).aggregate(s=Sum("beneficiaries"))["s"] or 0
        assert p.spent_fen == spent <= (p.approved_fen or 0)
        assert p.beneficiaries == people
    purchase = Call.objects.get(funding_source=FundingSource.SOCIAL_ASSISTANCE)
    allowance = selectors.assistance_allowance(county_code=purchase.county_code, year=purchase.year)
    assert allowance is not None and 0 <= allowance.remaining_fen < allowance.cap_fen
    demo_org = User.objects.get(username="demo_org")
    assert selectors.project_search(user=demo_org).filter(status=Status.SUBMITTED).exists()
    reviewer = User.objects.get(username="demo_reviewer")
    assert selectors.project_search(user=reviewer).count() == Project.objects.count()
