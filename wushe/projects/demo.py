"""Demo projects for Haining, in the spirit of the seed's "厢里乡亲·七彩社区" venture-philanthropy
round (308 projects, ¥2.57M+, 40.9% community governance): this year's round with a few dozen
projects (hundreds of thousands of yuan in total), a government purchase list paid from
social-assistance funds within the 2% share, a review panel, reviews, expenditures, activities
and a few closed and evaluated projects.

Deterministic for a seed (own random stream) and idempotent: nothing is written when the
round already exists. Written directly in bulk, not through the services: demo data is the
platform's own; the sums cached on projects are computed from the rows written with them."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from wushe.accounts.models import User
from wushe.accounts.services import user_create
from wushe.organizations.models import Organization
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import (
    Activity,
    AssistanceBudget,
    Call,
    CallKind,
    CallStatus,
    Expenditure,
    FundingSource,
    GradePolicy,
    Milestone,
    PanelMember,
    Project,
    ResidentRating,
    Review,
    ReviewStage,
    Status,
)

HAINING = "330481000000"
NANGUANXIANG = "330481001007"
VENTURE_TITLE = "%d年海宁市“厢里乡亲·七彩社区”公益创投"
PURCHASE_TITLE = "%d年海宁市政府购买社会救助服务项目"
REVIEWER = ("demo_reviewer", "评审专家（海宁市）")

# (category code, title stem): 社区治理 first, as in the seed (40.9%).
VENTURE_THEMES = [
    ("mediation", "“和事佬”邻里纠纷调解"),
    ("mediation", "平安巡防志愿队培育"),
    ("environment", "垃圾分类“绿色账户”"),
    ("environment", "老旧小区微更新议事会"),
    ("mediation", "楼道自治“楼长制”"),
    ("elderly_care", "独居老人“时间银行”结对"),
    ("elderly_care", "老年助餐“幸福食堂”"),
    ("child_welfare", "“四点半课堂”课后托管"),
    ("child_welfare", "困境儿童“七彩成长”陪伴"),
    ("disability", "残疾人“阳光家园”康复"),
    ("psychological", "“心灵驿站”心理疏导"),
    ("health", "慢病老人健康管理"),
    ("culture", "社区文化家园“乡音”传承"),
    ("legal_aid", "“法律明白人”普法"),
    ("employment", "困难家庭就业帮扶"),
]
COMMENTS = ["需求分析清楚", "预算合理", "建议加强志愿者培育", "服务对象明确"]
ITEMS = ["活动物资", "志愿者保险", "场地布置", "专业督导费", "宣传印刷", "交通补贴", "培训讲师费"]
ACTIVITIES = ["入户走访", "主题活动", "志愿服务", "小组活动", "培训讲座", "个案服务"]
PURCHASE_THEMES = [
    "困难群众探访关爱服务",
    "低保边缘家庭救助帮扶服务",
    "特困供养人员照料服务",
    "困境儿童关爱服务",
    "临时救助对象个案服务",
    "救助对象心理支持服务",
]


def _at(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60))))


def _reviewer(ctx: Any) -> User:
    username, display = REVIEWER
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(username=username, password=ctx.password, display_name=display)
    ctx.users[username] = user
    return user


def demo_projects(ctx: Any) -> None:
    rng = random.Random(f"projects:{ctx.seed}")  # noqa: S311 - demo data, not security
    scale = max(float(ctx.scale), 0.2)
    today = timezone.localdate()
    year = today.year
    county = HAINING[:6]
    if Call.objects.filter(county_code=county, title=VENTURE_TITLE % year).exists():
        return
    org_ids = list(ctx.data.get("organizations") or [])
    organizations = list(
        Organization.objects.filter(pk__in=org_ids).order_by("pk")
        if org_ids
        else Organization.objects.filter(
            region__gte=f"{county}000000", region__lte=f"{county}999999"
        ).order_by("pk")
    )
    communities = list(
        Region.objects.filter(code__startswith=county, level=5)
        .order_by("code")
        .values_list("code", flat=True)
    )
    if not organizations or not communities:
        return
    short_names = dict(
        Region.objects.filter(code__startswith=county, level=5).values_list("code", "short_name")
    )
    terms = {t.code: t.pk for t in Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY)}
    main = ctx.organizations.get("main")
    county_user = ctx.users.get("demo_county")
    panel = [_reviewer(ctx)] + [
        ctx.users[name] for name in ("demo_socialworker", "demo_township") if name in ctx.users
    ]
    opened = date(year, 3, 1) if today >= date(year, 3, 1) else today - timedelta(days=120)

    venture = Call(
        kind=CallKind.VENTURE,
        title=VENTURE_TITLE % year,
        funder="海宁市民政局、海宁市社区发展基金会",
        funding_source=FundingSource.FISCAL,
        year=year,
        budget_fen=80_000_000,
        description="围绕社区治理、为老服务、儿童关爱等领域，扶持社会组织开展社区公益服务项目。",
        eligibility="在海宁市登记或备案的社会组织；同等条件下优先支持3A以上等级的社会组织。",
        grade_policy=GradePolicy.PREFERRED,
        grade_min="3A",
        min_reviews=2,
        opens_on=opened,
        closes_on=opened + timedelta(days=30),
        status=CallStatus.REVIEWING,
        created_by=county_user,
        created_at=_at(opened - timedelta(days=7), rng),
    )
    purchase = Call(
        kind=CallKind.PURCHASE,
        title=PURCHASE_TITLE % year,
        funder="海宁市民政局",
        funding_source=FundingSource.SOCIAL_ASSISTANCE,
        year=year,
        budget_fen=50_000_000,
        description="政府向社会力量购买社会救助服务，资金从社会救助资金中列支，不超过2%。",
        eligibility="3A以上等级的社会工作服务机构。",
        grade_policy=GradePolicy.REQUIRED,
        grade_min="3A",
        min_reviews=2,
        opens_on=opened,
        closes_on=opened + timedelta(days=20),
        status=CallStatus.CLOSED,
        created_by=county_user,
        created_at=_at(opened - timedelta(days=5), rng),
    )
    for call in (venture, purchase):
        call.place(HAINING)
    Call.objects.bulk_create([venture, purchase])
    budget = AssistanceBudget(year=year, total_fen=2_800_000_000)  # ¥28M → 2% = ¥560,000
    budget.place(HAINING)
    AssistanceBudget.objects.bulk_create([budget], ignore_conflicts=True)
    PanelMember.objects.bulk_create(
        [
            PanelMember(call=call, user=user, county_code=county)
            for call in (venture, purchase)
            for user in panel
        ]
    )

    # --- plan the projects ------------------------------------------------------------------
    plans: list[dict[str, Any]] = []
    n_venture = max(8, round(36 * scale))
    for i in range(n_venture):
        category, stem = VENTURE_THEMES[i % len(VENTURE_THEMES)]
        org = organizations[rng.randrange(len(organizations))]
        region = communities[rng.randrange(len(communities))]
        if main is not None and i < 2:
            org, region = main, NANGUANXIANG
        requested = rng.randrange(6_000, 20_001, 500) * 100
        roll = rng.random()
        if i == 1:
            status = Status.SUBMITTED  # the demo organisation's proposal awaiting review
        elif i == 0:
            status = Status.APPROVED
        else:
            status = (
                Status.SUBMITTED
                if roll < 0.12
                else Status.REJECTED
                if roll < 0.2
                else Status.CLOSED
                if roll < 0.32
                else Status.EVALUATED
                if roll < 0.4
                else Status.APPROVED
            )
        place_name = short_names.get(region, "")
        plans.append(
            {
                "call": venture,
                "org": org,
                "region": region,
                "category": terms.get(category),
                "title": f"{place_name or ''}{stem}项目",
                "summary": f"{stem}：链接社区、社会组织、社工、志愿者和慈善资源，服务辖区居民。",
                "requested": requested,
                "status": status,
            }
        )
    agencies = [o for o in organizations if o.grade in ("3A", "4A", "5A")] or organizations
    for i, theme in enumerate(PURCHASE_THEMES[: max(3, round(6 * scale))]):
        org = agencies[i % len(agencies)]
        plans.append(
            {
                "call": purchase,
                "org": org,
                "region": communities[rng.randrange(len(communities))][:9] + "000",
                "category": terms.get("social_assistance"),
                "title": f"海宁市{theme}",
                "summary": f"{theme}：为社会救助对象提供专业社会工作服务。",
                "requested": rng.randrange(60_000, 90_001, 1000) * 100,
                "status": Status.APPROVED if i % 3 else Status.EVALUATED,
            }
        )

    projects: list[Project] = []
    for n, plan in enumerate(plans):
        submitted = opened + timedelta(days=rng.randrange(1, 20))
        status = plan["status"]
        funded = status in (Status.APPROVED, Status.EVALUATED, Status.CLOSED)
        approved = None
        if funded:
            approved = plan["requested"] if rng.random() < 0.6 else plan["requested"] * 8 // 10
        p = Project(
            call=plan["call"],
            organization=plan["org"],
            title=plan["title"][:200],
            summary=plan["summary"],
            category_id=plan["category"],
            target_beneficiaries=rng.randrange(40, 400),
            requested_fen=plan["requested"],
            approved_fen=approved,
            status=status,
            status_note="评审得分未达立项线" if status == Status.REJECTED else "",
            submitted_at=_at(submitted, rng),
            decided_at=_at(submitted + timedelta(days=30), rng)
            if status != Status.SUBMITTED
            else None,
            created_by=ctx.users.get("demo_org") if plan["org"] == main else None,
            idempotency_key=f"demo-{year}-{n}",
        )
        p.place(plan["region"])
        projects.append(p)

    # Keep the social-assistance purchases within the share (2% of ¥28M).
    cap = budget.total_fen * budget.share_bp // 10000
    used = 0
    for p in projects:
        if p.call is purchase and p.approved_fen:
            if used + p.approved_fen > cap:
                p.approved_fen = None
                p.status = Status.SUBMITTED
                p.decided_at = None
            else:
                used += p.approved_fen

    # --- rows under each project, sums cached on the project --------------------------------
    reviews: list[Review] = []
    expenditures: list[Expenditure] = []
    activities: list[Activity] = []
    milestones: list[Milestone] = []
    ratings: list[ResidentRating] = []
    resident_user = ctx.users.get("demo_resident")
    start = opened + timedelta(days=45)
    for p in projects:
        decided = p.status != Status.SUBMITTED or rng.random() < 0.5
        scorers = panel if decided else panel[:1]
        for reviewer in scorers:
            score = rng.randrange(62, 96) if p.status != Status.REJECTED else rng.randrange(45, 62)
            r = Review(
                project=p,
                reviewer=reviewer,
                stage=ReviewStage.PROPOSAL,
                score=score,
                comment=rng.choice(
                    ["需求分析清楚", "预算合理", "建议加强志愿者培育", "服务对象明确"]
                ),
                reviewed_at=p.submitted_at + timedelta(days=10),
            )
            r.place(p.region_id)
            reviews.append(r)
        if not p.approved_fen:
            continue
        finished = p.status in (Status.EVALUATED, Status.CLOSED)
        share = rng.uniform(0.92, 1.0) if finished else rng.uniform(0.15, 0.7)
        target = int(p.approved_fen * share) // 100 * 100
        parts = rng.randrange(2, 6)
        spent = 0
        days_span = max(1, (today - start).days)
        for k in range(parts):
            amount = target // parts if k < parts - 1 else target - spent
            if amount <= 0:
                continue
            day = start + timedelta(days=rng.randrange(days_span))
            e = Expenditure(
                project=p,
                spent_on=min(day, today),
                item=rng.choice(ITEMS),
                amount_fen=amount,
                recorded_by=ctx.users.get("demo_org") if p.organization == main else None,
                recorded_at=_at(min(day, today), rng),
            )
            e.place(p.region_id)
            expenditures.append(e)
            spent += amount
        p.spent_fen = spent
        people = 0
        for _k in range(rng.randrange(1, 5)):
            n = rng.randrange(10, 80)
            day = min(start + timedelta(days=rng.randrange(days_span)), today)
            a = Activity(
                project=p,
                held_on=day,
                title=rng.choice(ACTIVITIES),
                beneficiaries=n,
                vulnerable=rng.randrange(0, n // 2 + 1),
                recorded_at=_at(day, rng),
            )
            a.place(p.region_id)
            activities.append(a)
            people += n
        p.beneficiaries = people
        for title, offset, done in (
            ("项目启动", 0, True),
            ("中期评估", 90, finished),
            ("结项评估", 200, finished),
        ):
            m = Milestone(
                project=p,
                title=title,
                due_on=start + timedelta(days=offset),
                done_on=start + timedelta(days=offset) if done else None,
            )
            m.place(p.region_id)
            milestones.append(m)
        if finished:
            final = [rng.randrange(70, 96) for _ in panel]
            for reviewer, score in zip(panel, final, strict=True):
                r = Review(
                    project=p,
                    reviewer=reviewer,
                    stage=ReviewStage.FINAL,
                    score=score,
                    comment="完成既定目标",
                    reviewed_at=_at(today, rng),
                )
                r.place(p.region_id)
                reviews.append(r)
            average = (Decimal(sum(final)) / len(final)).quantize(Decimal("0.01"))
            p.reviewer_score = p.final_score = average
            p.evaluated_at = _at(today, rng)
            if p.status == Status.CLOSED:
                p.closed_at = p.evaluated_at
        if resident_user is not None and p.region_id == NANGUANXIANG and not finished:
            rating = ResidentRating(project=p, user=resident_user, rating=5, comment="服务很贴心")
            rating.place(p.region_id)
            ratings.append(rating)

    Project.objects.bulk_create(projects)
    Review.objects.bulk_create(reviews, batch_size=500)
    Expenditure.objects.bulk_create(expenditures, batch_size=500)
    Activity.objects.bulk_create(activities, batch_size=500)
    Milestone.objects.bulk_create(milestones, batch_size=500)
    ResidentRating.objects.bulk_create(ratings, batch_size=500)
    total = sum(p.approved_fen or 0 for p in projects)
    ctx.data["projects"] = {"count": len(projects), "approved_fen": total}
    ctx.log.append(
        f"projects: {len(projects)} projects in 2 calls, ¥{total // 100:,} approved, "
        f"{len(expenditures)} expenditures"
    )
