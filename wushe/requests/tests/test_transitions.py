"""Every transition against every role (who may, who gets 403, who cannot even see it: 404),
every transition from every status (allowed, no-op repeat, or 409), and repeats change
nothing."""

from __future__ import annotations

from typing import Any

import pytest

from wushe.audit.models import AuditEvent
from wushe.requests import services
from wushe.requests.models import RequestEvent
from wushe.testing import bearer_client

pytestmark = pytest.mark.django_db

ROLES = [
    "resident",
    "other_resident",
    "volunteer",
    "social_worker",
    "org_staff",
    "charity_staff",
    "community_a",
    "community_b",
    "township",
    "county",
    "province",
    "auditor",
    "admin",
    "party",
]
# Who can see a request of the resident in 南关厢 in each state (everyone else: 404).
WORKERS = {"social_worker", "community_a", "township", "county", "province", "auditor", "admin"}
VISIBLE = {
    "submitted": WORKERS | {"resident"},
    "accepted": WORKERS | {"resident", "party"},
    "dispatched": WORKERS | {"resident", "party", "volunteer", "org_staff"},
    "in_progress": WORKERS | {"resident", "party", "volunteer", "org_staff"},
    "resolved": WORKERS | {"resident", "volunteer", "org_staff"},
    "closed": WORKERS | {"resident", "volunteer", "org_staff"},
}


def _body(world: Any, action: str, request: Any) -> dict[str, Any]:
    if action == "reject":
        return {"reason": "不属于社区受理范围"}
    if action == "merge":
        return {"target": world.submit().pk}
    if action == "dispatch":
        return {"handlers": [{"type": "department", "name": "海宁市住建局"}]}
    if action == "resolve":
        return {"result": "已处理完毕"}
    if action in {"confirm", "rate"}:
        return {"rating": 4, "comment": "满意"}
    if action == "follow-up":
        return {"outcome": "reached", "satisfied": True}
    return {}


def _prepare(world: Any, state: str) -> Any:
    if state == "closed_auto":
        request = world.make("resolved")
        from datetime import timedelta

        import time_machine

        with time_machine.travel(request.auto_close_at + timedelta(minutes=1)):
            services.requests_sweep()
        request.refresh_from_db()
        return request
    if state.startswith("escalated_"):
        level, state = state.removeprefix("escalated_").split(":")
        request = world.make(state)
        services.request_escalate(
            request_id=request.pk, actor=world.users["admin"], to_level=2, note="吹哨"
        )
        if level == "county":
            services.request_escalate(request_id=request.pk, actor=world.users["admin"], to_level=3)
        return request
    return world.make(state)


# (action, starting state, roles allowed). Everyone else: 403 if they see it, else 404.
CASES = [
    ("accept", "submitted", {"community_a", "admin"}),
    ("accept", "escalated_township:submitted", {"community_a", "township", "admin"}),
    (
        "accept",
        "escalated_county:submitted",
        {"community_a", "township", "county", "province", "admin"},
    ),
    ("reject", "submitted", {"community_a", "admin"}),
    ("merge", "submitted", {"community_a", "admin"}),
    ("dispatch", "accepted", {"community_a", "admin"}),
    ("claim", "accepted", {"party"}),
    ("start", "dispatched", {"volunteer", "org_staff"}),
    ("resolve", "in_progress", {"volunteer", "org_staff", "community_a", "admin"}),
    (
        "resolve",
        "escalated_township:in_progress",
        {"volunteer", "org_staff", "community_a", "township", "admin"},
    ),
    ("confirm", "resolved", {"resident"}),
    ("reopen", "resolved", {"resident"}),
    ("cancel", "submitted", {"resident"}),
    ("rate", "closed_auto", {"resident"}),
    ("escalate", "submitted", {"community_a", "admin"}),
    ("supervise", "accepted", {"township", "county", "province", "admin"}),
    ("follow-up", "resolved", {"community_a", "admin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("action", "state", "allowed"), CASES, ids=[f"{a}-{s}" for a, s, _r in CASES]
)
def test_who_may_do_what(world, role, action, state, allowed):
    request = _prepare(world, state)
    plain_state = state.split(":")[-1].replace("closed_auto", "closed")
    visible = VISIBLE[plain_state] | ({"township"} if "township" in state else set())
    client = bearer_client(world.users[role])
    events_before = RequestEvent.objects.filter(request=request).count()
    response = client.post(
        f"/api/v1/requests/{request.pk}/{action}",
        _body(world, action, request),
        content_type="application/json",
    )
    if role in allowed:
        expected = 200
    elif role in visible:
        expected = 403
    else:
        expected = 404
    assert response.status_code == expected, (role, action, state, response.content)
    if expected == 200:
        assert RequestEvent.objects.filter(request=request).count() > events_before
        assert response.json()["id"] == request.pk
    else:
        code = response.json()["code"]
        assert code == ("request.forbidden" if expected == 403 else "not_found")
        assert RequestEvent.objects.filter(request=request).count() == events_before


def test_visibility_per_state(world):
    for state, visible in VISIBLE.items():
        request = world.make(state)
        for role in ROLES:
            response = bearer_client(world.users[role]).get(f"/api/v1/requests/{request.pk}")
            expected = 200 if role in visible else 404
            assert response.status_code == expected, (state, role)


# Actor per action for the status table (one who is allowed by role).
ACTOR = {
    "accept": "community_a",
    "reject": "community_a",
    "merge": "community_a",
    "dispatch": "community_a",
    "claim": "party",
    "start": "volunteer",
    "resolve": "community_a",
    "confirm": "resident",
    "reopen": "resident",
    "cancel": "resident",
}
STATES = ["submitted", "accepted", "dispatched", "in_progress", "resolved", "closed"]
STATES += ["rejected", "cancelled", "merged"]
# (action, state) → expected status code for the actor above. 200 means the transition runs
# or (a repeat) changes nothing; 409 is request.invalid_transition; 403/404: the actor lost
# their part (e.g. not assigned any more).
ALLOWED_FROM = {
    "accept": {"submitted", "accepted"},
    "reject": {"submitted", "rejected"},
    "merge": {"submitted", "accepted"},
    "dispatch": {"accepted", "dispatched", "in_progress"},
    "claim": {"accepted", "dispatched", "in_progress"},
    "start": {"dispatched", "in_progress"},
    "resolve": {"accepted", "dispatched", "in_progress", "resolved"},
    "confirm": {"resolved", "closed"},
    "reopen": {"resolved", "closed"},
    "cancel": {"submitted", "cancelled"},
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTOR))
def test_transition_table(world, action, state):
    request = world.make(state)
    client = bearer_client(world.users[ACTOR[action]])
    response = client.post(
        f"/api/v1/requests/{request.pk}/{action}",
        _body(world, action, request),
        content_type="application/json",
    )
    if action == "claim" and state not in ALLOWED_FROM["claim"]:
        # Not claimable in that state: the party member does not even see it.
        assert response.status_code == 404
        return
    if action == "start" and state in {"submitted", "accepted", "rejected", "cancelled", "merged"}:
        # Nothing was assigned to the volunteer yet: not theirs to see.
        assert response.status_code == 404
        return
    if action == "start" and state in {"resolved", "closed"}:
        # Their assignment is done: starting again changes nothing.
        assert response.status_code == 200
        return
    if state in ALLOWED_FROM[action]:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 409, (action, state, response.content)
        assert response.json()["code"] in {
            "request.invalid_transition",
            "request.reopen_window_passed",
        }


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("accept", "submitted"),
        ("reject", "submitted"),
        ("cancel", "submitted"),
        ("dispatch", "accepted"),
        ("claim", "accepted"),
        ("start", "dispatched"),
        ("resolve", "in_progress"),
        ("confirm", "resolved"),
        ("reopen", "resolved"),
        ("escalate", "submitted"),
        ("supervise", "accepted"),
    ],
)
def test_repeating_a_transition_changes_nothing(world, action, state):
    actor = {"escalate": "community_a", "supervise": "township"}.get(action, ACTOR.get(action))
    request = world.make(state)
    client = bearer_client(world.users[actor])
    body = _body(world, action, request)
    if action == "escalate":
        body = {"level": "township"}
    first = client.post(
        f"/api/v1/requests/{request.pk}/{action}", body, content_type="application/json"
    )
    assert first.status_code == 200, first.content
    events = RequestEvent.objects.filter(request=request).count()
    audits = AuditEvent.objects.filter(target_id=str(request.pk)).count()
    second = client.post(
        f"/api/v1/requests/{request.pk}/{action}", body, content_type="application/json"
    )
    assert second.status_code == 200, second.content
    assert RequestEvent.objects.filter(request=request).count() == events
    assert AuditEvent.objects.filter(target_id=str(request.pk)).count() == audits
    strip = {"actions"}
    assert {k: v for k, v in first.json().items() if k not in strip} == {
        k: v for k, v in second.json().items() if k not in strip
    }


def test_township_dispatches_community_requests_only_as_a_batch(world):
    """A township officer may not dispatch a request still at the community level by hand,
    but confirming a reviewed batch proposal (供需对接) does; a community worker of another
    community may not, batch or not."""
    from wushe.core.errors import DomainError

    request = world.make("accepted")
    handlers = [services.HandlerSpec("volunteer", world.volunteer.pk)]
    township = world.users["township"]
    with pytest.raises(DomainError) as denied:
        services.request_dispatch(request_id=request.pk, actor=township, handlers=handlers)
    assert denied.value.status == 403
    with pytest.raises(DomainError):
        services.request_dispatch(
            request_id=request.pk, actor=world.users["community_b"], handlers=handlers, batch=True
        )
    request = services.request_dispatch(
        request_id=request.pk, actor=township, handlers=handlers, batch=True
    )
    assert request.status == "dispatched"
    assert request.assignments.get().volunteer_id == world.volunteer.pk
