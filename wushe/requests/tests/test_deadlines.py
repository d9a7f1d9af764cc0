"""Deadlines with a frozen clock: escalation one level at a time (community → township →
county) with a fresh deadline per level, a double run changes nothing, auto-close of resolved
requests, the reopen window, policies per region/category/urgency, and priority."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from wushe.notifications.models import Notification
from wushe.requests import services
from wushe.requests.models import DeadlinePolicy, EventKind, Level, Request, RequestEvent, Status
from wushe.requests.tasks import sweep
from wushe.testing import HAINING, NANGUANXIANG, XIASHI, bearer_client

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _snapshot():
    return (
        sorted(
            Request.objects.values_list(
                "pk", "status", "escalation_level", "accept_due_at", "resolve_due_at", "sweep_at"
            )
        ),
        RequestEvent.objects.count(),
        Notification.objects.count(),
    )


def test_unaccepted_request_climbs_one_level_at_a_time(world):
    with time_machine.travel(T0, tick=False):
        request = world.submit()
    assert request.accept_due_at == T0 + timedelta(hours=24)
    assert request.resolve_due_at == T0 + timedelta(hours=72)

    with time_machine.travel(T0 + timedelta(hours=23), tick=False):
        assert services.requests_sweep().escalated == []
    t1 = T0 + timedelta(hours=25)
    with time_machine.travel(t1, tick=False):
        report = services.requests_sweep()
        assert report.escalated == [request.number]
        request.refresh_from_db()
        assert request.escalation_level == Level.TOWNSHIP
        assert request.accept_due_at == t1 + timedelta(hours=24)  # a fresh deadline
        assert not request.overdue
        # The township officer hears about it ("社区吹哨").
        note = Notification.objects.get(
            recipient=world.users["township"], kind="requests.escalated"
        )
        assert "社区吹哨" in note.title and request.number in note.title
        # A double run at the same moment changes nothing.
        before = _snapshot()
        assert services.requests_sweep().escalated == []
        assert _snapshot() == before

    t2 = t1 + timedelta(hours=25)
    with time_machine.travel(t2, tick=False):
        assert services.requests_sweep().escalated == [request.number]
        request.refresh_from_db()
        assert request.escalation_level == Level.COUNTY
        assert Notification.objects.filter(
            recipient=world.users["county"], kind="requests.escalated"
        ).exists()
    with time_machine.travel(t2 + timedelta(days=30), tick=False):
        # The county is the top: nothing climbs further, the request stays overdue in lists.
        before = _snapshot()
        assert services.requests_sweep().escalated == []
        request.refresh_from_db()
        assert request.escalation_level == Level.COUNTY and request.overdue
        assert request.sweep_at is None
    escalations = RequestEvent.objects.filter(request=request, kind=EventKind.ESCALATED)
    assert [e.data["to_level"] for e in escalations.order_by("seq")] == [2, 3]
    assert all(e.data["reason"] == "overdue" and e.data["overdue"] == "accept" for e in escalations)


def test_accepted_request_escalates_when_not_resolved_in_time(world):
    with time_machine.travel(T0, tick=False):
        request = world.make("dispatched")
    with time_machine.travel(T0 + timedelta(hours=73), tick=False):
        assert services.requests_sweep().escalated == [request.number]
        request.refresh_from_db()
        assert request.escalation_level == Level.TOWNSHIP
        assert request.resolve_due_at == T0 + timedelta(hours=73 + 72)
        event = RequestEvent.objects.filter(request=request, kind=EventKind.ESCALATED).get()
        assert event.data["overdue"] == "resolve"
        # Now the township officer may act on it (dispatch one more handler).
        response = bearer_client(world.users["township"]).post(
            f"/api/v1/requests/{request.pk}/dispatch",
            {"handlers": [{"type": "department", "name": "硖石街道城管中队"}]},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content


def test_resolved_late_is_not_on_time(world):
    with time_machine.travel(T0, tick=False):
        request = world.make("in_progress")
    with time_machine.travel(T0 + timedelta(hours=80), tick=False):
        services.request_resolve(
            request_id=request.pk, actor=world.users["community_a"], result="好"
        )
    request.refresh_from_db()
    assert request.resolved_on_time is False


def test_auto_close_after_the_configured_days(world):
    with time_machine.travel(T0, tick=False):
        request = world.make("resolved")
    assert request.resolved_on_time is True
    assert request.auto_close_at == T0 + timedelta(days=7)
    with time_machine.travel(T0 + timedelta(days=7) - timedelta(minutes=1), tick=False):
        assert services.requests_sweep().closed == []
    with time_machine.travel(T0 + timedelta(days=7, minutes=1), tick=False):
        assert services.requests_sweep().closed == [request.number]
        before = _snapshot()
        assert services.requests_sweep().closed == []
        assert _snapshot() == before
    request.refresh_from_db()
    assert request.status == Status.CLOSED and request.close_reason == "auto"
    assert request.rating is None
    assert request.reopen_until == T0 + timedelta(days=14, minutes=1)


def test_reopen_window(world):
    with time_machine.travel(T0, tick=False):
        request = world.make("closed")
    resident = bearer_client(world.users["resident"])
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        late = resident.post(
            f"/api/v1/requests/{request.pk}/reopen",
            {"reason": "又坏了"},
            content_type="application/json",
        )
        assert late.status_code == 409
        assert late.json()["code"] == "request.reopen_window_passed"
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        ok = resident.post(
            f"/api/v1/requests/{request.pk}/reopen",
            {"reason": "又坏了"},
            content_type="application/json",
        )
        assert ok.status_code == 200
        data = ok.json()
        assert data["status"] == "accepted" and data["rating"] is None
        assert data["reopen_count"] == 1
        assert data["resolve_due_at"].startswith("2025-03-12")  # 72 h from the reopening
        # The community gets it back and may dispatch again to the same handlers.
        again = bearer_client(world.users["community_a"]).post(
            f"/api/v1/requests/{request.pk}/dispatch",
            {"handlers": [{"type": "volunteer", "id": world.volunteer.pk}]},
            content_type="application/json",
        )
        assert again.status_code == 200
        assignments = {a["handler_type"]: a["status"] for a in again.json()["assignments"]}
        assert assignments["volunteer"] == "assigned"


def test_command_and_task_run_the_same_sweep(world):
    with time_machine.travel(T0, tick=False):
        first = world.submit()
        second = world.make("resolved")
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        out = StringIO()
        call_command("requests", "escalate", stdout=out)
        assert "escalated 1 request(s), closed 1 request(s)" in out.getvalue()
        assert first.number in out.getvalue() and second.number in out.getvalue()
        assert sweep.delay().get() == {"escalated": 0, "closed": 0}
        out = StringIO()
        call_command("requests", "escalate", stdout=out)
        assert "escalated 0 request(s), closed 0 request(s)" in out.getvalue()


def test_manual_escalation_goes_one_level_at_a_time(world):
    request = world.submit()
    client = bearer_client(world.users["community_a"])
    skip = client.post(
        f"/api/v1/requests/{request.pk}/escalate",
        {"level": "county"},
        content_type="application/json",
    )
    assert skip.status_code == 409 and skip.json()["code"] == "request.escalation.skip_level"
    ok = client.post(
        f"/api/v1/requests/{request.pk}/escalate",
        {"note": "需要街道协调"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["escalation_level"] == "township"
    bad = client.post(
        f"/api/v1/requests/{request.pk}/escalate",
        {"level": "planet"},
        content_type="application/json",
    )
    assert bad.status_code == 422


def test_policy_most_specific_region_then_category_wins(world):
    daily = world.category
    DeadlinePolicy.objects.create(
        region_id=HAINING, urgency="normal", accept_hours=12, resolve_hours=48
    )
    DeadlinePolicy.objects.create(
        region_id=XIASHI, urgency="normal", accept_hours=6, resolve_hours=36, auto_close_days=3
    )
    DeadlinePolicy.objects.create(
        region_id=HAINING, category=daily, urgency="normal", accept_hours=2, resolve_hours=10
    )
    # The township's rule is more specific than the county's, even the county's category rule.
    policy = services.policy_for(NANGUANXIANG, daily.pk, "normal")
    assert (policy.accept_hours, policy.resolve_hours, policy.auto_close_days) == (6, 36, 3)
    DeadlinePolicy.objects.create(
        region_id=XIASHI, category=daily, urgency="normal", accept_hours=3, resolve_hours=30
    )
    assert services.policy_for(NANGUANXIANG, daily.pk, "normal").accept_hours == 3
    # Another community outside 硖石 gets the county's; urgent falls back to the defaults.
    assert services.policy_for("330481101001", daily.pk, "normal").accept_hours == 2
    urgent = services.policy_for(NANGUANXIANG, daily.pk, "urgent")
    assert (urgent.accept_hours, urgent.resolve_hours) == (4, 24)
    critical = services.policy_for(NANGUANXIANG, daily.pk, "critical")
    assert (critical.accept_hours, critical.resolve_hours, critical.reopen_days) == (1, 8, 7)
    with time_machine.travel(T0, tick=False):
        request = world.submit()
    assert request.accept_due_at == T0 + timedelta(hours=3)
    # Changing a policy never moves the deadline of a request already filed.
    DeadlinePolicy.objects.filter(region_id=XIASHI, category=daily).update(
        accept_hours=20, resolve_hours=40
    )
    request.refresh_from_db()
    assert request.accept_due_at == T0 + timedelta(hours=3)


def test_submission_lookup_picks_the_same_policy_as_policy_for(world):
    """The submission reads the category and its policy in one statement
    (`_category_and_policy`); it must choose what `policy_for` chooses, case by case."""
    from wushe.requests.services.submit import Errors, _category_and_policy
    from wushe.taxonomy.models import Term, Vocabulary

    daily = world.category
    other = (
        Term.objects.filter(vocabulary=Vocabulary.REQUEST_CATEGORY, active=True)
        .exclude(pk=daily.pk)
        .first()
    )
    assert other is not None
    rows = [
        (HAINING, None, "normal", 12, 48),
        (XIASHI, None, "normal", 6, 36),
        (HAINING, daily, "normal", 2, 10),
        (XIASHI, daily, "urgent", 3, 30),
        (NANGUANXIANG, other, "normal", 1, 5),
    ]
    places = [NANGUANXIANG, "330481101001", "330481001001"]
    for count in range(len(rows) + 1):
        if count:
            region, category, urgency, accept, resolve = rows[count - 1]
            DeadlinePolicy.objects.create(
                region_id=region,
                category=category,
                urgency=urgency,
                accept_hours=accept,
                resolve_hours=resolve,
            )
        for place in places:
            for term in (daily, other):
                for urgency in ("normal", "urgent", "critical"):
                    for raw in (term.code, str(term.pk)):
                        errors = Errors()
                        found, policy, _id = _category_and_policy(raw, place, urgency, errors)
                        assert not errors.items and found is not None and found.pk == term.pk
                        assert found.code == term.code and found.name == term.name
                        assert policy == services.policy_for(place, term.pk, urgency), (
                            count,
                            place,
                            term.code,
                            urgency,
                        )
    errors = Errors()
    assert _category_and_policy("no_such_code", NANGUANXIANG, "normal", errors)[0] is None
    assert errors.items[0][1] == "request.category.unknown"
    errors = Errors()
    assert _category_and_policy("9" * 30, NANGUANXIANG, "normal", errors)[0] is None
    assert errors.items[0][1] == "request.category.unknown"


def test_priority_from_urgency_and_current_tags(world):
    own = world.submit(urgency="urgent")  # the resident's own record is linked: 独居老人
    assert own.resident_id == world.resident.pk
    assert own.priority == 25 and own.priority_reason == ["urgency:urgent", "tag:alone_elder"]
    by_worker = world.submit("community_a", channel="phone")
    assert by_worker.resident_id is None and by_worker.priority == 10
