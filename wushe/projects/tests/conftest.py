"""A small world for project tests: the role users of wushe.testing, a county venture round
with a two-person panel, and helpers that walk a proposal through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from wushe.organizations.models import Organization
from wushe.projects import services
from wushe.projects.models import Call, FundingSource, Project
from wushe.testing import HAINING, NANGUANXIANG, make_user


@dataclass
class World:
    users: dict[str, Any]
    organization: Organization
    call: Call
    reviewers: list[Any]

    def propose(
        self, requested_fen: int = 5_000_000, call: Call | None = None, **extra: Any
    ) -> Project:
        data = {
            "call_id": (call or self.call).pk,
            "organization_id": self.organization.pk,
            "region_code": NANGUANXIANG,
            "title": "南关厢社区独居老人助餐项目",
            "summary": "为独居老人提供助餐与探访服务。",
            "requested_fen": requested_fen,
        }
        data.update(extra)
        project, created = services.project_submit(
            data=services.ProposalInput(**data), actor=self.users["org_staff"]
        )
        assert created
        return project

    def reviewed(self, project: Project, scores: tuple[int, ...] = (80, 90)) -> Project:
        for reviewer, score in zip(self.reviewers, scores, strict=False):
            services.review_submit(project_id=project.pk, actor=reviewer, score=score)
        return project

    def approved(
        self,
        requested_fen: int = 5_000_000,
        approved_fen: int | None = None,
        call: Call | None = None,
    ) -> Project:
        project = self.reviewed(self.propose(requested_fen, call=call))
        return services.project_approve(
            project_id=project.pk,
            actor=self.users["county"],
            approved_fen=approved_fen or requested_fen,
        )


def make_call(actor: Any, **extra: Any) -> Call:
    values: dict[str, Any] = {
        "region_code": HAINING,
        "kind": "venture",
        "title": "2026年海宁市公益创投",
        "funder": "海宁市民政局",
        "year": 2026,
        "budget_fen": 100_000_000,
    }
    values.update(extra)
    return services.call_create(data=services.CallInput(**values), actor=actor)


@pytest.fixture
def world(role_users) -> World:
    org = Organization.objects.get(name="u_org_staff 的组织")
    call = make_call(role_users["county"], opens_on=date(2026, 3, 1))
    reviewers = [make_user("reviewer_a"), make_user("reviewer_b")]
    for reviewer in reviewers:
        services.panel_add(call_id=call.pk, user_id=reviewer.pk, actor=role_users["county"])
    return World(users=role_users, organization=org, call=call, reviewers=reviewers)


@pytest.fixture
def assistance_call(world: World) -> Call:
    call = make_call(
        world.users["county"],
        kind="purchase",
        title="2026年海宁市政府购买社会救助服务",
        funding_source=FundingSource.SOCIAL_ASSISTANCE,
    )
    for reviewer in world.reviewers:
        services.panel_add(call_id=call.pk, user_id=reviewer.pk, actor=world.users["county"])
    return call
