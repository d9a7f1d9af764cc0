"""API shapes and codes: submission and its validation, lists with filters and scope, the
detail with its timeline, inbox counts, eligible handlers, the whole loop over HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from wushe.audit.models import AuditEvent
from wushe.organizations.models import Organization
from wushe.requests.models import Request
from wushe.taxonomy.models import Term
from wushe.testing import DONGSHAN, NANGUANXIANG, bearer_client
from wushe.volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

BODY = {
    "region": NANGUANXIANG,
    "category": "daily_care",
    "description": "独居，腿脚不便，想请人帮忙买菜。",
}


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_resident_submits_and_sees_the_shape(world):
    client = bearer_client(world.users["resident"])
    response = post(client, "/api/v1/requests", {**BODY, "urgency": "urgent", "address": "3幢"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("330481") and len(data["number"]) == 20
    assert data["status"] == "submitted" and data["status_label"] == "待受理"
    assert data["category"] == {"code": "daily_care", "name": "生活照料"}
    assert data["region"]["code"] == NANGUANXIANG and "南关厢" in data["region"]["name"]
    assert data["channel"] == "self_service" and data["escalation_level"] == "community"
    assert data["resident_id"] == world.resident.pk
    assert data["priority"] == 25 and data["priority_reason"] == ["紧急", "独居老人"]
    assert data["actions"] == ["cancel"]
    assert data["accept_due_at"] and data["resolve_due_at"] and not data["overdue"]
    detail = client.get(f"/api/v1/requests/{data['id']}").json()
    assert detail["resident"] == {"id": world.resident.pk, "name": "张阿姨"}
    assert [e["kind"] for e in detail["events"]] == ["submitted"]
    assert detail["events"][0]["seq"] == 1 and detail["events"][0]["to_status"] == "submitted"
    assert {k: v for k, v in detail.items() if k in data} == {
        k: v for k, v in data.items() if k != "resident_id"
    }
    event = AuditEvent.objects.get(action="requests.request.submitted")
    assert event.region_code == NANGUANXIANG and event.changes["number"] == data["number"]
    # The community's workers hear about it.
    assert world.users["community_a"].notifications.filter(kind="requests.submitted").exists()
    assert not world.users["community_b"].notifications.exists()


@pytest.mark.parametrize(
    ("actor", "extra", "code", "field"),
    [
        ("resident", {"description": "  "}, "request.description.required", "description"),
        ("resident", {"category": "haircut"}, "request.category.unknown", "category"),
        ("resident", {"region": "330481001000"}, "request.region.level", "region"),
        ("resident", {"region": DONGSHAN}, "request.region.out_of_scope", "region"),
        ("resident", {"region": "12345"}, "request.region.invalid", "region"),
        ("resident", {"channel": "phone"}, "request.channel.not_allowed", "channel"),
        ("resident", {"urgency": "asap"}, "request.urgency.invalid", "urgency"),
        ("resident", {"latitude": "30.5"}, "request.coordinates.partial", "latitude"),
        (
            "resident",
            {"latitude": "95", "longitude": "120"},
            "request.latitude.invalid",
            "latitude",
        ),
        ("community_b", {}, "request.region.out_of_scope", "region"),
        ("community_a", {"resident_id": 999999}, "request.resident.not_found", "resident"),
    ],
)
def test_submission_errors_name_field_and_rule(world, actor, extra, code, field):
    response = post(bearer_client(world.users[actor]), "/api/v1/requests", {**BODY, **extra})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code and field in response.json()["fields"]
    assert Request.objects.count() == 0


def test_roles_that_cannot_submit(world):
    for role in ("volunteer", "org_staff", "charity_staff", "auditor", "party"):
        response = post(bearer_client(world.users[role]), "/api/v1/requests", BODY)
        assert response.status_code == 422, role
        assert response.json()["code"] == "request.region.out_of_scope"


def test_worker_files_a_hotline_request_for_a_resident(world):
    response = post(
        bearer_client(world.users["community_a"]),
        "/api/v1/requests",
        {
            **BODY,
            "channel": "hotline",
            "external_id": "12345-2025-000123",
            "resident_id": world.resident.pk,
            "latitude": "30.52",
            "longitude": "120.68",
        },
    )
    assert response.status_code == 201, response.content
    data = (
        bearer_client(world.users["community_a"])
        .get(f"/api/v1/requests/{response.json()['id']}")
        .json()
    )
    assert data["channel"] == "hotline" and data["external_id"] == "12345-2025-000123"
    assert data["latitude"] == "30.520000"
    # The resident concerned sees it as their own, though a worker filed it.
    mine = bearer_client(world.users["resident"]).get(f"/api/v1/requests/{data['id']}")
    assert mine.status_code == 200 and "cancel" in mine.json()["actions"]


def test_scope_of_lists_and_details(world):
    ngx = world.submit()
    dongshan = world.submit("community_b", region_code=DONGSHAN, channel="phone")
    haizhou = world.submit("county", region_code="330481002002", channel="phone")

    def ids(role, query=""):
        response = bearer_client(world.users[role]).get(f"/api/v1/requests{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids("community_a") == {ngx.pk}
    assert ids("community_b") == {dongshan.pk}
    assert ids("township") == {ngx.pk, dongshan.pk}  # all of 硖石's communities
    assert ids("county") == ids("auditor") == {ngx.pk, dongshan.pk, haizhou.pk}
    assert ids("resident") == {ngx.pk}
    assert ids("other_resident") == set()
    assert ids("volunteer") == set()
    assert ids("township", f"?community={DONGSHAN}") == {dongshan.pk}
    for role, obj in [("community_a", dongshan), ("community_b", ngx), ("other_resident", ngx)]:
        response = bearer_client(world.users[role]).get(f"/api/v1/requests/{obj.pk}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_list_filters_and_counts(world):
    submitted = world.submit()
    accepted = world.make("accepted")
    working = world.make("in_progress")
    world.make("closed")
    client = bearer_client(world.users["community_a"])

    def ids(query):
        return {row["id"] for row in client.get(f"/api/v1/requests?{query}").json()["items"]}

    assert ids("status=submitted") == {submitted.pk}
    assert ids("status=accepted") == {accepted.pk}
    assert ids("status=working") == {working.pk}
    assert ids("category=health") == set()
    assert ids(f"q={working.number[:14]}") >= {working.pk}
    assert ids("supervised=true") == set()
    post(
        bearer_client(world.users["township"]),
        f"/api/v1/requests/{accepted.pk}/supervise",
        {"note": "请三日内办结"},
    )
    assert ids("supervised=true") == {accepted.pk}
    assert ids("status=supervised") == {accepted.pk}
    counts = client.get("/api/v1/requests/counts").json()
    assert counts == {
        "submitted": 1,
        "accepted": 1,
        "working": 1,
        "resolved": 0,
        "overdue": 0,
        "escalated": 0,
        "supervised": 1,
        "closed": 1,
    }
    page = client.get("/api/v1/requests?limit=2").json()
    assert page["count"] == 4 and page["count_exact"] is True and len(page["items"]) == 2
    assert bearer_client(world.users["resident"]).get("/api/v1/requests/counts").status_code == 403


def test_detail_shows_the_whole_timeline_in_order(world):
    request = world.make("closed")
    data = bearer_client(world.users["community_a"]).get(f"/api/v1/requests/{request.pk}").json()
    assert [e["kind"] for e in data["events"]] == [
        "submitted",
        "accepted",
        "dispatched",
        "started",
        "resolved",
        "confirmed",
    ]
    assert [e["seq"] for e in data["events"]] == [1, 2, 3, 4, 5, 6]
    assert data["rating"] == 5 and data["rating_comment"] == "好"
    assert data["resolved_on_time"] is True and data["close_reason"] == "confirmed"
    handlers = {(a["handler_type"], a["handler_name"], a["status"]) for a in data["assignments"]}
    assert handlers == {
        ("volunteer", "李志愿", "done"),
        ("organization", world.organization.name, "done"),
    }
    assert data["actions"] == ["follow-up"]


def test_priority_reason_hides_sensitive_tags_from_handlers(world):
    from wushe.residents.models import ResidentTag

    tag = ResidentTag(resident=world.resident, tag="dibao", start_date=date(2022, 1, 1))
    tag.place(NANGUANXIANG)
    tag.save()
    request = world.make("dispatched")
    assert request.priority_reason == ["urgency:normal", "tag:alone_elder", "tag:dibao"]
    worker = bearer_client(world.users["community_a"]).get(f"/api/v1/requests/{request.pk}")
    assert worker.json()["priority_reason"] == ["一般", "独居老人", "低保对象"]
    handler = bearer_client(world.users["volunteer"]).get(f"/api/v1/requests/{request.pk}")
    assert handler.json()["priority_reason"] == ["一般", "独居老人", "敏感标签（已隐藏）"]


def test_eligible_handlers_for_a_request(world):
    request = world.make("accepted")
    elder_care = Term.objects.get(vocabulary="service_category", code="elderly_care")
    legal = Term.objects.get(vocabulary="service_category", code="legal_aid")
    covering = Organization.objects.create(name="乐龄居家养老服务中心", region_id="330481001000")
    covering.service_categories.add(elder_care)
    covering.coverage.add("330481001007")
    elsewhere = Organization.objects.create(name="海洲养老服务中心", region_id="330481002000")
    elsewhere.service_categories.add(elder_care)
    wrong_kind = Organization.objects.create(name="法律援助工作站", region_id="330481001000")
    wrong_kind.service_categories.add(legal)
    other_volunteer = Volunteer(
        name="东山志愿者", number="330481-2024-0002", registered_on=date(2024, 1, 1)
    )
    other_volunteer.place(DONGSHAN)
    other_volunteer.save()
    client = bearer_client(world.users["community_a"])
    response = client.get(f"/api/v1/requests/eligible-handlers?request={request.pk}")
    assert response.status_code == 200, response.content
    found = {(h["type"], h["name"]) for h in response.json()}
    assert ("organization", "乐龄居家养老服务中心") in found
    assert ("organization", "海洲养老服务中心") not in found
    assert ("organization", "法律援助工作站") not in found
    assert ("volunteer", "李志愿") in found and ("volunteer", "东山志愿者") not in found
    assert ("social_worker", "王社工") in found
    assert ("party_member", "沈卫东") in found
    # Only those who may dispatch get the list; outside the scope the request does not exist.
    assert (
        bearer_client(world.users["auditor"])
        .get(f"/api/v1/requests/eligible-handlers?request={request.pk}")
        .status_code
        == 403
    )
    assert (
        bearer_client(world.users["community_b"])
        .get(f"/api/v1/requests/eligible-handlers?request={request.pk}")
        .status_code
        == 404
    )


def test_dispatch_validates_handlers(world):
    request = world.make("accepted")
    client = bearer_client(world.users["community_a"])
    bad = post(
        client,
        f"/api/v1/requests/{request.pk}/dispatch",
        {"handlers": [{"type": "volunteer", "id": 999999}]},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "request.handlers.not_found"
    empty = post(client, f"/api/v1/requests/{request.pk}/dispatch", {"handlers": []})
    assert empty.status_code == 422
    nameless = post(
        client, f"/api/v1/requests/{request.pk}/dispatch", {"handlers": [{"type": "department"}]}
    )
    assert nameless.status_code == 422 and nameless.json()["code"] == "request.handlers.invalid"


def test_full_loop_over_http(world):
    resident = bearer_client(world.users["resident"])
    worker = bearer_client(world.users["community_a"])
    volunteer = bearer_client(world.users["volunteer"])
    org = bearer_client(world.users["org_staff"])
    created = post(resident, "/api/v1/requests", BODY).json()
    rid = created["id"]
    assert post(worker, f"/api/v1/requests/{rid}/accept").json()["status"] == "accepted"
    dispatched = post(
        worker,
        f"/api/v1/requests/{rid}/dispatch",
        {
            "handlers": [
                {"type": "volunteer", "id": world.volunteer.pk},
                {"type": "organization", "id": world.organization.pk},
            ]
        },
    ).json()
    assert dispatched["status"] == "dispatched"
    assert world.users["volunteer"].notifications.filter(kind="requests.assigned").exists()
    assert world.users["org_staff"].notifications.filter(kind="requests.assigned").exists()
    assert "start" in volunteer.get(f"/api/v1/requests/{rid}").json()["actions"]
    assert post(volunteer, f"/api/v1/requests/{rid}/start").json()["status"] == "in_progress"
    half = post(volunteer, f"/api/v1/requests/{rid}/resolve", {"result": "已帮忙买好菜"}).json()
    assert half["status"] == "in_progress"  # the organisation has not finished yet
    assert half["events"][-1]["kind"] == "assignment_done"
    done = post(org, f"/api/v1/requests/{rid}/resolve", {"result": "已安排每周送菜"}).json()
    assert done["status"] == "resolved" and done["result"] == "已安排每周送菜"
    assert world.users["resident"].notifications.filter(kind="requests.resolved").exists()
    closed = post(resident, f"/api/v1/requests/{rid}/confirm", {"rating": 5, "comment": "谢谢"})
    assert closed.json()["status"] == "closed" and closed.json()["resolved_on_time"] is True
    follow = post(
        worker,
        f"/api/v1/requests/{rid}/follow-up",
        {"outcome": "reached", "satisfied": True, "note": "居民很满意"},
    ).json()
    assert follow["follow_ups"][0]["satisfied"] is True
    bad_rating = post(resident, f"/api/v1/requests/{rid}/rate", {"rating": 9})
    assert bad_rating.status_code == 422
    again = post(resident, f"/api/v1/requests/{rid}/rate", {"rating": 3})
    assert again.status_code == 409 and again.json()["code"] == "request.already_rated"


def test_merge_points_at_the_target(world):
    first = world.submit()
    duplicate = world.submit()
    worker = bearer_client(world.users["community_a"])
    merged = post(
        worker, f"/api/v1/requests/{duplicate.pk}/merge", {"target": first.pk, "note": "同一楼道"}
    ).json()
    assert merged["status"] == "merged"
    assert merged["merged_into"] == {"id": first.pk, "number": first.number}
    other = world.submit()
    conflict = post(worker, f"/api/v1/requests/{duplicate.pk}/merge", {"target": other.pk})
    assert conflict.status_code == 409
    itself = post(worker, f"/api/v1/requests/{other.pk}/merge", {"target": other.pk})
    assert itself.status_code == 422 and itself.json()["code"] == "request.merge.target_not_found"


def test_auditor_reads_but_cannot_write(world):
    request = world.make("submitted")
    client = bearer_client(world.users["auditor"])
    assert client.get(f"/api/v1/requests/{request.pk}").json()["actions"] == []
    assert post(client, f"/api/v1/requests/{request.pk}/accept").status_code == 403
    assert post(client, "/api/v1/requests", BODY).status_code == 422


def test_submission_stays_lean(world, django_assert_max_num_queries):
    """The hot path of the benchmark: token, grants, category, the resident with their tags,
    the policy, the key lookup, the inserts (request, event, audit; the community workers and
    their notification) and four savepoint statements; the answer reads nothing back."""
    client = bearer_client(world.users["resident"])
    post(client, "/api/v1/requests", BODY)  # warm the per-process memo of communities
    with django_assert_max_num_queries(15):
        response = client.post(
            "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="lean"
        )
    assert response.status_code == 201
    assert response.json()["actions"] == ["cancel"]
