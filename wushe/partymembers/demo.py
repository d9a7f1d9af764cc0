"""Demo party members reporting to Haining's communities: 3–10 per community × scale, from
the units of a county town (hospital, schools, bureaus, banks, the power company), offering
help in a few request categories. About one in ten check-ins has ended.

Deterministic for a seed (its own random stream) and idempotent: check-ins are keyed by the
member's ID-number hash; terms are written only with a new check-in."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from wushe.core.identifiers import id_number_check_char
from wushe.core.personal import id_number_hash, seal_id_number, seal_phone
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import CheckinCategory, CheckinSkill, CheckinStatus, PartyMemberCheckin

HAINING = "330481"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘沈"
FEMALE = ["丽华", "美琴", "秀兰", "晓红", "玉芬", "雪琴", "佳慧", "亚萍", "春燕", "婷"]
MALE = ["卫东", "建华", "国强", "伟", "立新", "志刚", "勇", "永明", "海峰", "军"]
UNITS = [
    ("海宁市人民医院", "海宁市人民医院党委"),
    ("海宁市中医院", "海宁市中医院党总支"),
    ("海宁市教育局", "海宁市教育局机关党委"),
    ("海宁市实验小学", "海宁市实验小学党支部"),
    ("海宁市高级中学", "海宁市高级中学党委"),
    ("国网海宁市供电公司", "国网海宁市供电公司党委"),
    ("海宁市市场监督管理局", "海宁市市场监督管理局机关党委"),
    ("海宁市公安局", "海宁市公安局党委"),
    ("中国农业银行海宁支行", "中国农业银行海宁支行党委"),
    ("海宁市民政局", "海宁市民政局机关党支部"),
    ("海宁市住房和城乡建设局", "海宁市住房和城乡建设局机关党委"),
    ("海宁市司法局", "海宁市司法局机关党支部"),
]


def _id_number(rng: random.Random, born: date, female: bool) -> str:
    sequence = rng.randrange(0, 998, 2) + (0 if female else 1)
    body = f"{HAINING}{born:%Y%m%d}{sequence:03d}"
    return body + id_number_check_char(body)


def demo_party_members(ctx: Any) -> None:
    rng = random.Random(f"{ctx.seed}:party_members")  # noqa: S311 - demo data
    today = timezone.localdate()
    low, high = codes.scope_range(HAINING)
    communities = list(
        Region.objects.filter(code__gte=low, code__lte=high, level=5)
        .order_by("code")
        .values_list("code", flat=True)
    )
    categories = list(Term.objects.filter(vocabulary=Vocabulary.REQUEST_CATEGORY).order_by("code"))
    skills = list(Term.objects.filter(vocabulary=Vocabulary.SKILL).order_by("code"))
    specs: list[dict[str, Any]] = []
    taken: set[str] = set()
    for community in communities:
        for _n in range(round(rng.randint(3, 10) * ctx.scale)):
            female = rng.random() < 0.45
            born = date(1965, 1, 1) + timedelta(days=rng.randrange(35 * 365))
            number = _id_number(rng, born, female)
            while number in taken:
                number = _id_number(rng, born, female)
            taken.add(number)
            unit, party = rng.choice(UNITS)
            reported = today - timedelta(days=rng.randrange(10, 3 * 365))
            ended = rng.random() < 0.1
            specs.append(
                {
                    "region": community,
                    "number": number,
                    "name": rng.choice(SURNAMES) + rng.choice(FEMALE if female else MALE),
                    "phone": f"13{rng.randrange(0, 10)}{rng.randrange(10_000_000, 99_999_999)}",
                    "unit": unit,
                    "party": party,
                    "reported": reported,
                    "ended": reported + timedelta(days=rng.randrange(1, (today - reported).days))
                    if ended
                    else None,
                    "categories": rng.sample(categories, k=min(len(categories), rng.randint(1, 3))),
                    "skills": rng.sample(skills, k=min(len(skills), rng.randint(0, 2))),
                }
            )

    existing = set(
        PartyMemberCheckin.objects.filter(county_code=HAINING).values_list(
            "id_number_hash", flat=True
        )
    )
    new: list[tuple[PartyMemberCheckin, dict[str, Any]]] = []
    for spec in specs:
        if id_number_hash(spec["number"]) in existing:
            continue
        checkin = PartyMemberCheckin(
            name=spec["name"],
            work_unit=spec["unit"],
            party_organization=spec["party"],
            reported_on=spec["reported"],
            status=CheckinStatus.ENDED if spec["ended"] else CheckinStatus.ACTIVE,
            ended_on=spec["ended"],
        )
        seal_id_number(checkin, spec["number"])
        seal_phone(checkin, spec["phone"])
        checkin.place(spec["region"])
        new.append((checkin, spec))
    PartyMemberCheckin.objects.bulk_create([c for c, _s in new], batch_size=1000)
    CheckinCategory.objects.bulk_create(
        [
            CheckinCategory(checkin=c, term=t, county_code=c.county_code)
            for c, s in new
            for t in s["categories"]
        ],
        batch_size=2000,
    )
    CheckinSkill.objects.bulk_create(
        [
            CheckinSkill(checkin=c, term=t, county_code=c.county_code)
            for c, s in new
            for t in s["skills"]
        ],
        batch_size=2000,
    )
    ctx.log.append(f"party members: {len(new)} created, {len(specs) - len(new)} unchanged")
