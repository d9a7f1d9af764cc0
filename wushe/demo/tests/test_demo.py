import pytest
from django.core.management import call_command
from django.test import Client

from wushe.accounts.models import User
from wushe.accounts.scoping import scope_prefixes
from wushe.demo.services import DEMO_LOGINS
from wushe.regions.models import Region

pytestmark = pytest.mark.django_db


def test_demo_builds_haining_and_the_readme_logins():
    call_command("demo", "load", "--seed", "7")
    haining = Region.objects.filter(code__gte="330481000000", code__lte="330481999999")
    assert haining.filter(level=4).count() == 12
    assert haining.filter(level=5).count() == 236
    expected = {
        "demo_resident": ["330481001007"],
        "demo_community_a": ["330481001007"],
        "demo_community_b": ["330481001003"],
        "demo_township": ["330481001"],
        "demo_county": ["330481"],
        "demo_province": ["33"],
        "demo_auditor": ["330481"],
        "demo_admin": [""],
    }
    for username, prefixes in expected.items():
        user = User.objects.get(username=username)
        assert scope_prefixes(user, roles=[g.role for g in user.grants.all()]) == prefixes
    org_grant = User.objects.get(username="demo_org").grants.get()
    assert org_grant.organization.region_id == "330481001000"
    assert {u for u, *_ in DEMO_LOGINS} <= set(User.objects.values_list("username", flat=True))


def test_demo_is_deterministic_and_idempotent():
    call_command("demo", "load", "--seed", "3")
    snapshot = (
        list(User.objects.order_by("username").values_list("username", "display_name")),
        sorted(User.objects.get(username="demo_org").grants.values_list("organization__name")),
        Region.objects.count(),
    )
    call_command("demo", "load", "--seed", "3")
    assert snapshot == (
        list(User.objects.order_by("username").values_list("username", "display_name")),
        sorted(User.objects.get(username="demo_org").grants.values_list("organization__name")),
        Region.objects.count(),
    )


def test_demo_password_comes_from_the_environment(settings):
    settings.WUSHE = {**settings.WUSHE, "DEMO_PASSWORD": "another-secret-1"}
    call_command("demo", "load")
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "demo_county", "password": "another-secret-1"},
        content_type="application/json",
    )
    assert response.status_code == 200
