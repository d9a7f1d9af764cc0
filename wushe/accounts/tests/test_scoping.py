"""The one scoping mechanism, for every role: who sees which part of Haining."""

import pytest
from django.test import Client

from wushe.accounts.roles import Role
from wushe.accounts.scoping import get_in_scope, in_scope, scope_filter, scope_prefixes
from wushe.accounts.services import grant_create, grant_revoke
from wushe.audit.models import AuditEvent
from wushe.core.errors import NotFound, ValidationFailed
from wushe.regions.models import Region
from wushe.testing import (
    DONGSHAN,
    HAINING,
    NANGUANXIANG,
    PASSWORD,
    XIASHI,
    bearer_client,
    make_user,
)

pytestmark = pytest.mark.django_db


def haining_communities():
    return Region.objects.filter(level=5, code__gte="330481000000", code__lte="330481999999")


# What each role sees of Haining's 236 communities through the worker scope.
EXPECTED_COMMUNITIES = {
    "resident": 0,
    "volunteer": 0,
    "org_staff": 0,
    "charity_staff": 0,
    "social_worker": 25,  # 硖石街道's communities
    "community_a": 1,
    "community_b": 1,
    "township": 25,
    "county": 236,
    "province": 236,
    "auditor": 236,
    "admin": 236,
}


@pytest.mark.parametrize(("key", "expected"), EXPECTED_COMMUNITIES.items())
def test_worker_scope_per_role(role_users, key, expected):
    visible = scope_filter(haining_communities(), role_users[key], "code")
    assert visible.count() == expected
    if expected == 1:
        assert visible.get().code in {NANGUANXIANG, DONGSHAN}


def test_a_community_worker_never_sees_another_community(role_users):
    a, b = role_users["community_a"], role_users["community_b"]
    assert get_in_scope(Region.objects.all(), a, "code", code=NANGUANXIANG).code == NANGUANXIANG
    with pytest.raises(NotFound):
        get_in_scope(Region.objects.all(), a, "code", code=DONGSHAN)
    with pytest.raises(NotFound):
        get_in_scope(Region.objects.all(), b, "code", code=NANGUANXIANG)


def test_township_sees_all_its_communities_and_nothing_next_door(role_users):
    township = role_users["township"]
    assert in_scope(township, NANGUANXIANG)
    assert in_scope(township, DONGSHAN)
    assert not in_scope(township, "330481002002")  # 海洲社区, 海洲街道
    assert not in_scope(township, HAINING)  # the county above is not inside the township


def test_nested_and_multiple_grants_collapse_to_minimal_ranges(regions):
    user = make_user("multi", Role.COMMUNITY_WORKER, NANGUANXIANG)
    grant_create(user=user, role=Role.TOWNSHIP_OFFICER, region_code=XIASHI)
    grant_create(user=user, role=Role.COMMUNITY_WORKER, region_code="330481002002")
    assert scope_prefixes(user) == ["330481001", "330481002002"]
    assert scope_filter(haining_communities(), user, "code").count() == 26


def test_revoked_grant_no_longer_opens_the_region(regions):
    user = make_user("leaver", Role.COMMUNITY_WORKER, NANGUANXIANG)
    grant = user.grants.get()
    grant_revoke(grant=grant)
    assert not in_scope(user, NANGUANXIANG)
    assert scope_filter(haining_communities(), user, "code").count() == 0
    assert AuditEvent.objects.filter(action="accounts.grant.revoked").count() == 1


@pytest.mark.parametrize(
    ("role", "region", "code"),
    [
        (Role.COMMUNITY_WORKER, XIASHI, "accounts.grant_level_invalid"),
        (Role.TOWNSHIP_OFFICER, NANGUANXIANG, "accounts.grant_level_invalid"),
        (Role.CIVIL_AFFAIRS, XIASHI, "accounts.grant_level_invalid"),
        (Role.COMMUNITY_WORKER, None, "accounts.grant_region_required"),
        (Role.COMMUNITY_WORKER, "330481001999", "region.not_found"),
        (Role.ORG_STAFF, XIASHI, "accounts.grant_organization_required"),
        ("mayor", XIASHI, "accounts.role_invalid"),
    ],
)
def test_grants_that_make_no_sense_are_refused(regions, role, region, code):
    user = make_user("someone")
    with pytest.raises(ValidationFailed) as info:
        grant_create(user=user, role=role, region_code=region)
    assert info.value.code == code
    assert not user.grants.exists()


def test_granting_twice_is_a_no_op(regions):
    user = make_user("twice", Role.COMMUNITY_WORKER, NANGUANXIANG)
    grant_create(user=user, role=Role.COMMUNITY_WORKER, region_code=NANGUANXIANG)
    assert user.grants.count() == 1
    assert AuditEvent.objects.filter(action="accounts.grant.created").count() == 1


# /api/v1/me and the regions API, for every role.
ME_EXPECTED = {
    "resident": ("resident", NANGUANXIANG),
    "volunteer": ("volunteer", NANGUANXIANG),
    "social_worker": ("social_worker", XIASHI),
    "org_staff": ("org_staff", XIASHI),
    "charity_staff": ("charity_staff", HAINING),
    "community_a": ("community_worker", NANGUANXIANG),
    "community_b": ("community_worker", DONGSHAN),
    "township": ("township_officer", XIASHI),
    "county": ("civil_affairs", HAINING),
    "province": ("civil_affairs", "330000000000"),
    "auditor": ("auditor", HAINING),
    "admin": ("admin", None),
}


@pytest.mark.parametrize(("key", "expected"), ME_EXPECTED.items())
def test_me_reports_roles_and_regions(role_users, key, expected):
    role, region = expected
    body = bearer_client(role_users[key]).get("/api/v1/me").json()
    assert body["roles"] == [role]
    grant = body["grants"][0]
    assert (grant["region"] or {}).get("code") == region
    if key == "org_staff":
        assert grant["organization_name"]


@pytest.mark.parametrize(("key", "expected"), EXPECTED_COMMUNITIES.items())
def test_regions_api_marks_in_scope_children_per_role(role_users, key, expected):
    client = bearer_client(role_users[key])
    body = client.get("/api/v1/regions", {"parent": "330481001"}).json()
    assert body["count"] == 25
    flagged = {item["code"] for item in body["items"] if item["in_scope"]}
    if key in {"social_worker", "township", "county", "province", "auditor", "admin"}:
        assert len(flagged) == 25
    elif key in {"resident", "volunteer", "community_a"}:
        assert flagged == {NANGUANXIANG}
    elif key == "community_b":
        assert flagged == {DONGSHAN}
    elif key == "org_staff":
        assert len(flagged) == 25  # the organisation's registering township
    else:  # charity staff in Haining
        assert len(flagged) == 25


def test_session_login_also_reaches_the_api(role_users):
    client = Client()
    client.login(username="u_township", password=PASSWORD)
    assert client.get("/api/v1/me").json()["roles"] == ["township_officer"]
