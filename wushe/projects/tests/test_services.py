"""State rules, reviewer exclusion, the budget and 2% rules, per role."""

from __future__ import annotations

import pytest

from wushe.audit.models import AuditEvent
from wushe.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wushe.organizations.models import Organization
from wushe.projects import selectors, services
from wushe.projects.models import Expenditure, Project, Status
from wushe.testing import DONGSHAN, HAINING, HAIZHOU, make_user

pytestmark = pytest.mark.django_db

DAY = __import__("datetime").date(2026, 5, 1)


def spend(world, project, amount, actor_key="org_staff", **extra):
    return services.expenditure_record(
        project_id=project.pk,
        actor=world.users[actor_key],
        spent_on=DAY,
        item="活动物资",
        amount_fen=amount,
        **extra,
    )


def test_the_whole_life_of_a_project(world):
    project = world.approved(5_000_000, approved_fen=4_000_000)
    assert project.status == Status.APPROVED and project.approved_fen == 4_000_000
    spend(world, project, 1_500_000)
    services.activity_record(
        project_id=project.pk,
        actor=world.users["org_staff"],
        held_on=DAY,
        title="助餐",
        beneficiaries=30,
        vulnerable=12,
    )
    services.rating_submit(project_id=project.pk, actor=world.users["resident"], rating=4)
    for reviewer, score in zip(world.reviewers, (70, 90), strict=True):
        services.review_submit(project_id=project.pk, actor=reviewer, score=score, stage="final")
    project = services.project_evaluate(project_id=project.pk, actor=world.users["county"])
    # reviewers 80, residents 4/5 = 80 → weighted 80.00
    assert project.status == Status.EVALUATED
    assert str(project.reviewer_score) == "80.00" and str(project.final_score) == "80.00"
    project = services.project_close(project_id=project.pk, actor=world.users["county"])
    assert project.status == Status.CLOSED
    assert project.spent_fen == 1_500_000 and project.beneficiaries == 30
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"projects.project.approved", "projects.project.closed"} <= actions


def test_final_score_weights_residents(world):
    project = world.approved()
    services.review_submit(project_id=project.pk, actor=world.reviewers[0], score=60, stage="final")
    services.rating_submit(project_id=project.pk, actor=world.users["resident"], rating=5)
    project = services.project_evaluate(project_id=project.pk, actor=world.users["county"])
    assert str(project.final_score) == "84.00"  # 60 × 0.4 + 100 × 0.6


def test_repeating_a_transition_is_a_no_op_and_a_forbidden_one_is_409(world):
    project = world.approved()
    again = services.project_approve(
        project_id=project.pk, actor=world.users["county"], approved_fen=1
    )
    assert again.approved_fen == project.approved_fen
    with pytest.raises(Conflict) as exc:
        services.project_reject(project_id=project.pk, actor=world.users["county"], reason="x")
    assert exc.value.code == "project.invalid_transition" and exc.value.status == 409
    with pytest.raises(Conflict):
        services.project_close(project_id=project.pk, actor=world.users["county"])


def test_approval_needs_the_panel(world):
    project = world.propose()
    services.review_submit(project_id=project.pk, actor=world.reviewers[0], score=90)
    with pytest.raises(Conflict) as exc:
        services.project_approve(
            project_id=project.pk, actor=world.users["county"], approved_fen=100
        )
    assert exc.value.code == "project.reviews_missing"


def test_a_reviewer_from_the_applying_organisation_is_excluded(world):
    insider = make_user("insider", "org_staff", "330481001000", organization=world.organization)
    services.panel_add(call_id=world.call.pk, user_id=insider.pk, actor=world.users["county"])
    project = world.propose()
    with pytest.raises(PermissionDenied) as exc:
        services.review_submit(project_id=project.pk, actor=insider, score=100)
    assert exc.value.code == "project.review.conflict_of_interest"
    outsider = make_user("outsider")
    with pytest.raises(NotFound):  # not on the panel: cannot even see it
        services.review_submit(project_id=project.pk, actor=outsider, score=100)
    assert not project.reviews.exists()


def test_scoring_again_replaces_ones_own_score(world):
    project = world.propose()
    services.review_submit(project_id=project.pk, actor=world.reviewers[0], score=50)
    services.review_submit(project_id=project.pk, actor=world.reviewers[0], score=70)
    assert list(project.reviews.values_list("score", flat=True)) == [70]


@pytest.mark.parametrize(
    "key,allowed",
    [
        ("county", True),
        ("township", False),  # a county round is decided by the county
        ("admin", True),
        ("province", True),
        ("community_a", False),
        ("org_staff", False),
        ("auditor", False),
        ("social_worker", False),
    ],
)
def test_who_may_approve(world, key, allowed):
    project = world.reviewed(world.propose())
    call = lambda: services.project_approve(  # noqa: E731
        project_id=project.pk, actor=world.users[key], approved_fen=100
    )
    if allowed:
        assert call().status == Status.APPROVED
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            call()


@pytest.mark.parametrize(
    "key,allowed",
    [("org_staff", True), ("county", True), ("community_a", False), ("resident", False)],
)
def test_who_may_spend(world, key, allowed):
    project = world.approved()
    if allowed:
        row, created = spend(world, project, 100, actor_key=key)
        assert created and row.amount_fen == 100
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            spend(world, project, 100, actor_key=key)


def test_spending_cannot_exceed_the_approved_budget(world):
    project = world.approved(1_000_000)
    spend(world, project, 600_000)
    with pytest.raises(Conflict) as exc:
        spend(world, project, 400_001)
    assert exc.value.code == "project.over_budget" and exc.value.status == 409
    spend(world, project, 400_000)
    project.refresh_from_db()
    assert project.spent_fen == 1_000_000 and project.remaining_fen == 0
    assert Expenditure.objects.filter(project=project).count() == 2


def test_spending_only_while_delivering(world):
    project = world.propose()
    with pytest.raises(Conflict):
        spend(world, project, 100)


def test_expenditure_with_the_same_key_is_recorded_once(world):
    project = world.approved()
    first, created = spend(world, project, 500, idempotency_key="k-1")
    again, created_again = spend(world, project, 500, idempotency_key="k-1")
    assert created and not created_again and first.pk == again.pk
    project.refresh_from_db()
    assert project.spent_fen == 500


def test_amounts_are_integer_fen(world):
    project = world.approved()
    with pytest.raises(ValidationFailed):
        spend(world, project, 12.5)
    with pytest.raises(ValidationFailed):
        spend(world, project, -1)


def test_call_budget_is_never_overcommitted(world):
    world.call.budget_fen = 8_000_000
    world.call.save()
    world.approved(5_000_000)
    project = world.reviewed(world.propose(5_000_000))
    with pytest.raises(Conflict) as exc:
        services.project_approve(
            project_id=project.pk, actor=world.users["county"], approved_fen=5_000_000
        )
    assert exc.value.code == "project.call_budget_exceeded"
    services.project_approve(
        project_id=project.pk, actor=world.users["county"], approved_fen=3_000_000
    )


def test_social_assistance_share_is_two_percent_by_default(world, assistance_call):
    services.assistance_budget_set(
        county_code="330481", year=2026, total_fen=100_000_000, actor=world.users["county"]
    )
    allowance = selectors.assistance_allowance(county_code="330481", year=2026)
    assert allowance.cap_fen == 2_000_000 and allowance.remaining_fen == 2_000_000
    world.approved(1_500_000, call=assistance_call)
    project = world.reviewed(world.propose(1_000_000, call=assistance_call))
    with pytest.raises(Conflict) as exc:
        services.project_approve(
            project_id=project.pk, actor=world.users["county"], approved_fen=1_000_000
        )
    assert exc.value.code == "project.assistance_share_exceeded"
    assert "¥5,000.00" in str(exc.value.message)  # the remaining allowance is shown
    services.project_approve(
        project_id=project.pk, actor=world.users["county"], approved_fen=500_000
    )
    assert selectors.assistance_allowance(county_code="330481", year=2026).remaining_fen == 0
    # Other funding sources do not count against the share.
    world.approved(1_000_000)


def test_social_assistance_share_is_configurable(world, assistance_call):
    services.assistance_budget_set(
        county_code="330481",
        year=2026,
        total_fen=100_000_000,
        share_bp=500,
        actor=world.users["county"],
    )
    world.approved(5_000_000, call=assistance_call)
    with pytest.raises(Conflict):  # lowering below what is approved
        services.assistance_budget_set(
            county_code="330481", year=2026, total_fen=100_000_000, actor=world.users["county"]
        )


def test_no_assistance_funds_registered_no_purchase(world, assistance_call):
    project = world.reviewed(world.propose(100_000, call=assistance_call))
    with pytest.raises(Conflict) as exc:
        services.project_approve(
            project_id=project.pk, actor=world.users["county"], approved_fen=100_000
        )
    assert exc.value.code == "project.assistance_missing"


def test_grade_required_refuses_lower_organisations(world):
    from wushe.projects.tests.conftest import make_call

    call = make_call(world.users["county"], grade_policy="required", grade_min="3A")
    with pytest.raises(Conflict) as exc:
        world.propose(call=call)
    assert exc.value.code == "project.grade_required"
    Organization.objects.filter(pk=world.organization.pk).update(
        grade="4A",
        grade_awarded_on=DAY.replace(year=2025),
        grade_expires_on=DAY.replace(year=2030),
    )
    world.organization.refresh_from_db()
    assert world.propose(call=call).status == Status.SUBMITTED


def test_closed_call_takes_no_proposals(world):
    services.call_stop_intake(call_id=world.call.pk, actor=world.users["county"])
    services.call_stop_intake(call_id=world.call.pk, actor=world.users["county"])  # no-op
    with pytest.raises(Conflict):
        world.propose()


def test_only_org_staff_or_workers_in_scope_submit(world):
    with pytest.raises(PermissionDenied):
        services.project_submit(
            data=services.ProposalInput(
                call_id=world.call.pk,
                organization_id=world.organization.pk,
                region_code="330481001007",
                title="x",
                summary="y",
                requested_fen=100,
            ),
            actor=world.users["resident"],
        )


def test_residents_rate_only_projects_serving_them(world):
    project = world.approved()
    services.rating_submit(project_id=project.pk, actor=world.users["resident"], rating=5)
    services.rating_submit(project_id=project.pk, actor=world.users["resident"], rating=3)
    assert selectors.project_rating(project=project)["avg"] == 3
    elsewhere = make_user("far_resident", "resident", DONGSHAN)
    with pytest.raises((PermissionDenied, NotFound)):
        services.rating_submit(project_id=project.pk, actor=elsewhere, rating=1)


def test_scope_hides_projects(world):
    project = world.propose()

    def visible(key):
        return selectors.project_search(user=world.users[key]).filter(pk=project.pk).exists()

    assert visible("community_a") and visible("township") and visible("county")
    assert visible("org_staff") and visible("auditor") and visible("admin")
    assert not visible("community_b") and not visible("resident") and not visible("volunteer")
    assert selectors.project_search(user=world.reviewers[0]).filter(pk=project.pk).exists()
    elsewhere = make_user("other_township", "township_officer", HAIZHOU)
    with pytest.raises(NotFound):
        selectors.project_get(user=elsewhere, project_id=project.pk)


def test_recount_rebuilds_the_cached_sums(world):
    project = world.approved()
    spend(world, project, 700)
    Project.objects.filter(pk=project.pk).update(spent_fen=0)
    assert services.project_recount(project_id=project.pk).spent_fen == 700


def test_call_created_only_in_scope(world):
    from wushe.projects.tests.conftest import make_call

    with pytest.raises(PermissionDenied):
        make_call(world.users["community_a"])
    assert make_call(world.users["county"], region_code=HAINING).pk


def test_recount_command_reports_and_fixes_a_wrong_cache(world):
    from io import StringIO

    from django.core.management import call_command

    project = world.approved()
    spend(world, project, 900)
    Project.objects.filter(pk=project.pk).update(spent_fen=1)
    out = StringIO()
    call_command("projects", "recount", stdout=out)
    assert "1 corrected" in out.getvalue()
    project.refresh_from_db()
    assert project.spent_fen == 900
