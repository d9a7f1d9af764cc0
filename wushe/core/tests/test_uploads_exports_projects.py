# ruff: noqa: F811 - the project tests' fixtures are imported, then named as parameters
"""Formula injection on the project exports (a project's expenditure ledger and a round's
results), over the API and the pages."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from wushe.projects import services
from wushe.projects.models import Project
from wushe.projects.tests.conftest import world  # noqa: F401 - fixture
from wushe.testing import bearer_client

from .test_uploads_exports import PAYLOADS, assert_formula_safe, content_of, signed_in

pytestmark = pytest.mark.django_db


def test_the_ledger_neutralises_every_formula(world):
    project = world.approved()
    staff = world.users["org_staff"]
    for number, payload in enumerate(PAYLOADS):
        services.expenditure_record(
            project_id=project.pk,
            actor=staff,
            spent_on=date(2026, 5, 1),
            item=payload,
            amount_fen=100 + number,
            idempotency_key=f"formula-{number}",
        )
    api = bearer_client(staff).get(f"/api/v1/projects/{project.pk}/ledger.xlsx")
    assert api.status_code == 200
    assert_formula_safe(content_of(api))
    page = signed_in(staff).get(reverse("projects:ledger_xlsx", args=[project.pk]))
    assert page.status_code == 200
    assert_formula_safe(content_of(page))


def test_the_round_results_neutralise_every_formula(world):
    project = world.reviewed(world.propose())
    for payload in PAYLOADS:
        # Titles as old or imported data may hold them, whatever today's form accepts.
        Project.objects.filter(pk=project.pk).update(title=payload)
        county = world.users["county"]
        api = bearer_client(county).get(f"/api/v1/projects/calls/{world.call.pk}/results.xlsx")
        assert api.status_code == 200
        assert_formula_safe(content_of(api), payloads=[payload])
    page = signed_in(county).get(reverse("projects:results_xlsx", args=[world.call.pk]))
    assert page.status_code == 200
    assert_formula_safe(content_of(page), payloads=[PAYLOADS[-1]])
