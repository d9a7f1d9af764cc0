"""Demo service menu for Haining: a menu in every township (the township's social work
station, its volunteer team and social organisations of the county put services on it; the
demo organisation has its own in 硖石街道), and ~800 × scale orders over the past four months,
most delivered and rated, the recent ones still waiting for confirmation or delivery.
`demo_resident` has one order waiting for her rating, one rated and one just placed.

The rows are written with bulk_create (past timelines cannot go through services that stamp
`now`), following the transition table and never exceeding an offering's capacity in a
period. Idempotent: when Haining already has menu offerings the step does nothing."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from wushe.regions.models import Region
from wushe.residents.models import Resident, ResidentStatus, ResidentTag
from wushe.taxonomy.models import Term, Vocabulary

from .models import (
    Audience,
    OrderStatus,
    Period,
    ProviderKind,
    ServiceOffering,
    ServiceOrder,
    period_start,
)

HAINING = "330481"
XIASHI = "330481001000"
BASE_ORDERS = 800

# (provider kind, category, title, description, audience tags, price fen, subsidy fen,
#  capacity, period, schedule)
TEMPLATES: list[tuple[str, str, str, str, list[str], int, int, int, str, str]] = [
    (
        ProviderKind.STATION,
        "psychological",
        "心理疏导上门服务",
        "持证社工上门倾听、疏导情绪，必要时转介专业机构。",
        [],
        0,
        8000,
        8,
        Period.WEEK,
        "每周二、周四下午",
    ),
    (
        ProviderKind.STATION,
        "social_assistance",
        "救助政策咨询与代办",
        "低保、特困、临时救助等政策解读，协助准备申请材料。",
        [],
        0,
        3000,
        20,
        Period.WEEK,
        "工作日上午 9:00–11:30",
    ),
    (
        ProviderKind.TEAM,
        "elderly_care",
        "爱心理发",
        "志愿者上门或在社区服务站为老人理发。",
        [],
        0,
        0,
        15,
        Period.WEEK,
        "每月第一、三个周六上午",
    ),
    (
        ProviderKind.TEAM,
        "environment",
        "小家电义务维修",
        "电饭煲、电风扇、台灯等小家电检修，材料费另计。",
        [],
        0,
        0,
        10,
        Period.WEEK,
        "每周六上午",
    ),
    (
        ProviderKind.ORGANIZATION,
        "elderly_care",
        "独居老人助餐送餐",
        "中餐送餐上门，两荤一素一汤，低保、特困老人全额补贴。",
        ["alone_elder", "empty_nest_elder", "incapacitated_elder"],
        500,
        1000,
        30,
        Period.DAY,
        "每天 11:00 前送达",
    ),
    (
        ProviderKind.ORGANIZATION,
        "elderly_care",
        "上门助浴",
        "专业护理员上门助浴，含防滑垫、助浴椅。",
        ["incapacitated_elder", "alone_elder", "disabled"],
        2000,
        6000,
        6,
        Period.WEEK,
        "预约后安排",
    ),
    (
        ProviderKind.ORGANIZATION,
        "child_welfare",
        "四点半课堂",
        "放学后作业辅导与兴趣活动，优先留守儿童、困境儿童。",
        [],
        0,
        2000,
        25,
        Period.DAY,
        "工作日 16:30–18:00",
    ),
    (
        ProviderKind.ORGANIZATION,
        "health",
        "家庭医生上门量血压",
        "社区医生上门测量血压、血糖，提供用药提醒。",
        [],
        0,
        1500,
        20,
        Period.MONTH,
        "每月中旬",
    ),
]
RATING_WEIGHTS = [(5, 50), (4, 30), (3, 12), (2, 5), (1, 3)]
COMMENTS = {
    5: ["服务很细心，谢谢！", "非常满意，下次还点。", "态度很好，准时上门。"],
    4: ["挺好的。", "服务不错，时间可以再灵活些。"],
    3: ["一般，等的时间有点长。", "还可以。"],
    2: ["迟到了半小时。", "服务时间太短。"],
    1: ["没有按约定时间来。"],
}


def demo_menu(ctx: Any) -> None:
    if ServiceOffering.objects.filter(county_code=HAINING).exists():
        ctx.log.append("menu: demo menu already present")
        return
    rng = random.Random(f"menu-{ctx.seed}")  # noqa: S311 - demo data, not security
    offerings = _offerings(ctx, rng)
    if not offerings:
        return
    orders = _orders(ctx, rng, offerings)
    ctx.log.append(f"menu: {len(offerings)} offerings, {len(orders)} orders")


def _offerings(ctx: Any, rng: random.Random) -> list[ServiceOffering]:
    from wushe.organizations.models import Organization
    from wushe.stations.models import ServiceStation, StationKind
    from wushe.volunteers.models import VolunteerTeam

    terms = {t.code: t for t in Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY)}
    townships = list(
        Region.objects.filter(code__gte=f"{HAINING}000000", code__lte=f"{HAINING}999999", level=4)
        .order_by("code")
        .values_list("code", "short_name")
    )
    stations = {
        s.region_id: s
        for s in ServiceStation.objects.filter(county_code=HAINING, kind=StationKind.SOCIAL_WORK)
    }
    teams = {
        t.region_id: t
        for t in VolunteerTeam.objects.filter(county_code=HAINING, name__endswith="志愿服务队")
    }
    main = ctx.organizations.get("main")
    orgs = list(
        Organization.objects.filter(
            region_id__gte=f"{HAINING}000000", region_id__lte=f"{HAINING}999999"
        ).order_by("pk")[:200]
    )
    if main is not None:
        orgs = [o for o in orgs if o.pk != main.pk]
    author = ctx.users.get("demo_township")
    made: list[ServiceOffering] = []
    for township, short in townships:
        for kind, cat, title, text, tags, price, subsidy, cap, period, when in TEMPLATES:
            if cat not in terms:
                continue
            offering = ServiceOffering(
                provider_kind=kind,
                category=terms[cat],
                title=title,
                description=text,
                audience=Audience.TAGGED if tags else Audience.EVERYONE,
                eligible_tags=tags,
                price_fen=price,
                subsidy_fen=subsidy,
                capacity=cap,
                period=period,
                schedule=when,
                location=f"{short}社区服务中心" if kind != ProviderKind.ORGANIZATION else "",
                created_by=author,
                created_at=timezone.now() - timedelta(days=150),
            )
            if kind == ProviderKind.STATION:
                if township not in stations:
                    continue
                offering.station = stations[township]
            elif kind == ProviderKind.TEAM:
                if township not in teams:
                    continue
                offering.team = teams[township]
            else:
                # The demo organisation serves 硖石; elsewhere a county organisation.
                if township == XIASHI and main is not None:
                    offering.organization = main
                elif orgs:
                    offering.organization = rng.choice(orgs)
                else:
                    continue
            offering.place(township)
            made.append(offering)
    return ServiceOffering.objects.bulk_create(made, batch_size=500)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _orders(ctx: Any, rng: random.Random, offerings: list[ServiceOffering]) -> list[ServiceOrder]:
    residents = list(
        Resident.objects.filter(county_code=HAINING, status=ResidentStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "region_id")[:30000]
    )
    if not residents:
        return []
    by_township: dict[str, list[tuple[int, str]]] = {}
    for pk, region in residents:
        by_township.setdefault(region[:9] + "000", []).append((pk, region))
    tagged: dict[str, set[int]] = {}
    for pk, tag in ResidentTag.objects.filter(
        county_code=HAINING, end_date__isnull=True
    ).values_list("resident_id", "tag"):
        tagged.setdefault(tag, set()).add(pk)
    today = timezone.localdate()
    users = ctx.users
    staff = users.get("demo_org")
    taken: Counter[tuple[int, date]] = Counter()
    orders: list[ServiceOrder] = []
    ratings, weights = zip(*RATING_WEIGHTS, strict=True)
    count = max(40, int(BASE_ORDERS * ctx.scale))
    for _n in range(count):
        offering = rng.choice(offerings)
        pool = by_township.get(offering.region_id)
        if not pool:
            continue
        if offering.audience == Audience.TAGGED:
            allowed = set().union(*(tagged.get(t, set()) for t in offering.eligible_tags))
            candidates = [r for r in pool if r[0] in allowed]
            if not candidates:
                continue
            resident, region = rng.choice(candidates)
        else:
            resident, region = rng.choice(pool)
        placed_day = today - timedelta(days=rng.randint(0, 120))
        service_date = placed_day + timedelta(days=rng.randint(0, 5))
        start = period_start(offering.period, service_date)
        if taken[(offering.pk, start)] >= offering.capacity:
            continue
        order = _order(offering, resident, region, placed_day, service_date, start)
        _walk(rng, order, today, ratings, weights, staff)
        if order.status not in (OrderStatus.CANCELLED, OrderStatus.DECLINED):
            taken[(offering.pk, start)] += 1
        orders.append(order)
    orders.extend(_demo_resident_orders(ctx, offerings, today, taken))
    return ServiceOrder.objects.bulk_create(orders, batch_size=1000)


def _order(
    offering: ServiceOffering,
    resident: int,
    region: str,
    placed_day: date,
    service_date: date,
    start: date,
) -> ServiceOrder:
    order = ServiceOrder(
        offering=offering,
        resident_id=resident,
        service_date=service_date,
        period_start=start,
        price_fen=offering.price_fen,
        subsidy_fen=offering.subsidy_fen,
        placed_at=_at(placed_day, 9),
    )
    order.place(region)
    return order


def _walk(
    rng: random.Random,
    order: ServiceOrder,
    today: date,
    ratings: tuple[int, ...],
    weights: tuple[int, ...],
    staff: Any,
) -> None:
    """Move a demo order along the transition table as far as its dates allow."""
    if order.service_date >= today:
        step = rng.choice(["placed", "confirmed", "scheduled"])
    else:
        step = rng.choices(["rated", "delivered", "cancelled", "declined"], weights=[80, 10, 6, 4])[
            0
        ]
    if step in ("cancelled", "declined"):
        order.status = OrderStatus(step)
        order.cancelled_at = order.placed_at + timedelta(hours=5)
        order.status_reason = "居民临时有事" if step == "cancelled" else "本期人手不足"
        return
    if step == "placed":
        return
    order.status = OrderStatus.CONFIRMED
    order.confirmed_at = order.placed_at + timedelta(hours=3)
    if step == "confirmed":
        return
    order.status = OrderStatus.SCHEDULED
    order.scheduled_for = _at(order.service_date, rng.choice([9, 10, 14, 15]))
    if step == "scheduled":
        return
    order.status = OrderStatus.DELIVERED
    order.delivered_at = order.scheduled_for + timedelta(hours=1)
    order.delivered_by = staff
    order.delivery_note = "已按约定完成服务。"
    if step == "delivered":
        return
    order.status = OrderStatus.RATED
    order.rating = rng.choices(ratings, weights=weights)[0]
    order.rating_comment = rng.choice(COMMENTS[order.rating])
    order.rated_at = order.delivered_at + timedelta(hours=rng.randint(2, 48))


def _demo_resident_orders(
    ctx: Any,
    offerings: list[ServiceOffering],
    today: date,
    taken: Counter[tuple[int, date]],
) -> list[ServiceOrder]:
    """张阿姨: one order waiting for her rating, one rated, one just placed."""
    resident_id = (ctx.data.get("residents") or {}).get("demo_resident")
    user = ctx.users.get("demo_resident")
    if resident_id is None or user is None:
        return []
    region = Resident.objects.filter(pk=resident_id).values_list("region_id", flat=True).first()
    if region is None:
        return []
    own = [
        o
        for o in offerings
        if o.region_id == region[:9] + "000" and o.audience == Audience.EVERYONE
    ]
    if len(own) < 2:
        return []
    made: list[ServiceOrder] = []
    plans = [
        (own[0], today - timedelta(days=20), "rated"),
        (own[1], today - timedelta(days=3), "delivered"),
        (own[-1], today, "placed"),
    ]
    staff = ctx.users.get("demo_org")
    for offering, placed_day, state in plans:
        service_date = placed_day + timedelta(days=1)
        start = period_start(offering.period, service_date)
        if taken[(offering.pk, start)] >= offering.capacity:
            continue
        taken[(offering.pk, start)] += 1
        order = _order(offering, resident_id, region, placed_day, service_date, start)
        order.ordered_by = user
        if state != "placed":
            order.status = OrderStatus.CONFIRMED
            order.confirmed_at = order.placed_at + timedelta(hours=2)
            order.scheduled_for = _at(service_date, 10)
            delivered_at = _at(service_date, 11)
            order.delivered_at = delivered_at
            order.delivered_by = staff
            order.delivery_note = "已按约定完成服务。"
            order.status = OrderStatus.DELIVERED
        if state == "rated":
            order.status = OrderStatus.RATED
            order.rating = 5
            order.rating_comment = "社工很耐心，谢谢！"
            order.rated_at = _at(service_date, 14)
        made.append(order)
    return made
