"""Helpers shared by the test suites of every app: demo-shaped users with grants, and the
Haining regions kept present even after transactional tests flush the database."""

from __future__ import annotations

from typing import Any

from django.test import Client

from wushe.accounts.models import User
from wushe.accounts.roles import Role
from wushe.accounts.services import grant_create, token_issue
from wushe.organizations.models import Organization
from wushe.regions.models import Region

HAINING = "330481000000"
XIASHI = "330481001000"
HAIZHOU = "330481002000"
NANGUANXIANG = "330481001007"
DONGSHAN = "330481001003"
ZHEJIANG = "330000000000"
PASSWORD = "correct-horse-battery"  # noqa: S105 - test accounts only

_region_rows: list[dict[str, Any]] = []


def ensure_haining_regions() -> None:
    """Make sure Jiaxing/Haining regions exist. The first call loads them through the real
    loader; later calls (after a flush) re-insert the remembered rows directly."""
    if Region.objects.filter(code=NANGUANXIANG).exists():
        return
    if not _region_rows:
        from wushe.regions.services import regions_load

        regions_load(prefix="330481")
        fields = ("code", "name", "short_name", "level", "kind", "parent_id", "source")
        _region_rows.extend(
            dict(zip(fields, row, strict=True))
            for row in Region.objects.order_by("level", "code").values_list(*fields)
        )
        return
    Region.objects.bulk_create([Region(**row) for row in _region_rows])


def ensure_default_terms() -> None:
    """Make sure the default taxonomy terms (seeded by a migration) exist: transactional tests
    (browser tests) flush the database, migration data included."""
    from wushe.taxonomy.models import Term
    from wushe.taxonomy.seeds import DEFAULT_TERMS

    if Term.objects.exists():
        return
    Term.objects.bulk_create(
        Term(vocabulary=vocabulary, code=code, name=name, name_en=name_en, order=order * 10)
        for vocabulary, rows in DEFAULT_TERMS.items()
        for order, (code, name, name_en) in enumerate(rows, start=1)
    )


def make_user(
    username: str,
    role: str | None = None,
    region: str | None = None,
    *,
    organization: Organization | None = None,
    password: str = PASSWORD,
) -> User:
    user = User.objects.create_user(username=username, password=password, display_name=username)
    if role is not None:
        if role == Role.ORG_STAFF and organization is None:
            assert region is not None
            organization, _ = Organization.objects.get_or_create(
                name=f"{username} 的组织", region_id=region
            )
        grant_create(user=user, role=role, region_code=region, organization=organization)
    return user


# One user per role, placed like the demo logins (role, region).
ROLE_USERS: dict[str, tuple[str, str | None]] = {
    "resident": (Role.RESIDENT, NANGUANXIANG),
    "volunteer": (Role.VOLUNTEER, NANGUANXIANG),
    "social_worker": (Role.SOCIAL_WORKER, XIASHI),
    "org_staff": (Role.ORG_STAFF, XIASHI),
    "charity_staff": (Role.CHARITY_STAFF, HAINING),
    "community_a": (Role.COMMUNITY_WORKER, NANGUANXIANG),
    "community_b": (Role.COMMUNITY_WORKER, DONGSHAN),
    "township": (Role.TOWNSHIP_OFFICER, XIASHI),
    "county": (Role.CIVIL_AFFAIRS, HAINING),
    "province": (Role.CIVIL_AFFAIRS, ZHEJIANG),
    "auditor": (Role.AUDITOR, HAINING),
    "admin": (Role.ADMIN, None),
}


def bearer_client(user: User) -> Client:
    token, _ = token_issue(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")
