"""Demo visits for Haining: everyone the default rules enrol, enrolled a year ago, and a
year of visits up to today, with a story for the dashboard: most communities visit as the
plan says; a few fall behind (one town in particular, 长安镇, slipping in the summer and
catching up in the autumn; two urban communities, 东山 and 联塘, that never quite manage
it), and a cold-wave override over 硖石街道 this week.

Deterministic for a seed (the dates follow the day the demo is loaded). Written with
bulk_create in one pass; a second run changes nothing."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from wushe.audit.services import audit_record
from wushe.demo.services import DONGSHAN, NANGUANXIANG, XIASHI

from . import periods
from .models import (
    Enrolment,
    EnrolmentSource,
    Frequency,
    Method,
    Situation,
    Visit,
    VisitorKind,
    WeatherOverride,
)
from .services import _group_of, _qualifying

HAINING = "330481"
CHANGAN = "330481103"  # 长安镇: behind in the summer months
# Two urban communities that stay behind the whole year (东山 is demo_community_b's).
ALWAYS_BEHIND = {DONGSHAN, "330481002004"}
VISITOR_NAMES = ["网格员小沈", "网格员小顾", "社工小陆", "志愿者老姚", "社区干部小钱"]
FINDINGS = [
    "身体状况良好，生活能自理。",
    "血压偏高，提醒按时服药。",
    "家中电线老化，已告知社区安排检修。",
    "情绪较好，子女每周来电。",
    "行动不便，需要助餐服务。",
    "孩子学习正常，监护人在家。",
]


def _diligence(region: str, month_index: int) -> float:
    """Probability that a due visit happens, by community and month (0 = a year ago)."""
    if region in ALWAYS_BEHIND:
        return 0.62
    if region.startswith(CHANGAN):
        # Good in winter and spring, slipping in the summer, recovering in the autumn.
        return 0.97 if month_index < 5 else (0.7 if month_index < 9 else 0.9)
    return 0.985


def _at(rng: random.Random, day: date) -> datetime:
    moment = time(rng.randint(8, 19), rng.choice((0, 10, 20, 30, 40, 50)))
    return timezone.make_aware(datetime.combine(day, moment))


def demo_visits(ctx: Any) -> None:
    if Visit.objects.filter(county_code=HAINING).exists():
        ctx.log.append("visits: already loaded")
        return
    rng = random.Random(ctx.seed * 7919 + 8)  # noqa: S311 - demo data
    today = timezone.localdate()
    start = periods.month_start(today.replace(year=today.year - 1))
    wanted = _qualifying(HAINING, today)
    users = ctx.users
    visitors_by_region = {
        NANGUANXIANG: [users.get("demo_community_a"), users.get("demo_volunteer")],
        DONGSHAN: [users.get("demo_community_b")],
    }
    social_worker = users.get("demo_socialworker")
    existing = set(
        Enrolment.objects.filter(county_code=HAINING, ended_on__isnull=True).values_list(
            "resident_id", flat=True
        )
    )
    enrolments: list[Enrolment] = []
    frequency_of = {
        "high": Frequency.WEEKLY,
        "medium": Frequency.MONTHLY,
        "low": Frequency.QUARTERLY,
    }
    for resident_id, (region, risk, tags) in sorted(wanted.items()):
        if resident_id in existing:
            continue
        row = Enrolment(
            resident_id=resident_id,
            group=_group_of(tags),
            tags=tags,
            risk_level=risk,
            frequency=frequency_of[risk],
            source=EnrolmentSource.RULE,
            enrolled_on=start,
        )
        row.place(region)
        candidates = [u for u in visitors_by_region.get(region, []) if u is not None]
        if candidates:
            row.visitor = candidates[len(enrolments) % len(candidates)]
            row.visitor_kind = (
                VisitorKind.VOLUNTEER
                if row.visitor.username == "demo_volunteer"
                else VisitorKind.COMMUNITY_WORKER
            )
        elif social_worker is not None and region.startswith(XIASHI[:9]) and rng.random() < 0.3:
            row.visitor = social_worker
            row.visitor_kind = VisitorKind.SOCIAL_WORKER
        enrolments.append(row)
    Enrolment.objects.bulk_create(enrolments, batch_size=2000)

    visits: list[Visit] = []
    for enrolment in enrolments:
        label = (
            (enrolment.visitor.display_name or enrolment.visitor.username)
            if enrolment.visitor
            else VISITOR_NAMES[enrolment.resident_id % len(VISITOR_NAMES)]
        )
        for day in _due_days(enrolment.frequency, start, today, rng):
            month_index = (day.year - start.year) * 12 + day.month - start.month
            if rng.random() > _diligence(enrolment.region_id, month_index):
                continue
            situation = Situation.NORMAL if rng.random() < 0.9 else Situation.ATTENTION
            visit = Visit(
                enrolment=enrolment,
                visitor=enrolment.visitor,
                visitor_label=label,
                visited_at=_at(rng, day),
                visited_on=day,
                method=rng.choices((Method.HOME, Method.PHONE, Method.VIDEO), (60, 32, 8))[0],
                situation=situation,
                findings=rng.choice(FINDINGS)
                if situation != Situation.NORMAL or rng.random() < 0.4
                else "",
            )
            visit.place(enrolment.region_id)
            visits.append(visit)
    Visit.objects.bulk_create(visits, batch_size=5000)
    Enrolment.objects.filter(county_code=HAINING).update(
        last_visited_on=Subquery(
            Visit.objects.filter(enrolment=OuterRef("pk"))
            .order_by()
            .values("enrolment")
            .annotate(last=Max("visited_on"))
            .values("last")[:1]
        )
    )
    # A cold wave over 硖石街道 this week: its monthly people are due weekly until it passes.
    if not WeatherOverride.objects.filter(region_id=XIASHI).exists():
        override = WeatherOverride(
            frequency=Frequency.WEEKLY,
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=5),
            reason="寒潮预警",
            created_by=users.get("demo_township"),
        )
        override.place(XIASHI)
        override.save()
    if enrolments:
        audit_record(
            action="visits.demo.loaded",
            region_code=f"{HAINING}000000",
            changes={"enrolments": len(enrolments), "visits": len(visits)},
        )
    ctx.log.append(f"visits: {len(enrolments)} enrolments, {len(visits)} visits created")


def _due_days(frequency: str, start: date, today: date, rng: random.Random) -> list[date]:
    """One planned visit day per period of the frequency from `start` to today (weekly: one
    per week; monthly: one per month; quarterly: one per quarter), at a random day in it."""
    days: list[date] = []
    cursor = periods.period_start(frequency, start)
    if frequency == Frequency.WEEKLY:
        # A weekly visitor keeps a weekday (every month has at least four of each).
        day = cursor + timedelta(days=rng.randint(0, 4))
        while day <= today:
            if day >= start:
                days.append(day)
            day += timedelta(days=7)
        return days
    while cursor <= today:
        end = periods.period_end(frequency, cursor)
        span = (min(end, today) - max(cursor, start)).days
        if span >= 0:
            day = max(cursor, start) + timedelta(days=rng.randint(0, span))
            # The current period is still open: only half of it is done yet.
            if end < today or rng.random() < 0.5:
                days.append(day)
        cursor = end + timedelta(days=1)
    return days
