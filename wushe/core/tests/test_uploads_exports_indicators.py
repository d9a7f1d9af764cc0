# ruff: noqa: F811 - the indicators tests' fixtures are imported, then named as parameters
"""Formula injection on the annual indicators report (.xlsx page): the narrative is typed by
officials and goes out as text."""

from __future__ import annotations

import pytest

from wushe.indicators import engine
from wushe.indicators.tests.conftest import T1, World, world  # noqa: F401 - fixture

from .test_uploads_exports import assert_formula_safe, content_of, signed_in

pytestmark = pytest.mark.django_db


def test_the_annual_report_neutralises_every_formula(world: World):
    engine.compute(years=[2026])
    county = signed_in(world.users["county"])
    narrative = {"summary": "=1+1", "highlights": "+1", "problems": "@SUM(A1)", "plans": "\t=1"}
    response = county.post("/indicators/report/", {"region": T1, "year": "2026", **narrative})
    assert response.status_code == 302
    xlsx = county.get(f"/indicators/report.xlsx?region={T1}&year=2026")
    assert xlsx.status_code == 200
    assert_formula_safe(content_of(xlsx), payloads=list(narrative.values()))
    # The full-width and spaced forms too.
    narrative = {"summary": "＝1+1", "highlights": " =1+1", "problems": "－1", "plans": "-1"}
    county.post("/indicators/report/", {"region": T1, "year": "2026", **narrative})
    xlsx = county.get(f"/indicators/report.xlsx?region={T1}&year=2026")
    assert_formula_safe(content_of(xlsx), payloads=list(narrative.values()))
