"""Demo step "timebank": Haining's time bank and volunteer service.

- schemes: 海宁时间币 (coins, county rules) and 海宁公益积分 (points, gifts to anyone) with
  an exchange rate coin → points (1 coin = 10 points);
- 硖石街道: each community has six monthly activities over the past half year; its
  volunteers attend some of them; the records are bulk-written as submitted, then verified
  through `record_verify` (which credits the coins through the ledger, caps applied);
- a few volunteers have service hours from before the time bank (verified records, no coins)
  and so one to three stars;
- some volunteers exchange coins for points, give points to another volunteer, donate coins
  to their community pool and redeem points at their township's charity store.
Value moves only through the time-bank services, so `wushe timebank verify` passes.
Idempotent: a second run finds the marker activity and changes nothing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from wushe.regions.models import Region
from wushe.timebank import services as tb
from wushe.timebank.models import Scheme, SchemeKind
from wushe.volunteers.models import Volunteer

from . import services
from .models import Activity, RecordStatus, ServiceRecord

HAINING = "330481"
XIASHI = "330481001000"
NANGUANXIANG = "330481001007"
MARKER = "【示范】"
TITLES = [
    "敬老院助餐",
    "社区环境清洁",
    "老年人智能手机课堂",
    "儿童课后托管",
    "义诊量血压",
    "垃圾分类宣传",
]
MONTHS = 6


def _scheme(code: str, **fields: Any) -> Scheme:
    found = Scheme.objects.filter(code=code).first()
    if found is not None:
        return found
    return tb.scheme_create(region_code=HAINING + "000000", code=code, actor=None, **fields)


def demo_timebank(ctx: Any) -> None:
    if Activity.objects.filter(county_code=HAINING, title__startswith=MARKER).exists():
        ctx.log.append("timebank: already loaded, unchanged")
        return
    organiser = ctx.users.get("demo_community_a") or ctx.users.get("demo_township")
    worker = ctx.users.get("demo_county") or organiser
    if organiser is None:
        ctx.log.append("timebank: no demo logins, skipped")
        return
    rng = random.Random(ctx.seed * 7919 + 6)  # noqa: S311 - demo data
    coin = _scheme("hn-coin", name="海宁时间币", kind=SchemeKind.COIN)
    points = _scheme(
        "hn-points",
        name="海宁公益积分",
        kind=SchemeKind.POINTS,
        earn_per_hour=10,
        daily_earn_cap=None,
        storage_cap=None,
        redeem_min_age=0,
        gift_policy="anyone",
    )
    if not coin.rates_out.filter(target=points).exists():
        tb.rate_set(source=coin, target=points, numerator=10, denominator=60, actor=worker)

    communities = list(
        Region.objects.filter(level=5, code__startswith=XIASHI[:9]).order_by("code")[:6]
    )
    if not any(c.code == NANGUANXIANG for c in communities):
        communities += list(Region.objects.filter(code=NANGUANXIANG))
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    activities: list[Activity] = []
    for community in communities:
        for month in range(MONTHS, 0, -1):
            start = today - timedelta(days=30 * month - rng.randint(0, 10))
            activity = Activity(
                title=f"{MARKER}{community.name}{rng.choice(TITLES)}",
                description="社区志愿服务活动（示范数据）",
                organiser=organiser,
                starts_at=start,
                ends_at=start + timedelta(hours=4),
            )
            activity.place(community.code)
            activities.append(activity)
        # One activity per community running now, open to sign-up and to the QR codes.
        running = timezone.localtime(now).replace(second=0, microsecond=0) - timedelta(minutes=30)
        upcoming = Activity(
            title=f"{MARKER}{community.name}{rng.choice(TITLES)}（进行中）",
            description="扫码签到、签退的示范活动",
            organiser=organiser,
            starts_at=running,
            ends_at=running + timedelta(hours=8),
        )
        upcoming.place(community.code)
        activities.append(upcoming)
    Activity.objects.bulk_create(activities)
    by_region: dict[str, list[Activity]] = {}
    for activity in Activity.objects.filter(
        county_code=HAINING, title__startswith=MARKER, ends_at__lt=now
    ).order_by("starts_at"):
        by_region.setdefault(activity.region_id, []).append(activity)

    volunteers = list(
        Volunteer.objects.filter(region_id__in=list(by_region)).order_by("region_id", "pk")
    )
    records: list[ServiceRecord] = []
    for volunteer in volunteers:
        for activity in by_region[volunteer.region_id]:
            if volunteer.user_id is None and rng.random() < 0.5:
                continue
            start = activity.starts_at + timedelta(minutes=rng.choice([0, 5, 10, 15]))
            travel = rng.choice([0, 10, 20])
            minutes = rng.choice([60, 90, 120, 150, 180])
            record = ServiceRecord(
                activity=activity,
                volunteer=volunteer,
                signed_in_at=start,
                signed_out_at=start + timedelta(minutes=minutes + travel),
                travel_minutes=travel,
                minutes=minutes,
                content=activity.title.removeprefix(MARKER),
            )
            record.place(activity.region_id)
            records.append(record)
    ServiceRecord.objects.bulk_create(records, batch_size=1000)
    created = list(
        ServiceRecord.objects.filter(
            county_code=HAINING, activity__title__startswith=MARKER
        ).select_related("activity", "volunteer")
    )
    for record in created:
        services.record_verify(record=record, actor=organiser)

    # Hours from before the time bank: verified records without coins; a few stars.
    veterans = volunteers[:: max(1, len(volunteers) // 4)][:4]
    old: list[ServiceRecord] = []
    old_activity = by_region[volunteers[0].region_id][0] if volunteers else None
    for n, volunteer in enumerate(veterans):
        if old_activity is None:
            break
        hours = (120, 320, 650, 1020)[n % 4]
        start = timezone.make_aware(datetime(2022, 3, 1, 8, 0))
        record = ServiceRecord(
            activity=old_activity,
            volunteer=volunteer,
            signed_in_at=start,
            signed_out_at=start + timedelta(hours=hours),
            minutes=hours * 60,
            content="时间银行上线前的累计服务（纸质台账转录）",
            status=RecordStatus.VERIFIED,
            verified_by=worker,
            verified_at=now,
        )
        record.place(old_activity.region_id)
        old.append(record)
    ServiceRecord.objects.bulk_create(old)
    for record in old:
        services._add_minutes(record.volunteer_id, record.minutes)

    # Value moving between accounts, each through its service.
    moved = 0
    accounts = list(coin.accounts.filter(kind="person").select_related("balance", "scheme"))
    rng.shuffle(accounts)
    point_accounts = []
    for account in accounts[: max(6, len(accounts) // 3)]:
        balance = account.balance.amount
        if balance < 120 or account.volunteer is None:
            continue
        target = tb.account_for_volunteer(scheme=points, volunteer=account.volunteer)
        tb.coins_exchange(source=account, target=target, amount=60, actor=worker, nested=True)
        tb.coins_donate(source=account, amount=30, actor=worker, nested=True)
        point_accounts.append(target)
        moved += 2
    login = ctx.users.get("demo_volunteer")
    mine = Volunteer.objects.filter(user=login).first() if login is not None else None
    if mine is not None:
        running_here = Activity.objects.filter(
            region_id=mine.region_id, title__startswith=MARKER, ends_at__gt=now
        ).first()
        if running_here is not None:
            services.signup_create(activity=running_here, volunteer=mine, actor=login)
        own = tb.account_for_volunteer(scheme=coin, volunteer=mine)
        own.balance.refresh_from_db()
        if own.balance.amount >= 120:
            target = tb.account_for_volunteer(scheme=points, volunteer=mine)
            tb.coins_exchange(source=own, target=target, amount=120, actor=worker, nested=True)
            point_accounts.append(target)
            moved += 1
    from wushe.charity.models import StoreItem

    for n, account in enumerate(point_accounts):
        if n % 3 == 1 and n >= 1:
            tb.coins_gift(
                source=account,
                target=point_accounts[n - 1],
                amount=2,
                actor=worker,
                memo="互助",
                nested=True,
            )
            moved += 1
        if n % 2 == 0 and account.volunteer is not None and account.volunteer.user_id is None:
            item = (
                StoreItem.objects.filter(
                    store__region_id__in=[account.region_id, account.region_id[:9] + "000"],
                    active=True,
                    stock__gt=1,
                    points_price__lte=8,
                )
                .order_by("points_price", "pk")
                .first()
            )
            if item is not None:
                tb.coins_redeem(
                    source=account, store_item=item, quantity=1, actor=worker, nested=True
                )
                moved += 1
    ctx.log.append(
        f"timebank: {len(activities)} activities, {len(created)} verified records, "
        f"{len(old)} veterans, {moved} transfers"
    )
