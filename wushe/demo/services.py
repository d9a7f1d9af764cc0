"""Demo data for Haining (海宁市, 330481): real division codes, the demo logins, and whatever
each module adds. Deterministic for a seed; running it twice changes nothing.

Modules add their part by appending a step to STEPS (a callable taking the DemoContext)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from wushe.accounts.models import User
from wushe.accounts.roles import Role
from wushe.accounts.services import grant_create, user_create
from wushe.audit.services import audit_record
from wushe.core.conf import setting
from wushe.organizations.models import Organization
from wushe.regions.models import Region
from wushe.regions.services import regions_load

HAINING = "330481"
XIASHI = "330481001000"  # 硖石街道
NANGUANXIANG = "330481001007"  # 南关厢社区
DONGSHAN = "330481001003"  # 东山社区
JIAXING = "330400000000"
ZHEJIANG = "330000000000"

ORG_NAMES = [
    "海宁市硖石街道善行社会工作服务中心",
    "海宁市硖石街道邻里守望志愿服务社",
    "海宁市硖石街道乐龄居家养老服务中心",
    "海宁市硖石街道阳光青少年成长服务社",
]


@dataclass
class DemoContext:
    seed: int
    scale: float
    rng: random.Random
    password: str
    users: dict[str, User] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    # What one module's step leaves for later steps (e.g. "residents": [...]).
    data: dict[str, Any] = field(default_factory=dict)


# (username, display name, role, region code, organisation key)
DEMO_LOGINS: list[tuple[str, str, str, str | None, str | None]] = [
    ("demo_resident", "张阿姨（居民）", Role.RESIDENT, NANGUANXIANG, None),
    ("demo_volunteer", "李志愿（志愿者）", Role.VOLUNTEER, NANGUANXIANG, None),
    ("demo_socialworker", "王社工（硖石街道社工站）", Role.SOCIAL_WORKER, XIASHI, None),
    ("demo_org", "陈干事（社会组织）", Role.ORG_STAFF, XIASHI, "main"),
    ("demo_community_a", "周书记（南关厢社区）", Role.COMMUNITY_WORKER, NANGUANXIANG, None),
    ("demo_community_b", "吴主任（东山社区）", Role.COMMUNITY_WORKER, DONGSHAN, None),
    ("demo_township", "郑科长（硖石街道）", Role.TOWNSHIP_OFFICER, XIASHI, None),
    ("demo_county", "海宁市民政局", Role.CIVIL_AFFAIRS, "330481000000", None),
    ("demo_province", "浙江省民政厅", Role.CIVIL_AFFAIRS, ZHEJIANG, None),
    ("demo_auditor", "审计员（海宁市）", Role.AUDITOR, "330481000000", None),
    ("demo_admin", "系统管理员", Role.ADMIN, None, None),
]


def _load_regions(ctx: DemoContext) -> None:
    # All of Zhejiang: the province dashboard and the region picker need real neighbours.
    report = regions_load(prefix="33")
    ctx.log.append(
        f"regions: {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
    )


def _organizations(ctx: DemoContext) -> None:
    xiashi = Region.objects.get(code=XIASHI)
    name = ORG_NAMES[ctx.rng.randrange(len(ORG_NAMES))]
    org, _created = Organization.objects.get_or_create(region=xiashi, name=name)
    ctx.organizations["main"] = org


def _logins(ctx: DemoContext) -> None:
    for username, display_name, role, region_code, org_key in DEMO_LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(username=username, password=ctx.password, display_name=display_name)
        elif not user.check_password(ctx.password):
            user.set_password(ctx.password)
            user.save(update_fields=["password"])
        if role == Role.ADMIN and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        grant_create(
            user=user,
            role=role,
            region_code=region_code,
            organization=ctx.organizations.get(org_key) if org_key else None,
        )
        ctx.users[username] = user
    ctx.log.append(f"logins: {len(DEMO_LOGINS)} demo accounts, password from WUSHE_DEMO_PASSWORD")


Step = Callable[[DemoContext], None]
STEPS: list[tuple[str, Step]] = [
    ("regions", _load_regions),
    ("organizations", _organizations),
    ("logins", _logins),
]


def register_step(name: str, step: Step, *, after: str | None = None) -> None:
    """Add a module's demo step (call from AppConfig.ready). It runs after the step named
    `after` (default: at the end); registering a name again replaces the step in place."""
    for index, (existing, _step) in enumerate(STEPS):
        if existing == name:
            STEPS[index] = (name, step)
            return
    position = len(STEPS)
    if after is not None:
        names = [existing for existing, _step in STEPS]
        position = names.index(after) + 1 if after in names else len(STEPS)
    STEPS.insert(position, (name, step))


def demo_load(*, seed: int = 1, scale: float = 1.0, actor: Any = None) -> list[str]:
    """Build the Haining demo. Each step is idempotent, so a second run changes nothing."""
    ctx = DemoContext(
        seed=seed,
        scale=scale,
        rng=random.Random(seed),  # noqa: S311 - demo data, not security
        password=setting("DEMO_PASSWORD"),
    )
    with transaction.atomic():
        for _name, step in STEPS:
            step(ctx)
        audit_record(
            action="demo.load.completed",
            actor=actor,
            region_code=HAINING.ljust(12, "0"),
            changes={"seed": seed, "scale": scale},
        )
    return ctx.log
