"""Service stations: kind/level rules, scope per role through the API and the pages, staff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wushe.accounts.roles import Role
from wushe.audit.models import AuditEvent
from wushe.core.errors import ValidationFailed
from wushe.organizations.models import Organization
from wushe.stations.models import ServiceStation, StationKind
from wushe.stations.services import station_create
from wushe.testing import (
    DONGSHAN,
    HAINING,
    HAIZHOU,
    NANGUANXIANG,
    PASSWORD,
    XIASHI,
    bearer_client,
    make_user,
)

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def make_station(actor, kind=StationKind.VOLUNTEER, region=NANGUANXIANG, name=None, **extra):
    return station_create(
        actor=actor,
        kind=kind,
        name=name or f"{kind}-{region}",
        region_code=region,
        **extra,
    )


@pytest.fixture
def stations(role_users):
    admin = role_users["admin"]
    return {
        "xiashi": make_station(admin, StationKind.SOCIAL_WORK, XIASHI, "硖石街道社会工作服务站"),
        "haizhou": make_station(admin, StationKind.SOCIAL_WORK, HAIZHOU, "海洲街道社会工作服务站"),
        "ngx": make_station(admin, StationKind.VOLUNTEER, NANGUANXIANG, "南关厢社区志愿服务站点"),
        "dongshan": make_station(admin, StationKind.VOLUNTEER, DONGSHAN, "东山社区志愿服务站点"),
    }


@pytest.mark.parametrize(
    ("kind", "region", "ok"),
    [
        (StationKind.SOCIAL_WORK, XIASHI, True),
        (StationKind.SOCIAL_WORK, NANGUANXIANG, False),  # a 社工站 serves a township
        (StationKind.SOCIAL_WORK, HAINING, False),
        (StationKind.VOLUNTEER, NANGUANXIANG, True),
        (StationKind.VOLUNTEER, XIASHI, False),  # a volunteer post is in a community
        (StationKind.INCUBATOR, HAINING, True),
        (StationKind.INCUBATOR, XIASHI, True),
        (StationKind.INCUBATOR, NANGUANXIANG, False),
        (StationKind.PARTY_SERVICE, HAINING, True),
        (StationKind.PARTY_SERVICE, XIASHI, True),
        (StationKind.PARTY_SERVICE, NANGUANXIANG, True),
    ],
)
def test_the_region_level_must_fit_the_kind(role_users, kind, region, ok):
    if ok:
        assert make_station(role_users["admin"], kind, region).region_id == region
    else:
        with pytest.raises(ValidationFailed) as info:
            make_station(role_users["admin"], kind, region)
        assert info.value.code == "station.region.level"
        assert "region" in info.value.fields


def test_api_refuses_a_township_station_in_a_community_with_the_rule_named(role_users):
    response = bearer_client(role_users["township"]).post(
        "/api/v1/stations",
        {"kind": "social_work", "name": "错放的社工站", "region": NANGUANXIANG},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "station.region.level"
    assert "乡级" in body["fields"]["region"][0]


def test_community_worker_creates_in_own_community_only(role_users):
    client = bearer_client(role_users["community_b"])
    ok = client.post(
        "/api/v1/stations",
        {
            "kind": "volunteer",
            "name": "东山社区志愿服务站点",
            "region": DONGSHAN,
            "service_area_m2": "45.50",
            "phone": "0573-87001234",
            "opened_on": "2024-05-01",
        },
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    data = ok.json()
    assert data["kind_label"] == "志愿服务站点"
    assert data["region"]["code"] == DONGSHAN
    assert data["service_area_m2"] == "45.50"
    assert data["county_code"] == "330481"
    assert AuditEvent.objects.filter(
        action="stations.station.created", target_id=str(data["id"]), region_code=DONGSHAN
    ).exists()
    outside = client.post(
        "/api/v1/stations",
        {"kind": "volunteer", "name": "别人的站点", "region": NANGUANXIANG},
        content_type="application/json",
    )
    assert outside.status_code == 422
    assert outside.json()["code"] == "station.region.out_of_scope"


def test_scope_per_role_on_list_and_detail(role_users, stations):
    def listed(key):
        response = bearer_client(role_users[key]).get("/api/v1/stations?limit=100")
        return response.status_code, {s["name"] for s in response.json().get("items", [])}

    status, names = listed("community_b")
    assert status == 200 and names == {"东山社区志愿服务站点"}
    status, names = listed("township")
    assert names == {"硖石街道社会工作服务站", "南关厢社区志愿服务站点", "东山社区志愿服务站点"}
    assert len(listed("county")[1]) == 4
    assert len(listed("auditor")[1]) == 4
    assert listed("resident")[0] == 403
    assert listed("volunteer")[0] == 403
    # Outside the scope a station does not exist.
    ngx = stations["ngx"].pk
    assert (
        bearer_client(role_users["community_b"]).get(f"/api/v1/stations/{ngx}").status_code == 404
    )
    assert (
        bearer_client(role_users["community_a"]).get(f"/api/v1/stations/{ngx}").status_code == 200
    )
    assert bearer_client(role_users["resident"]).get(f"/api/v1/stations/{ngx}").status_code == 404


def test_auditor_reads_but_cannot_write(role_users, stations):
    client = bearer_client(role_users["auditor"])
    station = stations["ngx"]
    assert client.get(f"/api/v1/stations/{station.pk}").status_code == 200
    patch = client.patch(
        f"/api/v1/stations/{station.pk}", {"name": "改名"}, content_type="application/json"
    )
    assert patch.status_code == 403
    create = client.post(
        "/api/v1/stations",
        {"kind": "volunteer", "name": "新站点", "region": NANGUANXIANG},
        content_type="application/json",
    )
    assert create.status_code == 403
    station.refresh_from_db()
    assert station.name == "南关厢社区志愿服务站点"


def test_patch_changes_fields_and_rechecks_the_level(role_users, stations):
    client = bearer_client(role_users["township"])
    station = stations["ngx"]
    ok = client.patch(
        f"/api/v1/stations/{station.pk}",
        {"address": "南关厢小区 8 幢", "service_area_m2": "60"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["address"] == "南关厢小区 8 幢"
    event = AuditEvent.objects.get(action="stations.station.updated", target_id=str(station.pk))
    assert event.changes == {"address": "南关厢小区 8 幢", "service_area_m2": "60.00"}
    bad = client.patch(
        f"/api/v1/stations/{station.pk}",
        {"kind": "social_work"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "station.region.level"
    readonly = client.patch(
        f"/api/v1/stations/{station.pk}", {"county_code": "110101"}, content_type="application/json"
    )
    assert readonly.status_code == 200  # unknown keys are not part of the schema: ignored
    station.refresh_from_db()
    assert station.county_code == "330481"


def test_a_station_past_its_closing_day_is_not_active(role_users):
    yesterday = timezone.localdate() - timedelta(days=1)
    station = make_station(
        role_users["admin"], opened_on=date(2020, 1, 1), closed_on=yesterday, active=True
    )
    assert station.active is False
    with pytest.raises(ValidationFailed) as info:
        make_station(
            role_users["admin"],
            name="倒序",
            opened_on=date(2024, 1, 1),
            closed_on=date(2023, 1, 1),
        )
    assert info.value.code == "station.closed_on.before_opened"


def test_same_name_twice_in_a_region_is_refused(role_users, stations):
    with pytest.raises(ValidationFailed) as info:
        make_station(
            role_users["admin"], StationKind.VOLUNTEER, NANGUANXIANG, "南关厢社区志愿服务站点"
        )
    assert info.value.code == "station.name.duplicate"


def test_org_staff_see_the_stations_their_organisation_operates(role_users, regions):
    org = Organization.objects.create(name="善行社工中心", region_id=XIASHI)
    staff = make_user("u_org_operator", Role.ORG_STAFF, XIASHI, organization=org)
    operated = make_station(
        role_users["admin"], StationKind.SOCIAL_WORK, XIASHI, "运营的社工站", operator_id=org.pk
    )
    other = make_station(role_users["admin"], StationKind.VOLUNTEER, DONGSHAN, "别的站点")
    client = bearer_client(staff)
    names = {s["name"] for s in client.get("/api/v1/stations").json()["items"]}
    assert names == {"运营的社工站"}
    assert (
        client.get(f"/api/v1/stations/{operated.pk}").json()["operator"]["name"] == "善行社工中心"
    )
    assert client.get(f"/api/v1/stations/{other.pk}").status_code == 404
    # Seeing is not changing.
    patch = client.patch(
        f"/api/v1/stations/{operated.pk}", {"name": "x"}, content_type="application/json"
    )
    assert patch.status_code == 403


def test_pages_list_detail_create_edit(role_users, stations):
    township = signed_in(role_users["township"])
    html = township.get("/stations/").content.decode()
    assert "服务站点" in html and "硖石街道社会工作服务站" in html
    assert "驻站社工不足 2 人" in html  # no resident social workers yet
    assert "海洲街道社会工作服务站" not in html
    filtered = township.get("/stations/?kind=volunteer", HTTP_HX_REQUEST="true").content.decode()
    assert "南关厢社区志愿服务站点" in filtered and "硖石街道社会工作服务站" not in filtered
    detail = township.get(f"/stations/{stations['xiashi'].pk}/").content.decode()
    assert "工作人员" in detail and "在职社会工作者 0 人" in detail
    assert township.get(f"/stations/{stations['haizhou'].pk}/").status_code == 404

    response = township.post(
        "/stations/new/",
        {
            "kind": "party_service",
            "name": "硖石街道党群服务中心",
            "region": "330481001",
            "active": "on",
        },
    )
    created = ServiceStation.objects.get(name="硖石街道党群服务中心")
    assert response.status_code == 302 and response["Location"] == f"/stations/{created.pk}/"
    assert created.region_id == XIASHI
    bad = township.post(
        "/stations/new/", {"kind": "volunteer", "name": "放错层级", "region": XIASHI}
    )
    assert bad.status_code == 200
    assert "志愿服务站点应设在村级区划" in bad.content.decode()

    edit = township.post(
        f"/stations/{created.pk}/edit/",
        {
            "kind": "party_service",
            "name": "硖石街道党群服务中心",
            "region": XIASHI,
            "address": "新址",
        },
    )
    assert edit.status_code == 302
    created.refresh_from_db()
    assert created.address == "新址" and created.active is False  # the box was left unticked

    assert 'href="/stations/"' in township.get("/").content.decode()
    assert 'href="/stations/"' not in signed_in(role_users["resident"]).get("/").content.decode()
    auditor = signed_in(role_users["auditor"])
    assert auditor.get("/stations/").status_code == 200
    assert auditor.get("/stations/new/").status_code == 403
    assert auditor.get(f"/stations/{created.pk}/edit/").status_code == 403
    assert signed_in(role_users["resident"]).get("/stations/").status_code == 403
    assert signed_in(role_users["community_b"]).get(f"/stations/{created.pk}/").status_code == 404
