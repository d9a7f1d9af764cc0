"""Plan settings and visit records: permission before validation (issue 9). A role that may
not change a region's visit plan (or record a visit), or one whose scope does not hold the
region, is refused (403/404) whatever the body says and nothing is written; a planner (or
visitor) is told what is wrong with the body (422, Chinese)."""

from __future__ import annotations

from typing import Any

import pytest

from wushe.testing import HAIZHOU, XIASHI, bearer_client
from wushe.visits.models import Enrolment, FrequencyPolicy, Visit, VisitRule, WeatherOverride

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def _post(user: Any, path: str, body: dict[str, Any]) -> Any:
    return bearer_client(user).post(f"/api/v1/visits/{path}", body, content_type="application/json")


BAD = {
    "plan/rules": {"tag": "no-such-tag", "risk_level": "high"},
    "plan/frequencies": {"risk_level": "high", "frequency": "hourly"},
    "overrides": {
        "frequency": "daily",
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-07",
        "reason": " ",
    },
}
ANSWER = {
    "plan/rules": ("visits.tag.invalid", "困难群体标签不正确。"),
    "plan/frequencies": ("visits.frequency.invalid", "探访频次不正确。"),
    "overrides": ("visits.reason.required", "请填写原因。"),
}


def _nothing_written() -> bool:
    return not (
        VisitRule.objects.exists()
        or FrequencyPolicy.objects.exists()
        or WeatherOverride.objects.exists()
    )


@pytest.mark.parametrize("path", sorted(BAD))
@pytest.mark.parametrize(
    ("outsider", "region"),
    [
        ("community_a", XIASHI),  # no planning role at all
        ("social_worker", XIASHI),
        ("township", HAIZHOU),  # a planner, but of 硖石, not 海洲
    ],
)
def test_an_outsider_with_an_invalid_body_is_refused(world, path, outsider, region):
    response = _post(world.users[outsider], path, {**BAD[path], "region": region})
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "visits.forbidden"
    assert _nothing_written()


@pytest.mark.parametrize("path", sorted(BAD))
@pytest.mark.parametrize(("planner", "region"), [("township", XIASHI), ("county", HAIZHOU)])
def test_a_planner_with_an_invalid_body_is_told_what_is_wrong(world, path, planner, region):
    response = _post(world.users[planner], path, {**BAD[path], "region": region})
    assert response.status_code == 422, response.content
    code, message = ANSWER[path]
    assert response.json()["code"] == code
    assert response.json()["message"] == message
    assert _nothing_written()


def test_a_visit_with_an_unknown_method_is_refused_to_who_may_not_record_it(enrolled):
    enrolment = Enrolment.objects.get(resident=enrolled.alone)
    path = f"enrolments/{enrolment.pk}/visits"
    body = {"method": "telepathy"}
    assert _post(enrolled.users["volunteer"], path, body).status_code == 404  # not assigned
    assert _post(enrolled.users["community_b"], path, body).status_code == 404  # elsewhere
    assert _post(enrolled.users["township"], path, body).status_code == 403  # supervises
    response = _post(enrolled.users["community_a"], path, body)
    assert response.status_code == 422
    assert response.json()["code"] == "visits.method.invalid"
    assert response.json()["message"] == "请选择探访方式。"
    assert not Visit.objects.exists()


def test_the_end_page_refuses_who_may_not_end_before_asking_for_a_reason(enrolled):
    enrolment = Enrolment.objects.get(resident=enrolled.alone)
    url = f"/visits/enrolments/{enrolment.pk}/end/"
    response = signed_in(enrolled.users["social_worker"]).post(url, {"reason": ""}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert "您不能执行此探访操作。" in texts and "请填写退出原因。" not in texts
    response = signed_in(enrolled.users["community_a"]).post(url, {"reason": ""}, follow=True)
    assert "请填写退出原因。" in [str(m) for m in response.context["messages"]]
    enrolment.refresh_from_db()
    assert enrolment.ended_on is None
