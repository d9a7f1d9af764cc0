"""The requests demo step: deterministic, idempotent, consistent timelines, and every demo
login finds something on its pages."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from wushe.accounts.models import User
from wushe.requests import selectors
from wushe.requests.models import Level, Request, RequestEvent, Status

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        sorted(
            Request.objects.values_list(
                "number", "status", "escalation_level", "region_id", "rating", "supervised"
            )
        ),
        RequestEvent.objects.count(),
    )


def test_demo_requests_step():
    call_command("demo", "load", "--seed", "5", "--scale", "0.2")
    first = _snapshot()
    call_command("demo", "load", "--seed", "5", "--scale", "0.2")
    assert _snapshot() == first

    statuses = Counter(Request.objects.values_list("status", flat=True))
    assert {Status.SUBMITTED, Status.IN_PROGRESS, Status.CLOSED} <= set(statuses)
    assert Request.objects.filter(escalation_level__gt=Level.COMMUNITY).exists()
    assert Request.objects.filter(status=Status.CLOSED, rating__isnull=False).exists()
    # Timelines follow the state machine: seq 1..n in time order, ending in the status.
    for request in Request.objects.all():
        events = list(RequestEvent.objects.filter(request=request).order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert request.event_seq == len(events)
        assert [e.at for e in events] == sorted(e.at for e in events)
        moves = [e for e in events if e.to_status]
        assert moves[0].kind == "submitted" and moves[-1].to_status == request.status

    def user(name):
        return User.objects.get(username=name)

    assert selectors.my_requests(user=user("demo_resident")).count() >= 4
    for name in ("demo_volunteer", "demo_org", "demo_socialworker"):
        assert selectors.my_tasks(user=user(name)).exists(), name
    assert selectors.inbox(
        user=user("demo_community_a"), filters=selectors.RequestFilter()
    ).exists()
    assert selectors.supervision_list(user=user("demo_township")).exists()
