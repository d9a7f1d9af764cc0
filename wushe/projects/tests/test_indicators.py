"""Project spending as indicators, computed by the indicators engine and summed upwards."""

from __future__ import annotations

from datetime import date

import pytest

from wushe.indicators import engine
from wushe.indicators.models import IndicatorValue
from wushe.indicators.registry import get
from wushe.projects import services
from wushe.testing import HAINING, NANGUANXIANG, XIASHI

pytestmark = pytest.mark.django_db


def test_spending_and_budget_execution(world):
    project = world.approved(1_000_000, approved_fen=800_000)
    services.expenditure_record(
        project_id=project.pk,
        actor=world.users["org_staff"],
        spent_on=date(2026, 5, 3),
        item="物资",
        amount_fen=200_000,
    )
    indicators = [get("projects.spending"), get("projects.budget_execution")]
    assert all(indicators)
    engine.compute(years=[2026], indicators=indicators)  # type: ignore[arg-type]
    for region in (NANGUANXIANG, XIASHI, HAINING):
        spent = IndicatorValue.objects.get(
            indicator="projects.spending", period="2026-05", region=region
        )
        assert spent.numerator == 200_000
        execution = IndicatorValue.objects.filter(
            indicator="projects.budget_execution", region=region
        ).first()
        assert execution is not None
        assert (execution.numerator, execution.denominator) == (200_000, 800_000)
