"""Concurrency on PostgreSQL: two expenditures racing for the last of a budget; only one
fits, whatever the timing, because both lock the project row."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from wushe.core.errors import Conflict
from wushe.projects import services
from wushe.projects.models import Expenditure, Project

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_expenditures_never_overspend(world):
    project = world.approved(1_000_000)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def spend() -> None:
        try:
            barrier.wait()
            services.expenditure_record(
                project_id=project.pk,
                actor=world.users["org_staff"],
                spent_on=date(2026, 5, 1),
                item="物资",
                amount_fen=400_000,
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "ok", "project.over_budget", "project.over_budget"]
    project.refresh_from_db()
    assert project.spent_fen == 800_000
    assert (
        sum(Expenditure.objects.filter(project=project).values_list("amount_fen", flat=True))
        == 800_000
    )
    assert Project.objects.get(pk=project.pk).spent_fen <= project.approved_fen


def test_concurrent_approvals_respect_the_assistance_share(world, assistance_call):
    services.assistance_budget_set(
        county_code="330481", year=2026, total_fen=50_000_000, actor=world.users["county"]
    )  # cap ¥10,000
    projects = [world.reviewed(world.propose(600_000, call=assistance_call)) for _ in range(3)]
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def approve(pk: int) -> None:
        try:
            barrier.wait()
            services.project_approve(
                project_id=pk, actor=world.users["county"], approved_fen=600_000
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(p.pk,)) for p in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [
        "ok",
        "project.assistance_share_exceeded",
        "project.assistance_share_exceeded",
    ]
