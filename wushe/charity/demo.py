"""Demo charity resources for Haining: the county community foundation and a helping-the-elderly
fund, micro-funds in some townships, a few dozen donors, a year of donations and a charity store
(爱心超市) per township with its goods.

Deterministic for a seed (own random stream, so other steps do not shift it; dates count back
from today) and idempotent: the plan is drawn in full every run, and only rows that are missing
are written, in bulk. Written directly, not through the services: demo data is the platform's
own (no actor), and one audit event for the whole load is written by `demo_load`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from wushe.core.identifiers import credit_code_check_char, org_code_check_char
from wushe.core.personal import seal_phone
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import (
    CharityFund,
    CharityStore,
    Donation,
    DonationKind,
    Donor,
    DonorKind,
    FundKind,
    FundPurpose,
    StoreItem,
)

HAINING = "330481000000"
XIASHI = "330481001000"
NANGUANXIANG = "330481001007"
COUNTY = HAINING[:6]
RECEIPT_PREFIX = "HNJZ"  # 海宁捐赠: every demo donation's receipt number starts with it

FOUNDATION = "海宁市社区发展基金会"
ELDERLY_FUND = "海宁市“幸福颐养”助老专项基金"

ENTERPRISE_WORDS = [
    "宏达",
    "恒丰",
    "金诚",
    "天晟",
    "华翔",
    "瑞丰",
    "永利",
    "鑫源",
    "振兴",
    "联丰",
    "锦程",
    "盛泰",
    "嘉禾",
    "新亚",
    "海悦",
    "润华",
    "长风",
    "百川",
    "东升",
    "万顺",
    "德信",
    "荣盛",
    "明珠",
    "安澜",
]
INDUSTRIES = ["皮革", "经编", "家纺", "纺织", "服饰", "光电", "汽配", "食品", "建材", "电器"]
SURNAMES = ["沈", "朱", "陈", "王", "张", "徐", "钱", "许", "周", "吴", "金", "陆", "蒋", "俞"]
GIVEN_NAMES = [
    "建国",
    "丽华",
    "国强",
    "美芳",
    "志明",
    "秀英",
    "海峰",
    "晓燕",
    "卫东",
    "雪梅",
    "伟民",
    "月琴",
    "永康",
    "佩芬",
    "文龙",
    "巧玲",
]

# (name, unit, points price, value of one unit in fen)
GOODS = [
    ("大米 5kg", "袋", 120, 3_500),
    ("食用油 5L", "桶", 150, 6_990),
    ("洗衣液 2kg", "瓶", 60, 2_990),
    ("毛巾", "条", 20, 1_200),
    ("牙膏", "支", 15, 890),
    ("香皂", "块", 10, 450),
    ("卷纸（10卷）", "提", 40, 2_290),
    ("挂面 1kg", "包", 25, 990),
    ("酱油 500ml", "瓶", 18, 850),
    ("保温杯", "个", 80, 4_500),
    ("雨伞", "把", 50, 2_500),
    ("洗洁精", "瓶", 25, 1_090),
]
MONEY_PURPOSES = ["elderly_care", "child_welfare", "social_assistance", "disability"]


@dataclass
class _DonationPlan:
    fund: str  # fund name, or "" for goods straight to a store
    store_region: str
    donor: str
    kind: str
    amount_fen: int = 0
    goods: str = ""
    quantity: int = 0
    unit: str = ""
    value_fen: int = 0
    purpose: str = ""
    received_on: date = date(2000, 1, 1)


def _credit_code(rng: random.Random) -> str:
    """A well-formed unified social credit code of a Haining enterprise (工商 9, 企业 1)."""
    body = "".join(rng.choice("0123456789ABCDEFGH") for _ in range(8))
    org_code = body + (org_code_check_char(body) or "0")
    first17 = "91" + COUNTY + org_code
    return first17 + credit_code_check_char(first17)


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "135", "136", "150", "158", "187", "189"]) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def charity_demo(ctx: Any) -> None:
    rng = random.Random(f"charity:{ctx.seed}")  # noqa: S311 - demo data, not security
    scale = max(float(ctx.scale), 0.1)
    today = timezone.localdate()
    townships = list(
        Region.objects.filter(
            level=Region.Level.TOWNSHIP, code__gte=HAINING, code__lte="330481999999"
        ).order_by("code")
    )
    if not townships:
        return
    terms = {t.code: t for t in Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY)}

    # --- plan: everything drawn from rng, whatever already exists -----------------------------
    # 硖石街道 always has one, so the demo township login finds a fund of its own.
    others = [t for t in townships if t.code != XIASHI]
    micro_townships = [t for t in townships if t.code == XIASHI] + rng.sample(
        others, k=min(4, len(others))
    )
    micro_townships.sort(key=lambda r: r.code)
    fund_plans: list[tuple[str, str, str, date, str, list[str]]] = [
        (
            HAINING,
            FundKind.FOUNDATION,
            FOUNDATION,
            date(2019, 6, 18),
            "用于社区养老服务、儿童关爱、困难群众帮扶和助残服务。",
            list(MONEY_PURPOSES),
        ),
        (
            HAINING,
            FundKind.SPECIAL,
            ELDERLY_FUND,
            date(2021, 9, 1),
            "专项用于独居、空巢、高龄老人的助餐、助洁和探访关爱。",
            ["elderly_care"],
        ),
    ]
    for township in micro_townships:
        fund_plans.append(
            (
                township.code,
                FundKind.MICRO,
                f"{township.name}社区微基金",
                date(2022, 3, 1) + timedelta(days=rng.randrange(0, 400)),
                "",
                [],
            )
        )

    n_enterprises = max(4, round(22 * scale))
    n_persons = max(4, round(16 * scale))
    words = rng.sample(ENTERPRISE_WORDS, k=min(n_enterprises, len(ENTERPRISE_WORDS)))
    donor_plans: list[dict[str, Any]] = []
    for index in range(n_enterprises):
        word = words[index % len(words)] + ("" if index < len(words) else str(index))
        donor_plans.append(
            {
                "kind": DonorKind.ENTERPRISE,
                "name": f"海宁{word}{rng.choice(INDUSTRIES)}有限公司",
                "region": HAINING,
                "credit_code": _credit_code(rng),
                "contact_name": rng.choice(SURNAMES) + rng.choice(["经理", "总", "主任"]),
                "phone": _phone(rng),
                "anonymous": rng.random() < 0.1,
            }
        )
    person_names: set[str] = set()
    while len(person_names) < n_persons:
        person_names.add(rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES))
    for name in sorted(person_names):
        donor_plans.append(
            {
                "kind": DonorKind.PERSON,
                "name": name,
                "region": rng.choice(townships).code,
                "credit_code": "",
                "contact_name": "",
                "phone": _phone(rng),
                "anonymous": rng.random() < 0.25,
            }
        )
    unique: dict[str, dict[str, Any]] = {}
    for donor_plan in donor_plans:
        unique.setdefault(donor_plan["name"], donor_plan)
    donor_plans = list(unique.values())

    micro_by_township = {
        code: name for code, kind, name, *_ in fund_plans if kind == FundKind.MICRO
    }
    donation_plans: list[_DonationPlan] = []

    def day() -> date:
        return today - timedelta(days=rng.randrange(1, 366))

    for donor in donor_plans:
        if donor["kind"] == DonorKind.ENTERPRISE:
            for _gift in range(rng.randint(1, 3)):
                fund = FOUNDATION if rng.random() < 0.75 else ELDERLY_FUND
                purpose = "elderly_care" if fund == ELDERLY_FUND else ""
                if fund == FOUNDATION and rng.random() < 0.4:
                    purpose = rng.choice(MONEY_PURPOSES)
                donation_plans.append(
                    _DonationPlan(
                        fund=fund,
                        store_region="",
                        donor=donor["name"],
                        kind=DonationKind.MONEY,
                        amount_fen=rng.randrange(20, 300) * 100 * 100,  # ¥2,000–¥29,900
                        purpose=purpose,
                        received_on=day(),
                    )
                )
        else:
            for _gift in range(rng.randint(1, 2)):
                micro = micro_by_township.get(donor["region"][:9] + "000")
                fund = micro if micro and rng.random() < 0.6 else FOUNDATION
                donation_plans.append(
                    _DonationPlan(
                        fund=fund,
                        store_region="",
                        donor=donor["name"],
                        kind=DonationKind.MONEY,
                        amount_fen=rng.choice([100, 200, 500, 800, 1000, 2000, 3000]) * 100,
                        received_on=day(),
                    )
                )
    for township in micro_townships:
        for _gift in range(rng.randint(3, 8)):
            donation_plans.append(
                _DonationPlan(
                    fund=micro_by_township[township.code],
                    store_region="",
                    donor=rng.choice(donor_plans)["name"],
                    kind=DonationKind.MONEY,
                    amount_fen=rng.randrange(2, 50) * 100 * 100,  # ¥200–¥4,900
                    received_on=day(),
                )
            )
    for township in townships:
        for _gift in range(rng.randint(1, 2)):
            goods, unit, _points, unit_value = rng.choice(GOODS)
            quantity = rng.randrange(20, 120)
            donation_plans.append(
                _DonationPlan(
                    fund="",
                    store_region=township.code,
                    donor=rng.choice(donor_plans)["name"],
                    kind=DonationKind.GOODS,
                    goods=goods,
                    quantity=quantity,
                    unit=unit,
                    value_fen=quantity * unit_value,
                    received_on=day(),
                )
            )
    donation_plans.sort(key=lambda plan: (plan.received_on, plan.donor, plan.amount_fen))

    # A store in every township, and one community store (南关厢) so that the demo community
    # workers have one to keep (and 东山's worker one they cannot see).
    store_regions = townships + list(Region.objects.filter(code=NANGUANXIANG))
    store_plans: list[tuple[Region, list[tuple[str, str, int, int]]]] = []
    for township in store_regions:
        picked = sorted(rng.sample(range(len(GOODS)), k=rng.randint(7, 10)))
        store_plans.append(
            (
                township,
                [(GOODS[i][0], GOODS[i][1], GOODS[i][2], rng.randrange(5, 60)) for i in picked],
            )
        )

    # --- write what is missing -------------------------------------------------------------
    org = ctx.organizations.get("main") if hasattr(ctx, "organizations") else None
    funds: dict[str, CharityFund] = {}
    for region_code, kind, name, opened_on, purpose_text, purpose_codes in fund_plans:
        fund_row, created = CharityFund.objects.get_or_create(
            county_code=COUNTY,
            region_id=region_code,
            name=name,
            defaults={
                "kind": kind,
                "opened_on": opened_on,
                "purpose_text": purpose_text,
                "public": True,
                "managing_org": org
                if org is not None and kind == FundKind.MICRO and org.region_id == region_code
                else None,
            },
        )
        if created:
            FundPurpose.objects.bulk_create(
                FundPurpose(fund=fund_row, term=terms[code], county_code=COUNTY)
                for code in purpose_codes
                if code in terms
            )
        funds[name] = fund_row

    existing_donors = {d.name: d for d in Donor.objects.filter(county_code=COUNTY)}
    new_donors = []
    for donor_plan in donor_plans:
        if donor_plan["name"] in existing_donors:
            continue
        donor_row = Donor(
            kind=donor_plan["kind"],
            name=donor_plan["name"],
            credit_code=donor_plan["credit_code"],
            contact_name=donor_plan["contact_name"],
            anonymous=donor_plan["anonymous"],
        )
        donor_row.place(donor_plan["region"])
        seal_phone(donor_row, donor_plan["phone"])
        new_donors.append(donor_row)
    Donor.objects.bulk_create(new_donors)
    donors = {d.name: d for d in Donor.objects.filter(county_code=COUNTY)}

    stores: dict[str, CharityStore] = {}
    for township, _items in store_plans:
        store, _created = CharityStore.objects.get_or_create(
            county_code=COUNTY,
            region_id=township.code,
            name=f"{township.name}爱心超市",
            defaults={
                "address": f"{township.name}"
                + (
                    "便民服务中心一楼"
                    if township.level == Region.Level.TOWNSHIP
                    else "党群服务中心"
                ),
                "opening_hours": "每周二、周五 9:00–11:30，14:00–16:30",
                "operator": org if org is not None and org.region_id == township.code else None,
            },
        )
        stores[township.code] = store

    if not Donation.objects.filter(
        county_code=COUNTY, receipt_no__startswith=RECEIPT_PREFIX
    ).exists():
        rows = []
        for number, plan in enumerate(donation_plans, start=1):
            row = Donation(
                fund=funds[plan.fund] if plan.fund else None,
                store=stores[plan.store_region] if plan.store_region else None,
                donor=donors[plan.donor],
                kind=plan.kind,
                amount_fen=plan.amount_fen,
                goods_description=plan.goods,
                quantity=plan.quantity,
                unit=plan.unit,
                estimated_value_fen=plan.value_fen,
                received_on=plan.received_on,
                receipt_no=f"{RECEIPT_PREFIX}{plan.received_on:%Y}{number:05d}",
                purpose=terms.get(plan.purpose) if plan.purpose else None,
                recorded_at=timezone.make_aware(
                    datetime.combine(plan.received_on, time(9, 0)) + timedelta(minutes=number)
                ),
            )
            row.place(funds[plan.fund].region_id if plan.fund else plan.store_region)
            rows.append(row)
        Donation.objects.bulk_create(rows)
        # One entered twice by mistake and corrected by a reversing entry, as the ledger does.
        twice = next((r for r in rows if r.kind == DonationKind.MONEY and r.fund), None)
        if twice is not None:
            duplicate = Donation(
                fund=twice.fund,
                donor=twice.donor,
                kind=twice.kind,
                amount_fen=twice.amount_fen,
                received_on=twice.received_on,
                receipt_no=f"{RECEIPT_PREFIX}{twice.received_on:%Y}99999",
                note="重复登记",
                recorded_at=twice.recorded_at + timedelta(minutes=1),
            )
            duplicate.place(twice.region_id)
            duplicate.save()
            reversal = Donation(
                fund=twice.fund,
                donor=twice.donor,
                kind=twice.kind,
                amount_fen=-twice.amount_fen,
                received_on=twice.received_on,
                reverses=duplicate,
                note="同一笔捐赠重复登记，冲正",
                recorded_at=twice.recorded_at + timedelta(minutes=2),
            )
            reversal.place(twice.region_id)
            reversal.save()

    goods_sources = {
        (d.store_id, d.goods_description): d
        for d in Donation.objects.filter(
            county_code=COUNTY, kind=DonationKind.GOODS, store__isnull=False
        ).order_by("received_on", "id")
    }
    existing_items = set(
        StoreItem.objects.filter(county_code=COUNTY).values_list("store_id", "name")
    )
    new_items = []
    for township, items in store_plans:
        store = stores[township.code]
        for name, unit, points, stock in items:
            if (store.pk, name) in existing_items:
                continue
            item = StoreItem(
                store=store,
                name=name,
                unit=unit,
                points_price=points,
                stock=stock,
                source_donation=goods_sources.get((store.pk, name)),
            )
            item.place(store.region_id)
            new_items.append(item)
    StoreItem.objects.bulk_create(new_items)

    ctx.data["charity"] = {
        "funds": [f.pk for f in funds.values()],
        "stores": [s.pk for s in stores.values()],
    }
    ctx.log.append(
        f"charity: {len(funds)} funds, {len(donors)} donors, "
        f"{Donation.objects.filter(county_code=COUNTY).count()} donations, "
        f"{len(stores)} stores, {len(new_items)} store items added"
    )
