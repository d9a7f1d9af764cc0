"""The small world the access matrix (test_access_matrix.py) calls every endpoint in.

Four places: IN (南关厢社区 in 硖石街道) where every role user of the matrix works or lives;
OUT (a community of 海洲街道, another township of 海宁市); COUNTY (a community of 海盐县, another
county of 浙江); PROVINCE (a community of 昆山市, 江苏, another province). OUT has the same kinds
of objects as IN, owned by other people; COUNTY and PROVINCE have every kind that does not hang
on a county-wide object of 海宁 (a project needs 海宁's call, a time-bank account its scheme);
they get a call, a project and a scheme of their own county for the lists only (not in `ids`).
Every object of OUT, COUNTY and PROVINCE carries its place's marker (MARKERS) in a name, title
or note, so that the matrix can tell a list that shows one.
Objects are made through the apps' services, so a path parameter such as `{request_id}` can
be filled with an object inside the role's region and with ones outside it.

Who covers which place is OUT_OF_REACH: county-level roles (county, charity staff, auditor,
reviewer) cover OUT but not COUNTY; the province officer of 浙江 covers COUNTY but not PROVINCE;
admin covers all. Where a role covers the place the outside call is expected to behave like the
inside one; where it does not, a call that got through inside must be refused there."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from PIL import Image

from wushe.accounts.models import User
from wushe.accounts.roles import Role
from wushe.accounts.services import token_issue
from wushe.core.identifiers import id_number_check_char
from wushe.regions.models import Region
from wushe.testing import HAINING, HAIZHOU, NANGUANXIANG, XIASHI, ZHEJIANG, make_user

# The roles of the matrix, in the order of its columns. Each maps to (role, region) of the
# user that plays it; "anonymous" has no user and "reviewer" is a user without a role grant
# who sits on the IN call's review panel.
ROLES: dict[str, tuple[str | None, str | None]] = {
    "anonymous": (None, None),
    "resident": (Role.RESIDENT, NANGUANXIANG),
    "volunteer": (Role.VOLUNTEER, NANGUANXIANG),
    "social_worker": (Role.SOCIAL_WORKER, XIASHI),
    "org_staff": (Role.ORG_STAFF, XIASHI),
    "charity_staff": (Role.CHARITY_STAFF, HAINING),
    "community": (Role.COMMUNITY_WORKER, NANGUANXIANG),
    "township": (Role.TOWNSHIP_OFFICER, XIASHI),
    "county": (Role.CIVIL_AFFAIRS, HAINING),
    "province": (Role.CIVIL_AFFAIRS, ZHEJIANG),
    "auditor": (Role.AUDITOR, HAINING),
    "reviewer": (None, None),
    "admin": (Role.ADMIN, None),
}
# Roles whose region does not contain OUT: their outside calls must be denied or hidden.
SCOPED_BELOW_COUNTY = frozenset(
    {"resident", "volunteer", "social_worker", "org_staff", "community", "township"}
)
# For each place outside IN, the roles whose region does not contain it. The reviewer has no
# grant: only the 海宁 call's panel seat, which reaches nothing in another county.
SCOPED_BELOW_PROVINCE = SCOPED_BELOW_COUNTY | {"charity_staff", "county", "auditor", "reviewer"}
OUT_OF_REACH: dict[str, frozenset[str]] = {
    "out": SCOPED_BELOW_COUNTY,
    "county": SCOPED_BELOW_PROVINCE,
    "province": SCOPED_BELOW_PROVINCE | {"province"},
}
# Another county of 浙江 and a county of another province (loaded like 海宁, from the division
# data), each with its first township and that township's first community.
OTHER_COUNTY = "330424000000"  # 海盐县 (嘉兴市)
OTHER_PROVINCE_COUNTY = "320583000000"  # 昆山市 (苏州市, 江苏省)
# A string that occurs in a name, title or note of every object of a place outside IN (and
# nowhere else), so that a list answer can be searched for objects of a place it must not
# show (test_access_matrix.py, list checks). IN keeps its plain key.
MARKERS: dict[str, str] = {"out": "海洲甲记", "county": "海盐乙记", "province": "昆山丙记"}


def id_number(serial: int, born: str = "19560312") -> str:
    body = f"330481{born}{serial:03d}"
    return body + id_number_check_char(body)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Place:
    key: str  # "in", "out", "county" or "province"
    community: str
    township: str
    people: dict[str, User] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    places: dict[str, Place]

    def object_id(self, kind: str, place: str) -> Any:
        """The id of an object of `kind` in `place`, or None when the world has none."""
        return self.places[place].ids.get(kind)


def _first(prefix: str, level: int) -> str:
    code = (
        Region.objects.filter(code__startswith=prefix, level=level)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )
    assert code is not None, f"no region of level {level} under {prefix}"
    return code


def _out_community() -> str:
    return _first(HAIZHOU[:9], 5)


def _far_place(key: str, county: str) -> Place:
    """A place in another county: its first township and that township's first community."""
    from wushe.regions.services import regions_load

    regions_load(prefix=county)
    township = _first(county[:6], 4)
    return Place(key, _first(township[:9], 5), township)


def build_world() -> World:
    from wushe.activities import services as activities
    from wushe.charity import services as charity
    from wushe.core.images import image_accept
    from wushe.imports.services import import_upload, template_build
    from wushe.matching.services import proposal_create
    from wushe.menu import services as menu
    from wushe.needs.services import need_create
    from wushe.notifications.services import notify
    from wushe.organizations.services import OrganizationFacts, organization_create
    from wushe.partymembers.services import checkin_create
    from wushe.projects import services as projects
    from wushe.requests import services as requests
    from wushe.residents import services as residents
    from wushe.socialworkers.services import (
        education_record,
        renewal_record,
        social_worker_create,
    )
    from wushe.stations.services import station_create
    from wushe.timebank import services as timebank
    from wushe.timebank.models import SchemeKind
    from wushe.visits import services as visits
    from wushe.volunteers import services as volunteers

    root = make_user("m_root", Role.ADMIN, None)
    county = make_user("m_call_owner", Role.CIVIL_AFFAIRS, HAINING)
    places = {
        "in": Place("in", NANGUANXIANG, XIASHI),
        "out": Place("out", _out_community(), HAIZHOU),
        "county": _far_place("county", OTHER_COUNTY),
        "province": _far_place("province", OTHER_PROVINCE_COUNTY),
    }
    scheme = timebank.scheme_create(
        region_code=HAINING,
        code="m-coin",
        name="海宁时间币",
        kind=SchemeKind.COIN,
        actor=root,
        daily_earn_cap=None,
    )
    call = projects.call_create(
        data=projects.CallInput(
            region_code=HAINING,
            kind="venture",
            title="2026年海宁市公益创投",
            funder="海宁市民政局",
            year=2026,
            budget_fen=100_000_000,
            min_reviews=1,
        ),
        actor=county,
    )
    reviewer = make_user("m_reviewer")
    projects.panel_add(call_id=call.pk, user_id=reviewer.pk, actor=county)
    start = timezone.now().replace(microsecond=0) - timedelta(days=2)

    users: dict[str, User] = {"reviewer": reviewer}
    for serial, (key, place) in enumerate(places.items(), start=1):
        c, t = place.community, place.township
        ids = place.ids
        mark = MARKERS.get(key, key)
        org = organization_create(
            facts=OrganizationFacts(name=f"{mark}邻里互助社", region=t, coverage=[c]),
            actor=root,
        )
        ids["organization"] = org.pk
        prefix = {"in": "m", "out": "o", "county": "c", "province": "p"}[key]
        # COUNTY and PROVINCE skip what hangs on 海宁's county-wide call and scheme.
        near = key in ("in", "out")
        people = {
            "resident": make_user(f"{prefix}_resident", Role.RESIDENT, c),
            "volunteer": make_user(f"{prefix}_volunteer", Role.VOLUNTEER, c),
            "social_worker": make_user(f"{prefix}_social_worker", Role.SOCIAL_WORKER, t),
            "org_staff": make_user(f"{prefix}_org_staff", Role.ORG_STAFF, t, organization=org),
            "community": make_user(f"{prefix}_community", Role.COMMUNITY_WORKER, c),
            "township": make_user(f"{prefix}_township", Role.TOWNSHIP_OFFICER, t),
        }
        place.people = people
        if key == "in":
            users.update(people)
            for role_key in ("charity_staff", "county", "province", "auditor", "admin"):
                role, region = ROLES[role_key]
                users[role_key] = make_user(f"m_{role_key}", role, region)

        station = station_create(
            actor=root, kind="social_work", name=f"{mark}社会工作服务站", region_code=t
        )
        ids["station"] = station.pk
        worker = social_worker_create(
            actor=root,
            name=f"{mark}社工",
            id_number=id_number(serial, "19900307"),
            certificate_level="assistant",
            certificate_number=f"ZS2019{serial:04d}",
            certificate_date=date(2019, 10, 26),
            registered_on=date(2020, 3, 15),
            region_code=t,
            station_id=station.pk,
            user_id=people["social_worker"].pk,
        )
        ids["social_worker"] = worker.pk
        renewal_record(actor=root, worker_id=worker.pk, renewed_on=date(2023, 3, 1))
        education_record(
            actor=root,
            worker_id=worker.pk,
            taken_on=date(2024, 5, 1),
            hours="8",
            provider="海宁市民政局",
            topic="社区治理",
        )
        checkin = checkin_create(
            actor=root,
            name=f"{mark}党员",
            id_number=id_number(serial, "19700101"),
            work_unit="海宁市人民医院",
            party_organization="海宁市人民医院党委",
            region_code=c,
            reported_on=date(2024, 7, 1),
        )
        ids["checkin"] = checkin.pk
        volunteer = volunteers.volunteer_register(
            name=f"{mark}志愿者",
            id_number=id_number(serial, "19850101"),
            region_code=c,
            consent_given=True,
            actor=root,
            user=people["volunteer"],
        )
        ids["volunteer"] = volunteer.pk
        team = volunteers.team_create(name=f"{mark}志愿服务队", region_code=c, actor=root)
        volunteers.team_add_member(team=team, volunteer=volunteer, actor=root)
        ids["team"] = team.pk
        household = residents.household_create(region_code=c, number=f"{mark}-0101", actor=root)
        ids["household"] = household.pk
        resident = residents.resident_create(
            region_code=c,
            name=f"{mark}居民",
            id_number=id_number(serial, "19460302"),
            phone="13912345678",
            household_id=household.pk,
            user=people["resident"],
            actor=root,
        )
        ids["resident"] = resident.pk
        tag = residents.resident_tag_add(
            resident=resident, tag="alone_elder", start_date=date(2024, 1, 5), actor=root
        )
        ids["tag"] = tag.pk

        fund = charity.fund_create(
            region_code=t, kind="micro", name=f"{mark}社区微基金", actor=root
        )
        ids["fund"] = fund.pk
        donor = charity.donor_create(region_code=t, kind="person", name=f"{mark}捐赠人", actor=root)
        ids["donor"] = donor.pk
        donation = charity.donation_record(
            donor=donor,
            kind="money",
            received_on=date(2026, 1, 5),
            fund=fund,
            amount_fen=100_00,
            purpose_text=f"{mark}助老",
            actor=root,
        )
        ids["donation"] = donation.pk
        store = charity.store_create(region_code=c, name=f"{mark}爱心超市", actor=root)
        ids["store"] = store.pk
        item = charity.store_item_create(
            store=store, name=f"{mark}大米 5kg", unit="袋", points_price=120, stock=10, actor=root
        )
        ids["item"] = item.pk

        template, name = template_build(kind="residents", actor=people["community"])
        job = import_upload(
            kind="residents", file_name=f"{mark}{name}", data=template, actor=people["community"]
        )
        ids["import_job"] = job.pk

        notes = notify(recipients=[people["resident"]], kind="test.matrix", title=f"{mark}通知")
        ids["notification"] = notes[0].pk

        request, _created = requests.request_submit(
            actor=people["resident"],
            region_code=c,
            category="daily_care",
            description=f"{mark}：楼道灯坏了，晚上老人出门看不见。",
            photos=[image_accept(png_bytes(), file_name="灯.png")],
        )
        ids["request"] = request.pk
        ids["photo"] = request.photos.values_list("pk", flat=True).first()

        activity = activities.activity_create(
            region_code=c,
            title=f"{mark}敬老院助餐",
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            actor=people["community"],
        )
        ids["activity"] = activity.pk
        record = activities.record_submit(
            activity=activity,
            volunteer=volunteer,
            signed_in_at=start,
            signed_out_at=start + timedelta(minutes=95),
            actor=people["volunteer"],
        )
        ids["record"] = record.pk

        if near:
            account = timebank.account_for_resident(scheme=scheme, resident=resident)
            ids["account"] = account.pk

        offering = menu.offering_create(
            actor=people["org_staff"],
            region_code=t,
            provider_kind="organization",
            provider_id=org.pk,
            spec=menu.OfferingSpec(category="elderly_care", title=f"{mark}上门助浴", capacity=3),
        )
        ids["offering"] = offering.pk
        order, _created = menu.order_create(
            actor=people["resident"],
            offering_id=offering.pk,
            service_date=timezone.localdate() + timedelta(days=1),
            note=f"{mark}请上午来",
        )
        ids["order"] = order.pk

        need = need_create(
            region_code=c,
            category="elderly_care",
            title=f"{mark}独居老人助餐",
            source="survey",
            actor=people["community"],
        )
        ids["need"] = need.pk

        if near:
            project, _created = projects.project_submit(
                data=projects.ProposalInput(
                    call_id=call.pk,
                    organization_id=org.pk,
                    region_code=c,
                    title=f"{mark}独居老人助餐项目",
                    summary="为独居老人提供助餐与探访服务。",
                    requested_fen=5_000_000,
                ),
                actor=people["org_staff"],
            )
            ids["project"] = project.pk
            projects.review_submit(project_id=project.pk, actor=reviewer, score=80)
            projects.project_approve(project_id=project.pk, actor=county, approved_fen=5_000_000)
            milestone = projects.milestone_add(
                project_id=project.pk,
                actor=people["org_staff"],
                title=f"{mark}开展助餐服务",
                due_on=timezone.localdate() + timedelta(days=30),
            )
            ids["milestone"] = milestone.pk
            expenditure, _created = projects.expenditure_record(
                project_id=project.pk,
                actor=people["org_staff"],
                spent_on=timezone.localdate(),
                item=f"{mark}餐费",
                amount_fen=100_00,
                attachment=image_accept(png_bytes(), file_name="发票.png"),
            )
            ids["expenditure"] = expenditure.pk
        else:
            # The place's own call, project and scheme, for the lists to show or hide (their
            # ids stay out of `ids`: the matrix calls their operations with 海宁's only).
            _far_listed(place, mark, org.pk, resident, people["org_staff"], root)

        enrolment = visits.enrolment_create(
            resident_id=resident.pk,
            risk_level="high",
            note=f"{mark}独居",
            actor=people["community"],
        )
        ids["enrolment"] = enrolment.pk
        visit, _created = visits.visit_record(
            enrolment_id=enrolment.pk,
            method="home",
            findings=f"{mark}身体尚好",
            actor=people["community"],
        )
        ids["visit"] = visit.pk
        override = visits.override_create(
            region_code=t,
            frequency="weekly",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + timedelta(days=7),
            reason=f"{mark}寒潮",
            actor=root,
        )
        ids["override"] = override.pk
        proposal = proposal_create(region_code=t, actor=people["township"])
        ids["proposal"] = proposal.pk
        line = proposal.lines.first()
        if line is not None:
            ids["proposal_line"] = line.pk
        ids["township"] = t

        ids["region"] = c
        ids["token"] = token_issue(user=people["resident"], name="other")[1].pk

    # Objects that only exist once (county-wide) are the same for inside and outside.
    shared = {
        "call": call.pk,
        "scheme": scheme.pk,
        "county_code": HAINING[:6],
        "year": 2026,
        "import_kind": "residents",
        "indicator": _indicator_code(),
    }
    places["in"].ids.update(shared)

    tokens = {key: token_issue(user=user, name="matrix")[0] for key, user in users.items()}
    # The IN resident's own second token: revoking it is their own business.
    places["in"].ids["token"] = token_issue(user=users["resident"], name="second")[1].pk
    return World(users=users, tokens=tokens, places=places)


def _far_listed(
    place: Place, mark: str, organization_id: int, resident: Any, org_staff: User, root: User
) -> None:
    from wushe.projects import services as projects
    from wushe.timebank import services as timebank
    from wushe.timebank.models import SchemeKind

    county = place.township[:6] + "000000"
    call = projects.call_create(
        data=projects.CallInput(
            region_code=county,
            kind="venture",
            title=f"{mark}2026年公益创投",
            funder="民政局",
            year=2026,
            budget_fen=100_000_000,
            min_reviews=1,
        ),
        actor=root,
    )
    projects.project_submit(
        data=projects.ProposalInput(
            call_id=call.pk,
            organization_id=organization_id,
            region_code=place.community,
            title=f"{mark}独居老人助餐项目",
            summary="为独居老人提供助餐与探访服务。",
            requested_fen=5_000_000,
        ),
        actor=org_staff,
    )
    scheme = timebank.scheme_create(
        region_code=county,
        code=f"m-coin-{place.key}",
        name=f"{mark}时间币",
        kind=SchemeKind.COIN,
        actor=root,
        daily_earn_cap=None,
    )
    timebank.account_for_resident(scheme=scheme, resident=resident)


def _indicator_code() -> str:
    from wushe.indicators.registry import all_indicators

    return all_indicators()[0].code


def tomorrow_at(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))
