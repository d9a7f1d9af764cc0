"""Demo volunteers for Haining (step "volunteers", after "logins"): 8–25 per community ×
scale, with plausible skills, availability and home coordinates near their township's centre,
one team per township, and the demo login `demo_volunteer` linked to 李志愿 of 南关厢社区.

Deterministic for a seed (own RNG, independent of other steps) and idempotent: people are
identified by their generated ID number, so a second run finds them all and writes nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q

from wushe.audit.services import audit_record
from wushe.core.identifiers import id_number_check_char
from wushe.core.personal import id_number_hash, seal_id_number, seal_phone
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from . import availability as slots
from .models import PoliticalStatus, TeamMembership, TeamRole, Volunteer, VolunteerTeam
from .services import VolunteerDraft, volunteer_bulk_write

HAINING = "330481"
NANGUANXIANG = "330481001007"
DEMO_LOGIN = "demo_volunteer"
DEMO_LOGIN_NAME = "李志愿"

# Approximate WGS-84 centres of Haining's 4 streets and 8 towns (seat of each government).
TOWNSHIP_CENTRES: dict[str, tuple[float, float]] = {
    "330481001": (30.5110, 120.6880),  # 硖石街道
    "330481002": (30.5250, 120.6650),  # 海洲街道
    "330481003": (30.5430, 120.7060),  # 海昌街道
    "330481004": (30.4960, 120.6380),  # 马桥街道
    "330481101": (30.4260, 120.4120),  # 许村镇
    "330481103": (30.4580, 120.4900),  # 长安镇
    "330481105": (30.4800, 120.5650),  # 周王庙镇
    "330481106": (30.4410, 120.6560),  # 丁桥镇
    "330481107": (30.5570, 120.6020),  # 斜桥镇
    "330481108": (30.3790, 120.8520),  # 黄湾镇
    "330481110": (30.4130, 120.5480),  # 盐官镇
    "330481112": (30.4350, 120.7880),  # 袁花镇
}
DEFAULT_CENTRE = (30.5000, 120.6800)

SURNAMES = "沈王张陈徐朱钱周吴李陆顾金杨许马蒋孙姚俞费潘胡冯范郑褚贾曹邹"
GIVEN = "建国丽华志明秀英海峰春燕伟强美玲晓东桂芳国平雪梅永康红霞文杰慧敏家豪佳怡子涵雨轩浩然欣悦"
PHONE_PREFIXES = ("133", "135", "137", "138", "139", "151", "157", "158", "177", "186", "189")
POLITICAL_WEIGHTS = (
    (PoliticalStatus.CPC_MEMBER, 30),
    (PoliticalStatus.CYL_MEMBER, 12),
    (PoliticalStatus.MASSES, 50),
    (PoliticalStatus.DEMOCRATIC_PARTY, 2),
    ("", 6),
)
EARLIEST_REGISTRATION = date(2018, 3, 5)
LATEST_REGISTRATION = date(2025, 12, 5)


def _rng(seed: int) -> random.Random:
    return random.Random(f"wushe-demo-volunteers-{seed}")  # noqa: S311 - demo data


def _availability(rng: random.Random, age: int) -> int:
    """Retired people: weekday daytimes; working age: evenings and weekends; young: weekends."""
    if age >= 60:
        days = rng.sample(range(5), rng.randint(2, 5))
        pairs = [(d, p) for d in days for p in (0, 1) if rng.random() < 0.8]
    elif age >= 23:
        pairs = [(d, 2) for d in range(5) if rng.random() < 0.4]
        pairs += [(d, p) for d in (5, 6) for p in (0, 1, 2) if rng.random() < 0.5]
    else:
        pairs = [(d, p) for d in (5, 6) for p in (0, 1) if rng.random() < 0.7]
    return slots.mask_of(pairs) or slots.slot_bit(5, 0)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*pairs, strict=True)
    return str(rng.choices(values, weights=weights)[0])


def _person(
    rng: random.Random, community: str, used: set[str], *, name: str | None = None
) -> dict[str, Any]:
    age = rng.choice((rng.randint(18, 35), rng.randint(36, 59), rng.randint(60, 75)))
    birth = date(2025 - age, 1, 1) + timedelta(days=rng.randrange(365))
    sequence = rng.randrange(1, 999)
    while True:
        body = f"{HAINING}{birth:%Y%m%d}{sequence:03d}"
        if body not in used:
            break
        sequence = (sequence + 1) % 1000 or 1
    used.add(body)
    given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    registered = EARLIEST_REGISTRATION + timedelta(
        days=rng.randrange((LATEST_REGISTRATION - EARLIEST_REGISTRATION).days)
    )
    return {
        "name": name or rng.choice(SURNAMES) + given,
        "id_number": body + id_number_check_char(body),
        "phone": rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}",
        "age": age,
        "community": community,
        "registered_on": registered,
    }


def demo_volunteers(ctx: Any) -> None:
    rng = _rng(ctx.seed)
    communities = list(
        Region.objects.filter(
            level=5, code__gte=f"{HAINING}000000", code__lte=f"{HAINING}999999"
        ).order_by("code")
    )
    if not communities:
        ctx.log.append("volunteers: no Haining communities loaded, skipped")
        return
    skills = list(Term.objects.filter(vocabulary=Vocabulary.SKILL, active=True).order_by("code"))
    used: set[str] = set()
    people: list[dict[str, Any]] = []
    for region in communities:
        count = round(rng.randint(8, 25) * ctx.scale)
        if region.code == NANGUANXIANG:
            count = max(count, 1)
        for index in range(count):
            login_person = region.code == NANGUANXIANG and index == 0
            people.append(
                _person(rng, region.code, used, name=DEMO_LOGIN_NAME if login_person else None)
            )
            people[-1]["login"] = login_person
            # Draw the rest even when a later run skips the person: the stream stays the same.
            person = people[-1]
            centre = TOWNSHIP_CENTRES.get(region.code[:9], DEFAULT_CENTRE)
            person["lat"] = Decimal(f"{centre[0] + rng.uniform(-0.025, 0.025):.6f}")
            person["lng"] = Decimal(f"{centre[1] + rng.uniform(-0.03, 0.03):.6f}")
            person["skills"] = rng.sample(skills, min(len(skills), rng.randint(1, 3)))
            person["availability"] = _availability(rng, person["age"])
            person["political_status"] = _weighted(rng, POLITICAL_WEIGHTS)
            person["in_team"] = rng.random() < 0.4

    teams = _township_teams(ctx, communities)
    hashes = {id_number_hash(p["id_number"]): p for p in people}
    existing = dict(
        Volunteer.objects.filter(county_code=HAINING, id_number_hash__in=list(hashes)).values_list(
            "id_number_hash", "pk"
        )
    )
    login_user = ctx.users.get(DEMO_LOGIN)
    login_taken = login_user is not None and Volunteer.objects.filter(user=login_user).exists()
    drafts: list[VolunteerDraft] = []
    for hash_value, person in hashes.items():
        if hash_value in existing:
            continue
        volunteer = Volunteer(
            name=person["name"],
            registered_on=person["registered_on"],
            availability=person["availability"],
            political_status=person["political_status"],
            latitude=person["lat"],
            longitude=person["lng"],
            coord_source="wgs84",
        )
        volunteer.place(person["community"])
        seal_id_number(volunteer, person["id_number"])
        seal_phone(volunteer, person["phone"])
        if person["login"] and login_user is not None and not login_taken:
            volunteer.user = login_user
        drafts.append(
            VolunteerDraft(
                volunteer=volunteer,
                skills=person["skills"],
                team=teams.get(person["community"][:9]) if person["in_team"] else None,
                consent_given_on=person["registered_on"],
            )
        )
    created, _updated = (
        volunteer_bulk_write(drafts=drafts, actor=None, source="demo") if drafts else (0, 0)
    )
    _link_login(ctx, login_user, hashes)
    _team_leaders(teams)
    ctx.data["volunteer_count"] = len(hashes)
    ctx.log.append(
        f"volunteers: {created} created, {len(hashes) - created} unchanged, {len(teams)} teams"
    )


def _township_teams(ctx: Any, communities: list[Region]) -> dict[str, VolunteerTeam]:
    """One team per township: "<乡镇>志愿服务队"; the 硖石 team is run by the demo
    organisation, so its staff see the members."""
    townships = Region.objects.filter(
        code__in=sorted({c.code[:9] + "000" for c in communities})
    ).order_by("code")
    existing = {
        t.region_id: t
        for t in VolunteerTeam.objects.filter(
            county_code=HAINING, region__in=[t.code for t in townships]
        ).filter(name__endswith="志愿服务队")
    }
    organization = ctx.organizations.get("main")
    new: list[VolunteerTeam] = []
    for township in townships:
        if township.code in existing:
            continue
        team = VolunteerTeam(
            name=f"{township.short_name}志愿服务队",
            description=f"{township.short_name}的社区志愿者队伍，承接邻里互助、助老助残、文明实践等服务。",
            organization=organization
            if organization is not None and township.code == "330481001000"
            else None,
        )
        team.place(township.code)
        new.append(team)
    if new:
        VolunteerTeam.objects.bulk_create(new)
        audit_record(
            action="volunteers.team.bulk_created",
            region_code=f"{HAINING}000000",
            changes={"source": "demo", "created": len(new)},
        )
    teams = VolunteerTeam.objects.filter(
        Q(county_code=HAINING), Q(region__in=[t.code for t in townships])
    ).filter(name__endswith="志愿服务队")
    return {t.region_id[:9]: t for t in teams}


def _link_login(ctx: Any, login_user: Any, hashes: dict[str, dict[str, Any]]) -> None:
    """Link demo_volunteer to 李志愿 when that record exists without a login (a run after the
    login was created later)."""
    if login_user is None or Volunteer.objects.filter(user=login_user).exists():
        return
    target = next((h for h, p in hashes.items() if p["login"]), None)
    if target is None:
        return
    updated = Volunteer.objects.filter(
        county_code=HAINING, id_number_hash=target, user__isnull=True
    ).update(user=login_user)
    if updated:
        audit_record(
            action="volunteers.volunteer.login_linked",
            region_code=NANGUANXIANG,
            changes={"source": "demo", "user": login_user.get_username()},
        )


def _team_leaders(teams: dict[str, VolunteerTeam]) -> None:
    """Each team without a leader gets its longest-serving member as leader."""
    for team in teams.values():
        if team.leader_id is not None:
            continue
        first = (
            TeamMembership.objects.filter(team=team)
            .order_by("joined_on", "volunteer__number")
            .first()
        )
        if first is None:
            continue
        TeamMembership.objects.filter(pk=first.pk).update(role=TeamRole.LEADER)
        VolunteerTeam.objects.filter(pk=team.pk).update(leader=first.volunteer_id)
