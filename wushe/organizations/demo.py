"""Demo step "organizations_registry": Haining's social organisations in plausible proportions.

Per community several community social organisations (mostly filed with the township, some
registered with the county, some informal groups), so that some urban communities reach the
§9 target of ≥ 10 and rural ones ≥ 5 while others fall short; a hub organisation in about half
of the urban communities; county-level registered social service agencies (a third of them
social-work agencies, some graded 3A–5A, a few grades expiring soon), associations and two
foundations. The demo's "main" organisation is enriched once.

Deterministic for a seed (its own random stream, so other modules' steps do not shift it) and
idempotent: organisations are found by (region, name) and only missing ones are created. Dates
are relative to the day of the load, so "expiring soon" stays true in a fresh demo."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from wushe.core.identifiers import CREDIT_ALPHABET, credit_code_check_char, org_code_check_char
from wushe.core.personal import seal_phone
from wushe.demo.services import ORG_NAMES
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import (
    Grade,
    LegalStatus,
    Organization,
    OrganizationContact,
    OrgKind,
    add_years,
)
from .services import grade_expiry

COUNTY = "330481000000"
NANGUANXIANG = "330481001007"

# (suffix, org category code, service category codes)
COMMUNITY_ORGS: list[tuple[str, str, list[str]]] = [
    ("邻里互助队", "mutual_aid", ["elderly_care"]),
    ("夕阳红文体队", "culture_sports", ["culture"]),
    ("平安巡防队", "community_affairs", ["environment"]),
    ("睦邻调解工作室", "community_affairs", ["mediation"]),
    ("红色代办服务队", "life_service", ["social_assistance"]),
    ("银龄互助社", "mutual_aid", ["elderly_care"]),
    ("爱心妈妈志愿服务队", "charity", ["child_welfare"]),
    ("书画社", "culture_sports", ["culture"]),
    ("广场舞队", "culture_sports", ["culture", "health"]),
    ("垃圾分类志愿队", "community_affairs", ["environment"]),
    ("健康促进会", "life_service", ["health"]),
    ("四点半课堂", "charity", ["education", "child_welfare"]),
    ("助残服务队", "charity", ["disability"]),
    ("家风文化促进会", "culture_sports", ["culture"]),
    ("心理关爱工作室", "life_service", ["psychological"]),
    ("法律服务志愿队", "charity", ["legal_aid"]),
    ("就业帮扶小组", "mutual_aid", ["employment"]),
    ("乐龄学堂", "culture_sports", ["education", "elderly_care"]),
]
AGENCIES: list[tuple[str, str, list[str], bool]] = [
    # (name part, category, service categories, social-work agency)
    ("善行社会工作服务中心", "charity", ["social_assistance", "psychological"], True),
    ("阳光社会工作服务社", "charity", ["child_welfare", "psychological"], True),
    ("同心社会工作服务中心", "life_service", ["elderly_care", "disability"], True),
    ("乐龄居家养老服务中心", "life_service", ["elderly_care"], False),
    ("青少年成长服务社", "charity", ["child_welfare", "education"], False),
    ("残疾人康复服务中心", "life_service", ["disability", "health"], False),
    ("心理健康服务中心", "life_service", ["psychological"], False),
    ("家庭综合服务中心", "life_service", ["social_assistance", "child_welfare"], True),
    ("社区发展服务中心", "community_affairs", ["environment", "mediation"], False),
    ("助学服务中心", "charity", ["education"], False),
]
ASSOCIATIONS: list[tuple[str, str, list[str], bool]] = [
    ("海宁市社会组织促进会", "community_affairs", ["mediation"], True),
    ("海宁市志愿者协会", "charity", ["social_assistance"], True),
    ("海宁市老年人体育协会", "culture_sports", ["culture", "health"], False),
    ("海宁市社会工作者协会", "community_affairs", ["psychological"], False),
    ("海宁市慈善总会", "charity", ["social_assistance"], False),
    ("海宁市书法家协会", "culture_sports", ["culture"], False),
    ("海宁市调解员协会", "community_affairs", ["mediation", "legal_aid"], False),
]
FOUNDATIONS: list[tuple[str, list[str]]] = [
    ("海宁市社区发展基金会", ["social_assistance", "elderly_care"]),
    ("海宁市潮乡关爱基金会", ["child_welfare", "education"]),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国平红梅兰霞玉萍桂"


@dataclass
class Plan:
    name: str
    region: str
    legal_status: str
    org_kind: str
    category: str
    services: list[str]
    coverage: list[str]
    credit_code: str = ""
    filing_number: str = ""
    is_hub: bool = False
    is_charity: bool = False
    is_social_work_agency: bool = False
    has_party_org: bool = False
    founded_on: date | None = None
    registered_on: date | None = None
    filed_on: date | None = None
    grade: str = ""
    grade_awarded_on: date | None = None
    staff: tuple[int, int, int] = (0, 0, 0)
    address: str = ""
    legal_representative: str = ""
    contact: tuple[str, str] = ("", "")
    extra: dict[str, Any] = field(default_factory=dict)


def demo_credit_code(name: str, org_type: str, county: str = COUNTY[:6]) -> str:
    """A valid civil-affairs credit code (5 + type + county + MJ… organisation code), derived
    from the name so it is the same on every run and unique in practice."""
    digest = hashlib.sha256(name.encode()).digest()
    body = "MJ" + "".join(CREDIT_ALPHABET[b % 31] for b in digest[:6])
    org_code = body + (org_code_check_char(body) or "0")
    head = "5" + org_type + county + org_code
    return head + credit_code_check_char(head)


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    phone = "1" + rng.choice("3578") + "".join(str(rng.randrange(10)) for _ in range(9))
    return name, phone


def _days_ago(today: date, rng: random.Random, low: int, high: int) -> date:
    return today - timedelta(days=rng.randint(low, high))


def _scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale)) if n else 0


def plan_organizations(seed: int, scale: float, today: date) -> list[Plan]:
    rng = random.Random(f"organizations-registry:{seed}")  # noqa: S311 - demo data
    regions = list(
        Region.objects.filter(code__gte="330481000000", code__lte="330481999999", level__gte=4)
        .order_by("code")
        .values_list("code", "short_name", "level", "kind")
    )
    townships = {code: short for code, short, level, _kind in regions if level == 4}
    plans: list[Plan] = []
    filing_seq: dict[str, int] = {}
    for code, short, level, kind in regions:
        if level != 5:
            continue
        township_code = code[:9] + "000"
        township = townships.get(township_code, "")
        urban = kind == Region.Kind.URBAN
        count = _scaled(
            rng.choice([3, 5, 7, 9, 10, 11, 12, 14] if urban else [2, 3, 4, 5, 6, 7]), scale
        )
        picks = rng.sample(range(len(COMMUNITY_ORGS)), min(count, len(COMMUNITY_ORGS)))
        picks += [rng.randrange(len(COMMUNITY_ORGS)) for _ in range(count - len(picks))]
        for index, pick in enumerate(picks):
            suffix, category, services = COMMUNITY_ORGS[pick]
            name = f"{township}{short}{suffix}"
            if index >= len(COMMUNITY_ORGS):
                name += f"（{index // len(COMMUNITY_ORGS) + 1}）"
            roll = rng.random()
            founded = _days_ago(today, rng, 200, 365 * 12)
            plan = Plan(
                name=name,
                region=township_code,
                legal_status=LegalStatus.FILED,
                org_kind=OrgKind.COMMUNITY,
                category=category,
                services=services,
                coverage=[code],
                founded_on=founded,
                staff=(rng.choice((0, 0, 1)), rng.randint(3, 15), 0),
                address=f"{township}{short}党群服务中心",
                has_party_org=rng.random() < 0.3,
                contact=_person(rng),
            )
            if roll < 0.1:
                plan.legal_status = LegalStatus.REGISTERED
                plan.region = COUNTY
                plan.name = f"海宁市{name}"
                plan.credit_code = demo_credit_code(plan.name, "1")
                plan.registered_on = founded
            elif roll < 0.25:
                plan.legal_status = LegalStatus.INFORMAL
                plan.region = code
            else:
                filing_seq[township_code] = filing_seq.get(township_code, 0) + 1
                plan.filing_number = (
                    f"{township}备{founded.year}第{filing_seq[township_code]:03d}号"
                )
                plan.filed_on = founded
            plan.legal_representative = plan.contact[0]
            plans.append(plan)
        if urban and rng.random() < 0.5:
            founded = _days_ago(today, rng, 365, 365 * 6)
            filing_seq[township_code] = filing_seq.get(township_code, 0) + 1
            contact = _person(rng)
            plans.append(
                Plan(
                    name=f"{township}{short}社会组织联合会",
                    region=township_code,
                    legal_status=LegalStatus.FILED,
                    org_kind=OrgKind.COMMUNITY,
                    category="community_affairs",
                    services=["mediation", "social_assistance"],
                    coverage=[code],
                    filing_number=f"{township}备{founded.year}第{filing_seq[township_code]:03d}号",
                    filed_on=founded,
                    founded_on=founded,
                    is_hub=True,
                    has_party_org=True,
                    staff=(1, rng.randint(3, 8), rng.randint(0, 2)),
                    address=f"{township}{short}党群服务中心",
                    legal_representative=contact[0],
                    contact=contact,
                )
            )

    community_codes = [code for code, _s, level, _k in regions if level == 5]
    township_codes = sorted(townships)
    agencies = _scaled(len(AGENCIES) * 3, scale)
    for index in range(agencies):
        part, category, services, social_work = AGENCIES[index % len(AGENCIES)]
        township_code = township_codes[index % len(township_codes)]
        name = f"海宁市{townships[township_code]}{part}"
        if name in ORG_NAMES:  # the skeleton step's candidates for the "main" organisation
            continue
        if index >= len(AGENCIES) * len(township_codes):
            name += f"（{index // (len(AGENCIES) * len(township_codes)) + 1}）"
        registered = _days_ago(today, rng, 300, 365 * 12)
        under = [c for c in community_codes if c.startswith(township_code[:9])]
        plan = Plan(
            name=name,
            region=COUNTY,
            legal_status=LegalStatus.REGISTERED,
            org_kind=OrgKind.SERVICE_AGENCY,
            category=category,
            services=services,
            coverage=sorted(rng.sample(under, min(len(under), rng.randint(2, 6)))),
            credit_code=demo_credit_code(name, "2"),
            is_social_work_agency=social_work,
            has_party_org=rng.random() < 0.6,
            founded_on=registered,
            registered_on=registered,
            staff=(
                rng.randint(4, 30),
                rng.randint(2, 20),
                rng.randint(3, 15) if social_work else rng.randint(0, 3),
            ),
            address=f"海宁市{townships[township_code]}",
            contact=_person(rng),
        )
        plan.legal_representative = _person(rng)[0]
        _maybe_grade(plan, rng, today)
        plans.append(plan)
    for name, category, services, hub in ASSOCIATIONS[: _scaled(len(ASSOCIATIONS), scale)]:
        registered = _days_ago(today, rng, 365 * 3, 365 * 20)
        plan = Plan(
            name=name,
            region=COUNTY,
            legal_status=LegalStatus.REGISTERED,
            org_kind=OrgKind.ASSOCIATION,
            category=category,
            services=services,
            coverage=[],
            credit_code=demo_credit_code(name, "1"),
            is_hub=hub,
            is_charity=name.endswith("慈善总会"),
            has_party_org=True,
            founded_on=registered,
            registered_on=registered,
            staff=(rng.randint(2, 10), rng.randint(2, 10), rng.randint(0, 4)),
            address="海宁市",
            contact=_person(rng),
        )
        plan.legal_representative = _person(rng)[0]
        _maybe_grade(plan, rng, today)
        plans.append(plan)
    for name, services in FOUNDATIONS:
        registered = _days_ago(today, rng, 365 * 3, 365 * 10)
        plan = Plan(
            name=name,
            region=COUNTY,
            legal_status=LegalStatus.REGISTERED,
            org_kind=OrgKind.FOUNDATION,
            category="charity",
            services=services,
            coverage=[],
            credit_code=demo_credit_code(name, "3"),
            is_charity=True,
            founded_on=registered,
            registered_on=registered,
            staff=(rng.randint(2, 6), rng.randint(1, 4), 0),
            address="海宁市",
            contact=_person(rng),
        )
        plan.legal_representative = _person(rng)[0]
        plans.append(plan)
    return plans


def _maybe_grade(plan: Plan, rng: random.Random, today: date) -> None:
    """About half of the eligible registered organisations hold a grade; one in five of those
    expires within 90 days, a few have already expired."""
    assert plan.registered_on is not None
    eligible = add_years(plan.registered_on, 2)
    if eligible > today or rng.random() < 0.5:
        return
    plan.grade = rng.choice([Grade.A3, Grade.A3, Grade.A4, Grade.A4, Grade.A5, Grade.A2])
    roll = rng.random()
    latest = (today - eligible).days
    if roll < 0.2:  # expiring within 90 days
        awarded = add_years(today, -5) + timedelta(days=rng.randint(5, 85))
    elif roll < 0.3:  # expired
        awarded = add_years(today, -5) - timedelta(days=rng.randint(10, 200))
    else:
        awarded = today - timedelta(days=rng.randint(30, 365 * 4))
    if awarded < eligible:
        awarded = today - timedelta(days=rng.randint(0, max(0, min(latest, 365 * 4))))
    plan.grade_awarded_on = awarded


def organizations_registry_demo(ctx: Any) -> None:
    today = timezone.localdate()
    plans = plan_organizations(ctx.seed, ctx.scale, today)
    terms = {
        (t.vocabulary, t.code): t.pk
        for t in Term.objects.filter(
            vocabulary__in=[Vocabulary.ORG_CATEGORY, Vocabulary.SERVICE_CATEGORY]
        )
    }
    existing = set(
        Organization.objects.filter(
            region_id__gte="330481000000", region_id__lte="330481999999"
        ).values_list("region_id", "name")
    )
    taken_codes = set(
        Organization.objects.exclude(credit_code="").values_list("credit_code", flat=True)
    )
    new: list[tuple[Organization, Plan]] = []
    for plan in plans:
        if (plan.region, plan.name) in existing or plan.credit_code in taken_codes:
            continue
        existing.add((plan.region, plan.name))
        if plan.credit_code:
            taken_codes.add(plan.credit_code)
        new.append((_organization(plan, terms), plan))
    Organization.objects.bulk_create([org for org, _plan in new], batch_size=500)
    if new and new[0][0].pk is None:  # backends without RETURNING
        ids = {
            (region, name): pk
            for region, name, pk in Organization.objects.filter(
                name__in=[o.name for o, _p in new]
            ).values_list("region_id", "name", "id")
        }
        for org, _plan in new:
            org.pk = ids[(org.region_id, org.name)]
    _relations(new, terms)
    main = ctx.organizations.get("main")
    if main is not None:
        _enrich_main(main, terms, today, ctx.seed)
    # For later steps (employers, operators): the same lists on every run, not only new rows.
    haining = Organization.objects.filter(
        region_id__gte="330481000000", region_id__lte="330481999999"
    ).order_by("name", "id")
    ctx.data["organizations"] = list(haining.values_list("pk", flat=True))
    ctx.data["social_work_agencies"] = list(
        haining.filter(is_social_work_agency=True, legal_status=LegalStatus.REGISTERED).values_list(
            "pk", flat=True
        )
    )
    ctx.log.append(f"organizations registry: {len(new)} created, {len(plans) - len(new)} present")


def _organization(plan: Plan, terms: dict[tuple[str, str], int]) -> Organization:
    org = Organization(
        name=plan.name,
        region_id=plan.region,
        legal_status=plan.legal_status,
        org_kind=plan.org_kind,
        credit_code=plan.credit_code,
        filing_number=plan.filing_number,
        category_id=terms.get((Vocabulary.ORG_CATEGORY, plan.category)),
        is_hub=plan.is_hub,
        is_charity=plan.is_charity,
        is_social_work_agency=plan.is_social_work_agency,
        has_party_org=plan.has_party_org,
        legal_representative=plan.legal_representative,
        address=plan.address,
        founded_on=plan.founded_on,
        registered_on=plan.registered_on,
        filed_on=plan.filed_on,
        staff_full_time=plan.staff[0],
        staff_part_time=plan.staff[1],
        staff_social_workers=plan.staff[2],
    )
    if plan.grade and plan.grade_awarded_on:
        org.grade = plan.grade
        org.grade_awarded_on = plan.grade_awarded_on
        org.grade_expires_on = grade_expiry(plan.grade_awarded_on)
    return org


def _relations(new: list[tuple[Organization, Plan]], terms: dict[tuple[str, str], int]) -> None:
    coverage = Organization.coverage.through
    services = Organization.service_categories.through
    coverage.objects.bulk_create(
        [coverage(organization_id=o.pk, region_id=c) for o, p in new for c in p.coverage],
        batch_size=1000,
        ignore_conflicts=True,
    )
    services.objects.bulk_create(
        [
            services(organization_id=o.pk, term_id=terms[(Vocabulary.SERVICE_CATEGORY, s)])
            for o, p in new
            for s in p.services
            if (Vocabulary.SERVICE_CATEGORY, s) in terms
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    contacts: list[OrganizationContact] = []
    for org, plan in new:
        name, phone = plan.contact
        if not name:
            continue
        contact = OrganizationContact(organization_id=org.pk, name=name, is_primary=True)
        seal_phone(contact, phone)
        contacts.append(contact)
    OrganizationContact.objects.bulk_create(contacts, batch_size=500)


def _enrich_main(
    main: Organization, terms: dict[tuple[str, str], int], today: date, seed: int
) -> None:
    """The demo org staff's organisation becomes a registered social-work agency serving
    several 硖石 communities (南关厢 among them, 东山 not), graded 4A. Only once: a main
    organisation that already has a credit code is left alone. Its region stays the township:
    the demo's org-staff grant and its tests rely on it."""
    main.refresh_from_db()
    if main.credit_code:
        return
    rng = random.Random(f"organizations-main:{seed}")  # noqa: S311 - demo data
    registered = add_years(today, -6)
    main.legal_status = LegalStatus.REGISTERED
    main.org_kind = OrgKind.SERVICE_AGENCY
    main.credit_code = demo_credit_code(main.name, "2")
    main.registered_on = main.founded_on = registered
    main.is_social_work_agency = True
    main.has_party_org = True
    main.category_id = terms.get((Vocabulary.ORG_CATEGORY, "charity"))
    main.grade = Grade.A4
    main.grade_awarded_on = add_years(today, -2)
    main.grade_expires_on = grade_expiry(main.grade_awarded_on)
    main.legal_representative = _person(rng)[0]
    main.address = "海宁市硖石街道南关厢社区党群服务中心二楼"
    main.staff_full_time, main.staff_part_time, main.staff_social_workers = 12, 6, 8
    main.description = "扎根硖石街道的社会工作服务机构，承接社区养老、困境儿童关爱和社区治理项目。"
    if Organization.objects.filter(credit_code=main.credit_code).exclude(pk=main.pk).exists():
        return
    main.save()
    xiashi = list(
        Region.objects.filter(code__gte="330481001001", code__lte="330481001999")
        .exclude(code="330481001003")  # 东山: kept out, to show scoping
        .order_by("code")
        .values_list("code", flat=True)[:8]
    )
    if NANGUANXIANG not in xiashi:
        xiashi.append(NANGUANXIANG)
    main.coverage.set(list(Region.objects.filter(code__in=xiashi)))
    main.service_categories.set(
        [
            terms[(Vocabulary.SERVICE_CATEGORY, code)]
            for code in ("elderly_care", "child_welfare", "psychological")
            if (Vocabulary.SERVICE_CATEGORY, code) in terms
        ]
    )
    if not main.contacts.exists():
        contact = OrganizationContact(organization=main, name="陈干事", title="项目主管")
        seal_phone(contact, "13857300000")
        contact.save()
