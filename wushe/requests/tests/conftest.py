"""A small world for request tests: the role users of wushe.testing plus the records that make
them handlers (the volunteer's and social worker's records, the org staff's organisation, a
party member reporting to 南关厢 offering 生活照料) and the resident's own record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.test import Client

from wushe.partymembers.models import CheckinCategory, PartyMemberCheckin
from wushe.requests import services
from wushe.requests.models import Request
from wushe.residents.models import Resident, ResidentTag
from wushe.socialworkers.models import SocialWorker
from wushe.taxonomy.models import Term, Vocabulary
from wushe.testing import NANGUANXIANG, PASSWORD, XIASHI, make_user
from wushe.volunteers.models import Volunteer

ORDER = ["submitted", "accepted", "dispatched", "in_progress", "resolved", "closed"]


@dataclass
class World:
    users: dict[str, Any]
    volunteer: Volunteer
    social_worker: SocialWorker
    organization: Any
    party: PartyMemberCheckin
    resident: Resident
    category: Term
    made: list[Request] = field(default_factory=list)

    def submit(self, actor_key: str = "resident", **extra: Any) -> Request:
        values: dict[str, Any] = {
            "region_code": NANGUANXIANG,
            "category": "daily_care",
            "description": "楼道灯坏了，晚上老人出门看不见。",
        }
        values.update(extra)
        request, created = services.request_submit(actor=self.users[actor_key], **values)
        assert created
        self.made.append(request)
        return request

    def make(self, state: str, **extra: Any) -> Request:
        """A request of the resident, walked through the services up to `state`
        (submitted … closed; or rejected, cancelled, merged)."""
        request = self.submit(**extra)
        worker = self.users["community_a"]
        if state == "rejected":
            return services.request_reject(request_id=request.pk, actor=worker, reason="重复")
        if state == "cancelled":
            return services.request_cancel(request_id=request.pk, actor=self.users["resident"])
        if state == "merged":
            target = self.submit()
            return services.request_merge(request_id=request.pk, actor=worker, target_id=target.pk)
        steps = ORDER[: ORDER.index(state) + 1]
        if "accepted" in steps:
            services.request_accept(request_id=request.pk, actor=worker)
        if "dispatched" in steps:
            services.request_dispatch(
                request_id=request.pk,
                actor=worker,
                handlers=[
                    services.HandlerSpec("volunteer", self.volunteer.pk),
                    services.HandlerSpec("organization", self.organization.pk),
                ],
            )
        if "in_progress" in steps:
            services.request_start(request_id=request.pk, actor=self.users["volunteer"])
        if "resolved" in steps:
            services.request_resolve(request_id=request.pk, actor=worker, result="已修好。")
        if "closed" in steps:
            services.request_confirm(
                request_id=request.pk, actor=self.users["resident"], rating=5, comment="好"
            )
        request.refresh_from_db()
        assert request.status == state, (request.status, state)
        return request


@pytest.fixture
def world(role_users) -> World:
    users = dict(role_users)
    users["other_resident"] = make_user("u_other_resident", "resident", NANGUANXIANG)
    users["party"] = make_user("u_party")  # no role: a party member reporting in
    org_staff = users["org_staff"]
    organization = org_staff.grants.get().organization
    volunteer = Volunteer(
        name="李志愿",
        number="330481-2024-0001",
        registered_on=date(2024, 1, 1),
        user=users["volunteer"],
    )
    volunteer.place(NANGUANXIANG)
    volunteer.save()
    social_worker = SocialWorker(
        name="王社工",
        certificate_level="intermediate",
        certificate_number="SW-1",
        certificate_date=date(2020, 5, 1),
        registration_due_on=date(2030, 5, 1),
        user=users["social_worker"],
    )
    social_worker.place(XIASHI)
    social_worker.save()
    category = Term.objects.get(vocabulary=Vocabulary.REQUEST_CATEGORY, code="daily_care")
    party = PartyMemberCheckin(
        name="沈卫东",
        work_unit="海宁市人民医院",
        party_organization="海宁市人民医院党委",
        reported_on=date(2024, 7, 1),
        user=users["party"],
    )
    party.place(NANGUANXIANG)
    party.save()
    CheckinCategory.objects.create(checkin=party, term=category, county_code="330481")
    resident = Resident(name="张阿姨", birth_date=date(1946, 3, 2), user=users["resident"])
    resident.place(NANGUANXIANG)
    resident.save()
    tag = ResidentTag(resident=resident, tag="alone_elder", start_date=date(2023, 1, 1))
    tag.place(NANGUANXIANG)
    tag.save()
    return World(
        users=users,
        volunteer=volunteer,
        social_worker=social_worker,
        organization=organization,
        party=party,
        resident=resident,
        category=category,
    )


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Photos go to a temporary directory, never to var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


def png_bytes(
    color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (40, 30)
) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
