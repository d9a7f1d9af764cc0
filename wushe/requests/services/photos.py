"""Photos of a request: stored privately through wushe.core.images, recorded per stage.

Files cannot be part of a database transaction, so they are written *before* it and deleted
again when the transaction fails or records nothing (a duplicate picture, a retried
submission): a rollback never leaves a row without its file, and leaves no file behind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wushe.core.errors import NotFound, ValidationFailed
from wushe.core.images import AcceptedImage, StoredImage, image_delete, image_store

from .. import rules
from ..models import (
    OPEN_STATUSES,
    WORKING_STATUSES,
    EventKind,
    PhotoStage,
    Request,
    RequestPhoto,
    Status,
)
from ._common import audit, event, forbidden, invalid_transition, lock, now, user_or_none

MAX_PHOTOS_PER_STAGE = 9


@dataclass(frozen=True)
class Stored:
    image: AcceptedImage
    stored: StoredImage


def store_files(photos: Sequence[AcceptedImage]) -> list[Stored]:
    """Write the pictures (one per distinct content) before the transaction."""
    result: list[Stored] = []
    seen: set[str] = set()
    try:
        for image in photos:
            if image.sha256 in seen:
                continue
            seen.add(image.sha256)
            result.append(Stored(image, image_store(image, prefix="requests")))
    except BaseException:
        delete_files(result)
        raise
    return result


def delete_files(stored: Sequence[Stored]) -> None:
    for item in stored:
        image_delete(item.stored.name)
        image_delete(item.stored.thumbnail_name)


def record_photos(
    request: Request, stored: Sequence[Stored], stage: str, actor: Any, at: datetime
) -> list[RequestPhoto]:
    """Rows for the stored pictures not yet on the request at this stage. Pictures already
    there are skipped; their new copies are deleted once the transaction commits."""
    known = set(
        RequestPhoto.objects.filter(
            county_code=request.county_code, request=request, stage=stage
        ).values_list("sha256", flat=True)
    )
    fresh = [item for item in stored if item.stored.sha256 not in known]
    if len(known) + len(fresh) > MAX_PHOTOS_PER_STAGE:
        raise ValidationFailed(
            _("每个阶段最多 %(n)d 张照片。") % {"n": MAX_PHOTOS_PER_STAGE},
            code="request.photos.too_many",
            fields={"photos": [_("照片过多。")]},
        )
    rows = []
    for item in fresh:
        s = item.stored
        row = RequestPhoto(
            request=request,
            stage=stage,
            name=s.name,
            thumbnail_name=s.thumbnail_name,
            content_type=s.content_type,
            size=s.size,
            width=s.width,
            height=s.height,
            sha256=s.sha256,
            uploaded_by=user_or_none(actor),
            uploaded_at=at,
        )
        row.place(request.region_id)
        rows.append(row)
    RequestPhoto.objects.bulk_create(rows)
    kept = {id(item) for item in fresh}
    duplicates = [item for item in stored if id(item) not in kept]
    if duplicates:
        transaction.on_commit(lambda: delete_files(duplicates))
    return rows


def may_add_photo(actor: Any, request: Request, stage: str) -> bool:
    if stage == PhotoStage.SUBMITTED:
        return rules.is_own(actor, request) or rules.may_handle(actor, request)
    return rules.is_handler_of(actor, request) or rules.may_handle(actor, request)


def stage_open(request: Request, stage: str) -> bool:
    if stage == PhotoStage.SUBMITTED:
        return request.status in OPEN_STATUSES
    return request.status in WORKING_STATUSES or request.status == Status.RESOLVED


def photo_add_check(*, request_id: int, actor: Any, stage: str) -> None:
    """The caller first (before the stage, the number of files or their content is looked
    at): NotFound for a request they may not see, PermissionDenied for one they may not add
    photos to (at that stage; an unknown stage: at any stage). Without a lock: the service
    checks again under it."""
    request = Request.objects.filter(pk=request_id).first()
    if request is None or not rules.may_view(actor, request):
        raise NotFound()
    stages = [stage] if stage in PhotoStage.values else list(PhotoStage.values)
    if not any(may_add_photo(actor, request, s) for s in stages):
        raise forbidden()


def request_photo_add(
    *, request_id: int, actor: Any, photos: Sequence[AcceptedImage], stage: str
) -> list[RequestPhoto]:
    """Add pictures to a request (checked images from `image_accept`). The same picture
    twice is stored once: repeating the upload changes nothing."""
    photo_add_check(request_id=request_id, actor=actor, stage=stage)
    if stage not in PhotoStage.values:
        raise ValidationFailed(_("照片阶段不正确。"), code="request.photos.stage_invalid")
    if not photos:
        raise ValidationFailed(
            _("请选择照片。"),
            code="request.photos.required",
            fields={"photos": [_("请选择照片。")]},
        )
    stored = store_files(photos)
    try:
        with transaction.atomic(durable=True):
            request = lock(request_id, actor)
            if not may_add_photo(actor, request, stage):
                raise forbidden()
            if not stage_open(request, stage):
                raise invalid_transition(request, _("上传照片"))
            at = now()
            rows = record_photos(request, stored, stage, actor, at)
            if rows:
                event(
                    request,
                    kind=EventKind.PHOTO_ADDED,
                    actor=actor,
                    at=at,
                    data={"stage": stage, "count": len(rows)},
                )
                request.save(update_fields=["event_seq", "updated_at"])
                audit(request, "photo_added", actor, {"stage": stage, "count": len(rows)})
    except BaseException:
        delete_files(stored)
        raise
    return rows
