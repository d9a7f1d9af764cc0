"""Permission before validation (issue 9): a caller who may not reject (or follow up, or
merge) a request is refused (403, or 404 outside their scope) whatever the body says, and
nothing changes; the community handling it is told what is wrong with the body (422, in
Chinese)."""

from __future__ import annotations

import pytest

from wushe.audit.models import AuditEvent
from wushe.requests.models import FollowUp, RequestEvent, Status
from wushe.testing import bearer_client

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _written_since(pk: int) -> list[str]:
    """Actions audited since `pk`, less the sign-in's own (a bearer token is audited)."""
    return list(
        AuditEvent.objects.filter(pk__gt=pk)
        .exclude(action__startswith="accounts.")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("outsider", "status"),
    [
        ("resident", 403),  # their own request: they may see it, not reject it
        ("township", 403),  # sees the community's requests, handles escalated ones only
        ("community_b", 404),  # a community worker of another community
        ("volunteer", 404),
    ],
)
def test_reject_without_a_reason_refuses_an_outsider_before_the_reason(world, outsider, status):
    request = world.submit()
    client = bearer_client(world.users[outsider])
    before, events = _last_event(), RequestEvent.objects.filter(request=request).count()
    response = client.post(
        f"/api/v1/requests/{request.pk}/reject", {"reason": ""}, content_type="application/json"
    )
    assert response.status_code == status, response.content
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED and request.status_reason == ""
    assert RequestEvent.objects.filter(request=request).count() == events
    assert _written_since(before) == []


def test_reject_without_a_reason_tells_the_community_what_is_missing(world):
    request = world.submit()
    client = bearer_client(world.users["community_a"])
    response = client.post(
        f"/api/v1/requests/{request.pk}/reject", {"reason": " "}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "request.reason.required"
    assert response.json()["message"] == "请填写不予受理的理由。"
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


def test_follow_up_with_an_unknown_outcome_is_refused_to_the_resident_first(world):
    request = world.make("resolved")
    body = {"outcome": "maybe"}
    resident = bearer_client(world.users["resident"])
    response = resident.post(
        f"/api/v1/requests/{request.pk}/follow-up", body, content_type="application/json"
    )
    assert response.status_code == 403
    community = bearer_client(world.users["community_a"])
    response = community.post(
        f"/api/v1/requests/{request.pk}/follow-up", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "request.follow_up.outcome_invalid"
    assert response.json()["message"] == "请选择回访结果。"
    assert not FollowUp.objects.exists()


def test_merge_page_with_an_empty_form_refuses_the_resident_before_the_form(world):
    request = world.submit()
    response = signed_in(world.users["resident"]).post(
        f"/requests/{request.pk}/merge/", {"target": ""}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert "您不能对这条诉求执行此操作。" in texts
    assert "请填写要合并到的诉求编号。" not in texts
    response = signed_in(world.users["community_a"]).post(
        f"/requests/{request.pk}/merge/", {"target": ""}, follow=True
    )
    assert "请填写要合并到的诉求编号。" in [str(m) for m in response.context["messages"]]
    request.refresh_from_db()
    assert request.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("outsider", "status"),
    [("community_b", 404), ("volunteer", 404), ("township", 403)],
)
@pytest.mark.parametrize("stage", ["submitted", "no-such-stage"])
def test_photo_upload_refuses_an_outsider_before_looking_at_the_files(
    world, private_storage, outsider, status, stage
):
    """Not an image, an unknown stage: an outsider still gets 403/404, never the 422 that
    tells what is wrong with the upload; nothing is stored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wushe.requests.models import RequestPhoto

    request = world.submit()
    client = bearer_client(world.users[outsider])
    before = _last_event()
    junk = SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png")
    response = client.post(
        f"/api/v1/requests/{request.pk}/photos", {"stage": stage, "photos": [junk]}
    )
    assert response.status_code == status, response.content
    assert not RequestPhoto.objects.filter(request=request).exists()
    assert _written_since(before) == []


def test_photo_upload_tells_the_resident_what_is_wrong_with_the_file(world, private_storage):
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = world.submit()
    client = bearer_client(world.users["resident"])
    junk = SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png")
    response = client.post(
        f"/api/v1/requests/{request.pk}/photos", {"stage": "submitted", "photos": [junk]}
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"].startswith(("image.", "upload."))


def test_photo_page_refuses_an_outsider_before_the_files(world, private_storage):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wushe.requests.models import RequestPhoto

    request = world.submit()
    page = signed_in(world.users["community_b"])
    junk = SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png")
    response = page.post(
        f"/requests/{request.pk}/photos/", {"stage": "submitted", "photos": [junk]}, follow=True
    )
    assert not RequestPhoto.objects.filter(request=request).exists()
    text = response.content.decode()
    assert "只能上传 JPEG、PNG 或 WebP" not in text  # the file's problem is not told to them
