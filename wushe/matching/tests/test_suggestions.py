"""Ranked suggestions for a request: who is eligible, in which order, with which reason, for
whom (scope), on the API and on the dispatch screen."""

from __future__ import annotations

import re

import pytest

from wushe.requests.models import Status
from wushe.testing import NANGUANXIANG, bearer_client

from .conftest import CENTRE

pytestmark = pytest.mark.django_db


def accepted(world, **extra):
    return world.make("accepted", latitude=str(CENTRE[0]), longitude=str(CENTRE[1]), **extra)


def names(payload):
    return [s["name"] for s in payload["suggestions"]]


def test_suggestions_are_eligible_ranked_and_explained(world, crowd):
    request = accepted(world)
    response = bearer_client(world.users["community_a"]).get(
        f"/api/v1/matching/suggestions?request={request.pk}"
    )
    assert response.status_code == 200
    payload = response.json()
    got = names(payload)
    # Near with the right skill first; a neighbour community's haircut volunteer after.
    assert got.index("近邻家政") < got.index("隔壁理发")
    # Out of radius, wrong skill, never available, suspended: never suggested.
    for name in ("远方家政", "律师志愿者", "周末家政", "暂停家政"):
        assert name not in got
    first = payload["suggestions"][0]
    assert first["name"] == "近邻家政"
    # Free slots are counted inside the request's deadline window (three days: nine).
    assert re.match(r"^距离 0\.3 公里 · 技能匹配 · 本周尚有 \d+ 个空闲时段$", first["reason"])
    assert set(first["components"]) == {
        "distance", "skill", "rating", "reliability", "workload", "familiarity"
    }  # fmt: skip
    scores = [s["score"] for s in payload["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    # The organisation and the social worker the request loop finds eligible are ranked too.
    assert {"organization", "social_worker"} <= {s["type"] for s in payload["suggestions"]}


def test_suggestions_leave_out_who_already_has_it(world, crowd):
    request = accepted(world)
    from wushe.requests import services

    services.request_dispatch(
        request_id=request.pk,
        actor=world.users["community_a"],
        handlers=[services.HandlerSpec("volunteer", crowd["near"].pk)],
    )
    payload = (
        bearer_client(world.users["community_a"])
        .get(f"/api/v1/matching/suggestions?request={request.pk}")
        .json()
    )
    assert "近邻家政" not in names(payload)


def test_location_falls_back_to_the_community(world, crowd):
    request = world.make("accepted")  # no coordinates
    payload = (
        bearer_client(world.users["community_a"])
        .get(f"/api/v1/matching/suggestions?request={request.pk}")
        .json()
    )
    assert "近邻家政" in names(payload)
    assert "按社区位置估算" in payload["suggestions"][0]["reason"]


@pytest.mark.parametrize(("who", "status"), [("community_b", 404), ("resident", 403)])
def test_suggestions_are_scoped(world, crowd, who, status):
    request = accepted(world)
    response = bearer_client(world.users[who]).get(
        f"/api/v1/matching/suggestions?request={request.pk}"
    )
    assert response.status_code == status
    assert "近邻家政" not in response.content.decode()


def test_suggestions_for_a_need_of_the_needs_database(world, crowd):
    from wushe.needs.services import need_create

    need = need_create(
        region_code=NANGUANXIANG,
        category="elderly_care",
        title="独居老人需要定期上门打扫",
        source="survey",
        actor=world.users["community_a"],
    )
    response = bearer_client(world.users["community_a"]).get(
        f"/api/v1/matching/suggestions?need={need.pk}"
    )
    assert response.status_code == 200
    payload = response.json()
    assert payload["need"] == need.pk
    got = names(payload)
    assert "近邻家政" in got and "律师志愿者" not in got and "暂停家政" not in got
    # The organisation offering elderly care and covering the community is among them.
    assert "organization" in {s["type"] for s in payload["suggestions"]}
    other = bearer_client(world.users["community_b"]).get(
        f"/api/v1/matching/suggestions?need={need.pk}"
    )
    assert other.status_code == 404
    missing = bearer_client(world.users["community_a"]).get("/api/v1/matching/suggestions")
    assert missing.status_code == 422


def test_dispatch_screen_shows_ranked_suggestions_and_dispatches_one(world, crowd):
    from .conftest import signed_in_client

    request = accepted(world)
    client = signed_in_client(world.users["community_a"])
    html = client.get(f"/requests/{request.pk}/dispatch/").content.decode()
    assert "推荐承办方（按匹配度排序）" in html
    ranked = html[html.index('id="suggestions"') : html.index("</fieldset>")]
    assert ranked.index("近邻家政") < ranked.index("隔壁理发")
    assert "距离 0.3 公里 · 技能匹配" in ranked
    assert "得分构成：距离 90 · 技能 100" in ranked
    for name in ("远方家政", "律师志愿者", "周末家政", "暂停家政"):
        assert name not in ranked
    # The neighbour community's volunteer is offered through the suggestion and can be sent.
    response = client.post(
        f"/requests/{request.pk}/dispatch/", {"handlers": [f"volunteer:{crowd['middle'].pk}"]}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.DISPATCHED
    assert request.assignments.get().volunteer_id == crowd["middle"].pk
