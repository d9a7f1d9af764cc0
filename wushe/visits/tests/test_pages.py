"""Pages of visits as each role sees them: due list, record a visit on a phone, enrolment
page, overview, plan settings; scope and masking."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wushe.core.personal import seal_phone
from wushe.visits import services
from wushe.visits.models import Visit

from .conftest import signed_in

pytestmark = pytest.mark.django_db

DUE_STATUS = {
    "resident": 403,
    "volunteer": 200,
    "social_worker": 200,
    "org_staff": 403,
    "charity_staff": 403,
    "community_a": 200,
    "community_b": 200,
    "township": 200,
    "county": 200,
    "province": 200,
    "auditor": 200,
    "admin": 200,
}


@pytest.mark.parametrize(("key", "status"), sorted(DUE_STATUS.items()))
def test_due_list_per_role(enrolled, key, status):
    response = signed_in(enrolled.users[key]).get(reverse("visits:due") + "?bucket=all")
    assert response.status_code == status
    if status != 200:
        return
    text = response.content.decode()
    sees_nanguanxiang = key not in {"volunteer", "community_b"}
    assert ("钱奶奶" in text) == sees_nanguanxiang
    assert ("周奶奶" in text) == (key not in {"volunteer", "community_a"})


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("township", 200),
        ("county", 200),
        ("auditor", 200),
        ("admin", 200),
        ("community_a", 403),
        ("volunteer", 403),
        ("resident", 403),
    ],
)
def test_overview_per_role(enrolled, key, status):
    response = signed_in(enrolled.users[key]).get(reverse("visits:overview"))
    assert response.status_code == status
    if status == 200:
        assert "东山社区" in response.content.decode()


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("township", 200),
        ("county", 200),
        ("admin", 200),
        ("community_a", 403),
        ("auditor", 403),
        ("resident", 403),
    ],
)
def test_plan_page_per_role(world, key, status):
    assert signed_in(world.users[key]).get(reverse("visits:plan")).status_code == status


def test_record_a_visit_from_the_phone(enrolled):
    w = enrolled
    client = signed_in(w.users["community_a"])
    enrolment = w.enrolment(w.alone)
    url = reverse("visits:record", args=[enrolment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.content.decode()
    form = page.context["form"]
    data = {
        "method": "phone",
        "situation": "attention",
        "visited_at": form.initial["visited_at"].strftime("%Y-%m-%dT%H:%M"),
        "findings": "老人说最近腿疼，需要送餐。",
        "follow_up": "request",
        "category": str(form.fields["category"].queryset.get(code="daily_care").pk),
        "request_description": "独居老人腿疼，需要助餐送餐。",
        "idempotency_key": form.initial["idempotency_key"],
    }
    response = client.post(url, data)
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.method == "phone" and visit.follow_up_request is not None
    # The same form posted twice (a double tap) records one visit.
    client.post(url, data)
    assert Visit.objects.count() == 1
    detail = client.get(reverse("visits:enrolment", args=[enrolment.pk])).content.decode()
    assert visit.follow_up_request.number in detail


def test_record_form_errors_stay_on_the_page(enrolled):
    w = enrolled
    client = signed_in(w.users["community_a"])
    url = reverse("visits:record", args=[w.enrolment(w.alone).pk])
    response = client.post(
        url,
        {
            "method": "home",
            "situation": "urgent",
            "visited_at": "2026-01-01T10:00",
            "findings": "",
            "idempotency_key": "x1",
        },
    )
    assert response.status_code == 422
    assert not Visit.objects.exists()


def test_township_officer_sees_but_does_not_record(enrolled):
    w = enrolled
    client = signed_in(w.users["township"])
    enrolment = w.enrolment(w.alone)
    page = client.get(reverse("visits:enrolment", args=[enrolment.pk])).content.decode()
    assert reverse("visits:record", args=[enrolment.pk]) not in page
    assert "分配探访责任人" in page  # township officers manage the list
    assert client.get(reverse("visits:record", args=[enrolment.pk])).status_code == 403


def test_out_of_scope_enrolment_is_404(enrolled):
    w = enrolled
    client = signed_in(w.users["community_b"])
    enrolment = w.enrolment(w.alone)
    assert client.get(reverse("visits:enrolment", args=[enrolment.pk])).status_code == 404
    assert client.get(reverse("visits:record", args=[enrolment.pk])).status_code == 404


def test_phone_masked_and_sensitive_tags_hidden(enrolled):
    w = enrolled
    seal_phone(w.incapacitated, "13812345678")
    w.incapacitated.save()
    enrolment = w.enrolment(w.incapacitated)
    services.enrolment_assign(
        enrolment_id=enrolment.pk, visitor_id=w.users["volunteer"].pk, actor=w.users["community_a"]
    )
    url = reverse("visits:enrolment", args=[enrolment.pk])
    volunteer_page = signed_in(w.users["volunteer"]).get(url).content.decode()
    assert "13812345678" not in volunteer_page and "138****5678" in volunteer_page
    assert "失能老人" not in volunteer_page and "敏感标签（已隐藏）" in volunteer_page
    worker_page = signed_in(w.users["community_a"]).get(url).content.decode()
    assert "失能老人" in worker_page and "13812345678" not in worker_page


def test_plan_settings_form_sets_an_override(world):
    client = signed_in(world.users["township"])
    response = client.post(
        reverse("visits:plan"),
        {
            "form": "override",
            "region": "330481001000",
            "frequency": "weekly",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-07",
            "reason": "寒潮预警",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("visits:plan")).content.decode()
    assert "寒潮预警" in page
    # Another township's code is refused on the form.
    bad = client.post(
        reverse("visits:plan"),
        {
            "form": "frequency",
            "region": "330481002000",
            "risk_level": "high",
            "frequency": "monthly",
        },
    )
    assert bad.status_code == 422


def test_manual_enrol_page(world):
    client = signed_in(world.users["community_a"])
    response = client.post(
        reverse("visits:enrol"),
        {"resident_id": world.woman.pk, "risk_level": "low", "note": "摸排"},
    )
    assert response.status_code == 302
    out_of_scope = client.post(
        reverse("visits:enrol"), {"resident_id": world.dongshan.pk, "risk_level": "low"}
    )
    assert out_of_scope.status_code == 422
