"""Demo social workers for Haining, about 150 × scale (some 2 per 10,000 residents): most
registered and in good standing, some with a renewal due within 90 days or overdue, some of
those short of continuing-education hours, a few not yet registered. Eight of the twelve
township stations get at least two resident (驻站) workers, four fewer, so the indicator
"≥ 2 resident social workers per station" has something to say. The demo social worker login
is linked to a resident worker at 硖石街道's station.

Deterministic for a seed (its own random stream) and idempotent: workers are keyed by their
ID-number hash; renewals and education records are written only with a new worker."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from wushe.core.identifiers import id_number_check_char
from wushe.core.personal import id_number_hash, seal_id_number, seal_phone
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.stations.models import ServiceStation, StationKind

from . import registration
from .models import (
    CertificateLevel,
    ContinuingEducation,
    EmploymentStatus,
    RegistrationRenewal,
    SocialWorker,
)
from .services import derive_registration

HAINING = "330481"
XIASHI = "330481001000"
BASE_COUNT = 150
UNDERSTAFFED_STATIONS = 4  # of 12: fewer than two resident workers

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
FEMALE = [
    "晓燕",
    "丽娟",
    "慧敏",
    "静怡",
    "雅琴",
    "秀英",
    "婷婷",
    "佳怡",
    "海燕",
    "梦瑶",
    "晨曦",
    "雪梅",
]
MALE = [
    "建国",
    "志强",
    "海涛",
    "俊杰",
    "文斌",
    "国平",
    "晓东",
    "宇航",
    "浩然",
    "明辉",
    "振华",
    "子轩",
]
PROVIDERS = [
    "浙江省社会工作者协会",
    "嘉兴市社会工作者协会",
    "海宁市民政局",
    "浙江工业大学社会工作系",
]
TOPICS = [
    "社会工作伦理与实务",
    "老年社会工作",
    "儿童保护与困境儿童关爱",
    "社区治理与五社联动",
    "个案管理",
    "小组工作方法",
    "心理危机干预",
    "社会救助政策解读",
]


def person_name(rng: random.Random, female: bool) -> str:
    return rng.choice(SURNAMES) + rng.choice(FEMALE if female else MALE)


def id_number(rng: random.Random, born: date, female: bool) -> str:
    sequence = rng.randrange(0, 998, 2) + (0 if female else 1)
    body = f"{HAINING}{born:%Y%m%d}{sequence:03d}"
    return body + id_number_check_char(body)


@dataclass
class Spec:
    township: str
    region: str
    female: bool
    name: str
    number: str
    phone: str
    level: str
    certificate_date: date
    registered_on: date | None
    renewals: list[date] = field(default_factory=list)
    education: list[tuple[date, Decimal]] = field(default_factory=list)
    station: str = ""  # township code of the station
    resident: bool = False
    community_worker: bool = False
    status: str = EmploymentStatus.ACTIVE


def _education(
    rng: random.Random, start: date, today: date, total: Decimal
) -> list[tuple[date, Decimal]]:
    records: list[tuple[date, Decimal]] = []
    span = max((today - start).days, 1)
    remaining = total
    while remaining > 0:
        hours = min(remaining, Decimal(rng.choice([6, 8, 12, 16, 24])))
        records.append((start + timedelta(days=rng.randrange(span)), hours))
        remaining -= hours
    return records


def _spec(
    rng: random.Random, township: str, communities: list[str], today: date, taken: set[str]
) -> Spec:
    female = rng.random() < 0.7
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(35 * 365))
    number = id_number(rng, born, female)
    while number in taken:
        number = id_number(rng, born, female)
    taken.add(number)
    region = township if rng.random() < 0.5 or not communities else rng.choice(communities)
    level = rng.choices(
        [CertificateLevel.ASSISTANT, CertificateLevel.INTERMEDIATE, CertificateLevel.SENIOR],
        weights=[60, 36, 4],
    )[0]
    phone = f"13{rng.randrange(0, 10)}{rng.randrange(10_000_000, 99_999_999)}"
    story = rng.random()
    required = registration.required_hours(level)
    renewals: list[date] = []
    education: list[tuple[date, Decimal]] = []
    if story < 0.08:  # certified recently, first registration pending (some due, some late)
        certificate_date = today - timedelta(days=rng.randrange(30, 420))
        registered_on = None
    else:
        if story < 0.20:  # renewal due within 90 days
            expires = today + timedelta(days=rng.randrange(0, 91))
        elif story < 0.25:  # overdue
            expires = today - timedelta(days=rng.randrange(1, 200))
        else:
            expires = today + timedelta(days=rng.randrange(91, 1000))
        last = registration.add_years(expires, -registration.REGISTRATION_YEARS)
        periods = rng.choice([0, 0, 1, 1, 2])
        registered_on = registration.add_years(last, -registration.REGISTRATION_YEARS * periods)
        renewals = [
            registration.add_years(registered_on, registration.REGISTRATION_YEARS * k)
            for k in range(1, periods + 1)
        ]
        certificate_date = registered_on - timedelta(days=rng.randrange(20, 330))
        elapsed = Decimal(max((today - last).days, 0)) / Decimal(1095)
        if story < 0.25 and rng.random() < 0.5:  # due or late, and short of hours
            hours = (required * Decimal(str(round(rng.uniform(0.2, 0.8), 3)))).quantize(
                Decimal("1")
            )
        elif story < 0.25:
            hours = required + rng.randrange(0, 20)
        else:
            hours = (
                required
                * min(elapsed * Decimal(str(round(rng.uniform(0.8, 1.3), 3))), Decimal("1.2"))
            ).quantize(Decimal("1"))
        education = _education(rng, last, today, hours)
    return Spec(
        township=township,
        region=region,
        female=female,
        name=person_name(rng, female),
        number=number,
        phone=phone,
        level=level,
        certificate_date=certificate_date,
        registered_on=registered_on,
        renewals=renewals,
        education=education,
        community_worker=region != township and rng.random() < 0.4,
        status=EmploymentStatus.LEFT if rng.random() < 0.05 else EmploymentStatus.ACTIVE,
    )


def demo_social_workers(ctx: Any) -> None:
    rng = random.Random(f"{ctx.seed}:social_workers")  # noqa: S311 - demo data
    today = timezone.localdate()
    low, high = codes.scope_range(HAINING)
    regions = list(
        Region.objects.filter(code__gte=low, code__lte=high, level__in=(4, 5))
        .order_by("code")
        .values_list("code", "level")
    )
    townships = [code for code, level in regions if level == 4]
    communities: dict[str, list[str]] = {t: [] for t in townships}
    for code, level in regions:
        if level == 5:
            communities[code[:9].ljust(12, "0")].append(code)
    count = max(len(townships), round(BASE_COUNT * ctx.scale))
    taken: set[str] = set()
    specs = [
        _spec(
            rng,
            townships[i % len(townships)],
            communities[townships[i % len(townships)]],
            today,
            taken,
        )
        for i in range(count)
    ]
    # The demo social worker login: a resident worker at 硖石街道's station.
    linked = next(s for s in specs if s.township == XIASHI)
    linked.status = EmploymentStatus.ACTIVE
    linked.name = "王" + linked.name[1:]
    # Staff the township stations: most get two or three resident workers, some fewer.
    understaffed = set(rng.sample([t for t in townships if t != XIASHI], UNDERSTAFFED_STATIONS))
    for township in townships:
        target = rng.randrange(0, 2) if township in understaffed else rng.randrange(2, 4)
        for spec in (s for s in specs if s.township == township):
            if spec.status == EmploymentStatus.ACTIVE and target > 0:
                spec.station, spec.resident, target = township, True, target - 1
            elif rng.random() < 0.3:
                spec.station = township

    stations = {
        s.region_id: s.pk
        for s in ServiceStation.objects.filter(
            county_code=HAINING,
            kind=StationKind.SOCIAL_WORK,
            region_id__in=townships,
            name__endswith="社会工作服务站",
        ).only("pk", "region_id")
    }
    employer = ctx.organizations.get("main")
    present = dict(
        SocialWorker.objects.filter(county_code=HAINING).values_list(
            "id_number_hash", "certificate_number"
        )
    )
    used = set(present.values())
    numbers = random.Random(f"{ctx.seed}:certificates")  # noqa: S311 - demo data
    new: list[tuple[SocialWorker, Spec]] = []
    for spec in specs:
        number = f"{spec.certificate_date:%Y}{HAINING}{numbers.randrange(10**6):06d}"
        if id_number_hash(spec.number) in present:
            continue
        while number in used:  # another seed's worker has it
            number = f"{spec.certificate_date:%Y}{HAINING}{numbers.randrange(10**6):06d}"
        used.add(number)
        worker = SocialWorker(
            name=spec.name,
            certificate_level=spec.level,
            certificate_number=number,
            certificate_date=spec.certificate_date,
            registered_on=spec.registered_on,
            station_id=stations.get(spec.station) if spec.station else None,
            resident_at_station=spec.resident and spec.station in stations,
            is_community_worker=spec.community_worker,
            status=spec.status,
            employer=employer if spec.region == XIASHI and not spec.community_worker else None,
        )
        seal_id_number(worker, spec.number)
        seal_phone(worker, spec.phone)
        worker.place(spec.region)
        new.append((worker, spec))
    derive_registration([w for w, _s in new])  # from the first registration; again below
    SocialWorker.objects.bulk_create([w for w, _s in new], batch_size=500)

    renewals: list[RegistrationRenewal] = []
    records: list[ContinuingEducation] = []
    for worker, spec in new:
        for renewed_on in spec.renewals:
            renewal = RegistrationRenewal(social_worker=worker, renewed_on=renewed_on)
            renewal.place(worker.region_id)
            renewals.append(renewal)
        for taken_on, hours in spec.education:
            record = ContinuingEducation(
                social_worker=worker,
                taken_on=taken_on,
                hours=hours,
                provider=rng.choice(PROVIDERS),
                topic=rng.choice(TOPICS),
            )
            record.place(worker.region_id)
            records.append(record)
    RegistrationRenewal.objects.bulk_create(renewals, batch_size=1000)
    ContinuingEducation.objects.bulk_create(records, batch_size=1000)
    workers = [w for w, _s in new]
    derive_registration(workers)
    SocialWorker.objects.bulk_update(
        workers,
        [
            "registration_last_on",
            "registration_expires_on",
            "registration_due_on",
            "education_hours",
        ],
        batch_size=500,
    )

    user = ctx.users.get("demo_socialworker")
    if (
        user is not None
        and not SocialWorker.objects.filter(county_code=HAINING, user=user).exists()
    ):
        SocialWorker.objects.filter(
            county_code=HAINING, id_number_hash=id_number_hash(linked.number), user__isnull=True
        ).update(user=user)
    ctx.log.append(f"social workers: {len(new)} created, {len(specs) - len(new)} unchanged")
