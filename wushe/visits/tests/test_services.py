"""Services of visits: enrolment by rules, manual enrolment, assignment, visit records
(validation, idempotency, follow-up), plan settings, and who may do each."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from wushe.audit.models import AuditEvent
from wushe.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wushe.notifications.models import Notification
from wushe.residents.models import ResidentStatus, ResidentTag
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI
from wushe.visits import selectors, services
from wushe.visits.models import Enrolment, Frequency, Group, Method, RiskLevel, Situation, Visit

from .conftest import make_resident

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def test_default_rules_enrol_the_named_groups(world):
    report = services.enrolments_sync(today=date(2026, 9, 1))
    assert report.enrolled == 3  # the left-behind woman is not enrolled by default
    alone = world.enrolment(world.alone)
    assert (alone.risk_level, alone.frequency, alone.group) == ("medium", "monthly", "elderly")
    sick = world.enrolment(world.incapacitated)
    assert (sick.risk_level, sick.frequency, sick.tags) == (
        "high",
        "weekly",
        ["incapacitated_elder"],
    )
    assert not Enrolment.objects.filter(resident=world.woman).exists()
    # Running again changes nothing.
    again = services.enrolments_sync(today=date(2026, 9, 2))
    assert (again.enrolled, again.updated, again.ended) == (0, 0, 0)


def test_severe_disability_only_grades_one_and_two(world):
    severe = make_resident("吴叔叔", NANGUANXIANG, "disabled", grade="1")
    mild = make_resident("郑叔叔", NANGUANXIANG, "disabled", grade="4")
    services.enrolments_sync(today=date(2026, 9, 1))
    assert Enrolment.objects.get(resident=severe).group == Group.DISABLED
    assert not Enrolment.objects.filter(resident=mild).exists()


def test_rule_ended_tag_and_moved_out_end_the_enrolment(enrolled):
    w = enrolled
    ResidentTag.objects.filter(resident=w.alone).update(end_date=date(2026, 9, 30))
    type(w.dongshan).objects.filter(pk=w.dongshan.pk).update(status=ResidentStatus.MOVED_OUT)
    report = services.enrolments_sync(today=date(2026, 10, 5))
    assert report.ended == 2
    ended = Enrolment.objects.get(resident=w.alone)
    assert ended.ended_on == date(2026, 10, 5) and ended.end_reason


def test_township_rule_and_frequency_override_the_defaults(world):
    township = world.users["township"]
    services.plan_rule_set(
        region_code=XIASHI, tag="left_behind_woman", risk_level="low", actor=township
    )
    services.plan_frequency_set(
        region_code=XIASHI, risk_level="medium", frequency=Frequency.WEEKLY, actor=township
    )
    services.enrolments_sync(today=date(2026, 9, 1))
    assert world.enrolment(world.woman).frequency == Frequency.QUARTERLY
    assert world.enrolment(world.alone).frequency == Frequency.WEEKLY
    # Changing the frequency later moves current enrolments at once.
    services.plan_frequency_set(
        region_code=XIASHI, risk_level="medium", frequency=Frequency.MONTHLY, actor=township
    )
    assert world.enrolment(world.alone).frequency == Frequency.MONTHLY
    assert AuditEvent.objects.filter(action="visits.frequency.set").count() == 2


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("township", True),
        ("county", True),
        ("province", True),
        ("admin", True),
        ("community_a", False),
        ("social_worker", False),
        ("auditor", False),
        ("volunteer", False),
    ],
)
def test_who_may_change_the_plan(world, key, allowed):
    def change():
        return services.plan_frequency_set(
            region_code=XIASHI, risk_level="high", frequency="monthly", actor=world.users[key]
        )

    if allowed:
        assert change().frequency == "monthly"
    else:
        with pytest.raises(PermissionDenied):
            change()


def _record(world, resident, key: str, **extra):
    return services.visit_record(
        enrolment_id=world.enrolment(resident).pk,
        method=extra.pop("method", Method.HOME),
        actor=world.users[key],
        **extra,
    )


@pytest.mark.parametrize(
    ("key", "outcome"),
    [
        ("community_a", "ok"),
        ("social_worker", "ok"),
        ("admin", "ok"),
        ("township", "forbidden"),
        ("county", "forbidden"),
        ("auditor", "forbidden"),
        ("community_b", "not_found"),
        ("volunteer", "not_found"),
        ("resident", "not_found"),
        ("org_staff", "not_found"),
    ],
)
def test_who_may_record_a_visit(enrolled, key, outcome):
    if outcome == "ok":
        visit, created = _record(enrolled, enrolled.alone, key)
        assert created and visit.visited_on == timezone.localdate()
        return
    error = PermissionDenied if outcome == "forbidden" else NotFound
    with pytest.raises(error):
        _record(enrolled, enrolled.alone, key)
    assert not Visit.objects.exists()


def test_an_assigned_volunteer_may_record_and_is_told(enrolled):
    w = enrolled
    services.enrolment_assign(
        enrolment_id=w.enrolment(w.alone).pk,
        visitor_id=w.users["volunteer"].pk,
        actor=w.users["community_a"],
    )
    assert w.enrolment(w.alone).visitor_kind == "volunteer"
    assert Notification.objects.filter(
        recipient=w.users["volunteer"], kind="visits.assigned"
    ).exists()
    visit, _ = _record(w, w.alone, "volunteer", method=Method.PHONE)
    assert visit.visitor_label == "u_volunteer"
    # Still nothing about the others.
    with pytest.raises(NotFound):
        _record(w, w.incapacitated, "volunteer")


def test_assign_only_to_visitors_of_the_community(enrolled):
    w = enrolled
    with pytest.raises(ValidationFailed) as exc:
        services.enrolment_assign(
            enrolment_id=w.enrolment(w.alone).pk,
            visitor_id=w.users["community_b"].pk,  # 东山's worker
            actor=w.users["community_a"],
        )
    assert exc.value.code == "visits.visitor.ineligible"
    grid = services.enrolment_assign(
        enrolment_id=w.enrolment(w.alone).pk,
        visitor_id=w.users["community_a"].pk,
        visitor_kind="grid_worker",
        actor=w.users["township"],
    )
    assert grid.visitor_kind == "grid_worker"
    with pytest.raises(PermissionDenied):
        services.enrolment_assign(
            enrolment_id=w.enrolment(w.alone).pk, visitor_id=None, actor=w.users["county"]
        )


def test_visit_validation(enrolled):
    w = enrolled
    now = timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        _record(w, w.alone, "community_a", visited_at=now + timedelta(hours=1))
    assert exc.value.code == "visits.visited_at.future"
    with pytest.raises(ValidationFailed) as exc:
        _record(w, w.alone, "community_a", visited_at=now - timedelta(days=90))
    assert exc.value.code == "visits.visited_at.too_old"
    with pytest.raises(ValidationFailed) as exc:
        _record(w, w.alone, "community_a", situation=Situation.URGENT)
    assert exc.value.code == "visits.findings.required"
    with pytest.raises(ValidationFailed):
        _record(w, w.alone, "community_a", method="letter")
    assert not Visit.objects.exists()


def test_retry_with_the_same_key_records_once(enrolled):
    w = enrolled
    at = timezone.now() - timedelta(hours=1)
    first, created = _record(w, w.alone, "community_a", visited_at=at, idempotency_key="k-1")
    again, created_again = _record(w, w.alone, "community_a", visited_at=at, idempotency_key="k-1")
    assert created and not created_again and first.pk == again.pk
    assert Visit.objects.count() == 1
    with pytest.raises(Conflict):
        _record(w, w.alone, "community_a", visited_at=at, idempotency_key="k-1", findings="改了")


def test_urgent_finding_alerts_the_community_workers(enrolled):
    w = enrolled
    _record(
        w, w.alone, "social_worker", situation=Situation.URGENT, findings="老人摔倒，无法起身。"
    )
    note = Notification.objects.get(kind="visits.urgent")
    assert note.recipient == w.users["community_a"]
    assert "摔倒" not in note.title  # health details stay behind sign-in


def test_last_visit_keeps_the_latest_day(enrolled):
    w = enrolled
    now = timezone.now()
    _record(w, w.alone, "community_a", visited_at=now - timedelta(days=1))
    _record(w, w.alone, "community_a", visited_at=now - timedelta(days=10))
    assert w.enrolment(w.alone).last_visited_on == timezone.localdate(now - timedelta(days=1))
    Enrolment.objects.update(last_visited_on=None)
    assert services.last_visits_rebuild() == 1
    assert w.enrolment(w.alone).last_visited_on == timezone.localdate(now - timedelta(days=1))


def test_follow_up_request_once_per_visit(enrolled):
    w = enrolled
    visit, _ = _record(w, w.alone, "community_a", situation=Situation.ATTENTION, findings="需助餐")
    req = services.visit_raise_request(
        visit_id=visit.pk,
        category="daily_care",
        description="需要助餐服务",
        actor=w.users["community_a"],
    )
    assert req.channel == "visit" and req.resident_id == w.alone.pk
    again = services.visit_raise_request(
        visit_id=visit.pk,
        category="daily_care",
        description="需要助餐服务",
        actor=w.users["community_a"],
    )
    assert again.pk == req.pk
    visit.refresh_from_db()
    assert visit.follow_up_request_id == req.pk


def test_follow_up_need_once_per_visit(enrolled):
    from wushe.needs.models import Need
    from wushe.taxonomy.models import Term, Vocabulary

    w = enrolled
    category = Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY).first()
    assert category is not None
    visit, _ = _record(w, w.alone, "social_worker", situation=Situation.ATTENTION, findings="独居")
    need = services.visit_raise_need(
        visit_id=visit.pk, category=category.code, title="助餐", actor=w.users["social_worker"]
    )
    again = services.visit_raise_need(
        visit_id=visit.pk, category=category.code, title="助餐", actor=w.users["social_worker"]
    )
    assert need.pk == again.pk and Need.objects.count() == 1
    assert need.source == "visit" and need.source_ref == str(visit.pk)


def test_manual_enrolment_and_end(world):
    worker = world.users["community_a"]
    enrolment = services.enrolment_create(
        resident_id=world.woman.pk, risk_level=RiskLevel.LOW, note="邻居反映", actor=worker
    )
    assert enrolment.source == "manual" and enrolment.frequency == Frequency.QUARTERLY
    with pytest.raises(Conflict):
        services.enrolment_create(resident_id=world.woman.pk, risk_level="low", actor=worker)
    with pytest.raises(NotFound):
        services.enrolment_create(resident_id=world.dongshan.pk, risk_level="low", actor=worker)
    # A manual enrolment survives the rules sync.
    services.enrolments_sync()
    enrolment.refresh_from_db()
    assert enrolment.ended_on is None
    services.enrolment_end(enrolment_id=enrolment.pk, reason="子女接回同住", actor=worker)
    enrolment.refresh_from_db()
    assert enrolment.ended_on is not None
    with pytest.raises(Conflict):
        services.visit_record(enrolment_id=enrolment.pk, method="home", actor=worker)


def test_sweep_alerts_once_per_missed_period(enrolled):
    w = enrolled
    services.enrolment_assign(
        enrolment_id=w.enrolment(w.alone).pk,
        visitor_id=w.users["social_worker"].pk,
        actor=w.users["community_a"],
    )
    report = services.visits_sweep(today=date(2026, 10, 1))
    # 钱奶奶 (monthly, assigned) and 孙爷爷 (weekly, unassigned) in 南关厢, 周奶奶 in 东山.
    assert report.overdue == 3 and report.alerted == 3
    mine = Notification.objects.get(recipient=w.users["social_worker"], kind="visits.overdue")
    assert "1" in mine.title
    assert Notification.objects.filter(
        recipient=w.users["community_a"], kind="visits.overdue_unassigned"
    ).exists()
    assert Notification.objects.filter(
        recipient=w.users["community_b"], kind="visits.overdue_unassigned"
    ).exists()
    before = Notification.objects.count()
    again = services.visits_sweep(today=date(2026, 10, 2))
    assert again.overdue == 3 and again.alerted == 0
    assert Notification.objects.count() == before
    # A new week: the weekly elder missed another period and is alerted again.
    later = services.visits_sweep(today=date(2026, 10, 5))
    assert later.alerted == 1


def test_override_notifies_visitors_and_needs_a_reason(enrolled):
    w = enrolled
    services.enrolment_assign(
        enrolment_id=w.enrolment(w.alone).pk,
        visitor_id=w.users["social_worker"].pk,
        actor=w.users["community_a"],
    )
    with pytest.raises(ValidationFailed):
        services.override_create(
            region_code=XIASHI,
            frequency="weekly",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 11, 1),
            reason="寒潮",
            actor=w.users["township"],
        )
    override = services.override_create(
        region_code=XIASHI,
        frequency="weekly",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 7),
        reason="寒潮预警",
        actor=w.users["township"],
    )
    assert Notification.objects.filter(
        recipient=w.users["social_worker"], kind="visits.override"
    ).exists()
    ended = services.override_end(
        override_id=override.pk, actor=w.users["township"], today=date(2026, 12, 3)
    )
    assert ended.ends_on == date(2026, 12, 3)
    with pytest.raises(PermissionDenied):
        services.override_create(
            region_code=XIASHI,
            frequency="weekly",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 7),
            reason="寒潮",
            actor=w.users["community_a"],
        )


def test_due_list_scope(enrolled):
    def names(key: str) -> list[str]:
        qs = selectors.due_list(
            user=enrolled.users[key],
            filters=selectors.DueFilter(bucket="all"),
            today=date(2026, 10, 1),
        )
        return sorted(e.resident.name for e in qs)

    assert names("community_a") == ["孙爷爷", "钱奶奶"]
    assert names("community_b") == ["周奶奶"]
    assert names("township") == ["周奶奶", "孙爷爷", "钱奶奶"]
    assert names("volunteer") == []
    assert names("resident") == []
    assert names("org_staff") == []
    assert names("province") == ["周奶奶", "孙爷爷", "钱奶奶"]


def test_overview_counts_per_community(enrolled):
    w = enrolled
    with time_machine.travel(datetime(2026, 10, 20, 9, 0, tzinfo=SH), tick=False):
        _record(w, w.dongshan, "community_b")
    rows = selectors.overview_by_community(user=w.users["township"], today=date(2026, 10, 20))
    by_code = {r.code: r for r in rows}
    assert (by_code[NANGUANXIANG].enrolled, by_code[NANGUANXIANG].overdue) == (2, 2)
    assert (by_code[DONGSHAN].overdue, by_code[DONGSHAN].pending) == (0, 0)
    assert rows[0].code == NANGUANXIANG  # most overdue first
    # 东山 in October: 1 due (enrolled 1 September), visited.
    assert (by_code[DONGSHAN].rate.numerator, by_code[DONGSHAN].rate.denominator) == (1, 1)
    # September, complete: due (enrolled on its first day) and not visited.
    last = by_code[DONGSHAN].last_rate
    assert (last.numerator, last.denominator) == (0, 1)
