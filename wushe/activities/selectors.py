"""Scoped reads of activities and service records: a volunteer sees their own records, an
organiser those of their activities, workers those of their region; otherwise 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_filter, scope_prefixes, scope_q
from wushe.core.errors import NotFound
from wushe.regions.models import Region
from wushe.volunteers.models import Volunteer

from .models import Activity, RecordStatus, ServiceRecord, SignUp


def records_visible(*, user: Any, status: str = "") -> QuerySet[ServiceRecord]:
    qs = ServiceRecord.objects.select_related("activity", "volunteer")
    if NATIONWIDE not in scope_prefixes(user, WORKER_ROLES):
        qs = qs.filter(
            Q(volunteer__user_id=user.pk)
            | Q(activity__organiser_id=user.pk)
            | scope_q(user, "region", WORKER_ROLES)
        )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-signed_in_at", "-pk")


def record_get(*, user: Any, record_id: int) -> ServiceRecord:
    record = records_visible(user=user).filter(pk=record_id).first()
    if record is None:
        raise NotFound(code="activities.record.not_found")
    return record


def activity_get(*, activity_id: int) -> Activity:
    """Activities are public within the platform (a volunteer signs up to any); writes check
    their own permissions."""
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(code="activities.activity.not_found")
    return activity


def activities_list(*, when: str = "upcoming") -> QuerySet[Activity]:
    """Activities open to sign-up (`upcoming`: not yet ended, soonest first) or all, newest
    first."""
    qs = Activity.objects.select_related("region")
    if when == "upcoming":
        return qs.filter(ends_at__gt=timezone.now()).order_by("starts_at", "pk")
    return qs.order_by("-starts_at", "-pk")


def activities_managed(*, user: Any) -> QuerySet[Activity]:
    qs = Activity.objects.select_related("region")
    if NATIONWIDE in scope_prefixes(user, WRITER_ROLES):
        return qs.order_by("-starts_at", "-pk")
    return qs.filter(Q(organiser_id=user.pk) | scope_q(user, "region", WRITER_ROLES)).order_by(
        "-starts_at", "-pk"
    )


def signups_of(*, activity: Activity) -> QuerySet[SignUp]:
    """The sign-in sheet: everyone signed up or signed in, by name."""
    return (
        SignUp.objects.filter(activity=activity)
        .select_related("volunteer", "record")
        .order_by("volunteer__name", "pk")
    )


def signup_of(*, activity: Activity, volunteer: Volunteer | None) -> SignUp | None:
    if volunteer is None:
        return None
    return SignUp.objects.filter(activity=activity, volunteer=volunteer).first()


def volunteer_of(*, user: Any) -> Volunteer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Volunteer.objects.filter(user_id=user.pk).order_by("pk").first()


def signups_mine(*, volunteer: Volunteer) -> QuerySet[SignUp]:
    return (
        SignUp.objects.filter(volunteer=volunteer)
        .select_related("activity", "activity__region", "record")
        .order_by("-activity__starts_at", "-pk")
    )


def records_mine(*, volunteer: Volunteer) -> QuerySet[ServiceRecord]:
    return (
        ServiceRecord.objects.filter(volunteer=volunteer)
        .select_related("activity")
        .order_by("-signed_in_at", "-pk")
    )


def records_for_export(*, user: Any) -> QuerySet[ServiceRecord]:
    """Verified records (reversing records included, with negative minutes) the user may see
    as a worker or organiser, oldest first."""
    return (
        records_visible(user=user, status=RecordStatus.VERIFIED)
        .select_related("activity__region", "activity__organization", "verified_by", "region")
        .order_by("signed_in_at", "pk")
    )


def region_choices(*, user: Any, roles: Any) -> QuerySet[Region]:
    """Communities and townships the user may create activities in (form picker)."""
    qs = scope_filter(Region.objects.filter(level__in=(4, 5)), user, "code", roles)
    if qs.count() > 600:
        qs = qs.filter(level__lte=4)
    return qs.order_by("code")
