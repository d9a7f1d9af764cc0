"""Request photos: checked by content, stored privately, duplicates kept once, served (and
their thumbnails) only to those who may see the request."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wushe.core.images import image_accept
from wushe.requests import services
from wushe.requests.models import RequestEvent, RequestPhoto
from wushe.testing import bearer_client

from .conftest import png_bytes

pytestmark = pytest.mark.django_db


def upload(client, request_id, *images, stage="submitted", name="a.png"):
    files = [SimpleUploadedFile(name, data, content_type="image/png") for data in images]
    return client.post(f"/api/v1/requests/{request_id}/photos", {"stage": stage, "photos": files})


def test_resident_uploads_and_only_those_who_see_the_request_get_it(world, private_storage):
    request = world.submit()
    resident = bearer_client(world.users["resident"])
    response = upload(resident, request.pk, png_bytes(), png_bytes((0, 90, 200)))
    assert response.status_code == 201, response.content
    photos = response.json()
    assert len(photos) == 2 and photos[0]["stage"] == "submitted"
    assert photos[0]["url"].endswith(f"/photos/{photos[0]['id']}")
    # Stored privately under random names, never the uploader's file name.
    stored = RequestPhoto.objects.get(pk=photos[0]["id"])
    assert stored.name.startswith("private/requests/")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", stored.name.rsplit("/", 1)[1])
    assert (private_storage / stored.name).exists()

    for role, expected in [
        ("resident", 200),
        ("community_a", 200),
        ("township", 200),
        ("auditor", 200),
        ("community_b", 404),
        ("other_resident", 404),
        ("volunteer", 404),
    ]:
        got = bearer_client(world.users[role]).get(photos[0]["url"])
        assert got.status_code == expected, role
        if expected == 200:
            assert got["Content-Type"] == "image/png"
            assert got["Cache-Control"].startswith("private")
    thumb = resident.get(photos[0]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    # A photo id of another request is not found through this one.
    other = world.submit()
    assert resident.get(f"/api/v1/requests/{other.pk}/photos/{photos[0]['id']}").status_code == 404


def test_same_picture_twice_is_kept_once(
    world, private_storage, django_capture_on_commit_callbacks
):
    request = world.submit()
    resident = bearer_client(world.users["resident"])
    assert upload(resident, request.pk, png_bytes()).status_code == 201
    events = RequestEvent.objects.filter(request=request).count()
    with django_capture_on_commit_callbacks(execute=True):
        again = upload(resident, request.pk, png_bytes())
    assert again.status_code == 201 and len(again.json()) == 1
    assert RequestPhoto.objects.filter(request=request).count() == 1
    assert RequestEvent.objects.filter(request=request).count() == events
    files = [p for p in private_storage.rglob("*") if p.is_file()]
    assert len(files) == 2  # the picture and its thumbnail, no orphan copies


def test_not_an_image_is_refused_by_content(world):
    request = world.submit()
    response = upload(bearer_client(world.users["resident"]), request.pk, b"%PDF-1.4 not a photo")
    assert response.status_code == 422
    assert response.json()["code"].startswith("image.")
    assert not RequestPhoto.objects.exists()


def test_who_may_add_photos(world, private_storage):
    request = world.make("in_progress")
    volunteer = bearer_client(world.users["volunteer"])
    assert upload(volunteer, request.pk, png_bytes(), stage="resolved").status_code == 201
    # A handler does not add "submitted" photos; the auditor adds nothing.
    assert upload(volunteer, request.pk, png_bytes((1, 2, 3))).status_code == 403
    auditor = bearer_client(world.users["auditor"])
    assert upload(auditor, request.pk, png_bytes((4, 5, 6)), stage="resolved").status_code == 403
    assert (
        upload(bearer_client(world.users["community_b"]), request.pk, png_bytes()).status_code
        == 404
    )
    closed = world.make("closed")
    late = upload(bearer_client(world.users["resident"]), closed.pk, png_bytes())
    assert late.status_code == 409 and late.json()["code"] == "request.invalid_transition"
    assert len([p for p in private_storage.rglob("*") if p.is_file()]) == 2


def test_resolve_with_photos_in_one_step(world, private_storage):
    request = world.make("in_progress")
    image = image_accept(png_bytes((10, 200, 10)))
    services.request_resolve(
        request_id=request.pk, actor=world.users["community_a"], result="已修好", photos=[image]
    )
    assert RequestPhoto.objects.filter(request=request, stage="resolved").count() == 1
    # A failed resolve leaves no file behind.
    from wushe.core.errors import DomainError

    other = world.submit()
    with pytest.raises(DomainError):
        services.request_resolve(
            request_id=other.pk,
            actor=world.users["community_a"],
            result="x",
            photos=[image_accept(png_bytes((9, 9, 9)))],
        )
    assert len([p for p in private_storage.rglob("*") if p.is_file()]) == 2
