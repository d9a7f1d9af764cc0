"""Demo needs for Haining (需求库): needs found in surveys in every township (a few per
community group, with people and vulnerable groups affected), and needs raised from a share
of the demo requests (same community, resident and text). Written with bulk_create;
idempotent: the survey needs carry the source reference `demo-survey-<seed>-<n>`, and a
second run finds them and stops."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from wushe.regions import codes
from wushe.regions.models import Region
from wushe.residents.models import Tag
from wushe.taxonomy.models import Term, Vocabulary

from .models import Need, NeedGroup, Source, Status

HAINING = "330481"
# Request categories → the service category a need from such a request falls under.
REQUEST_TO_SERVICE = {
    "daily_care": "elderly_care",
    "health": "health",
    "culture": "culture",
    "psychological": "psychological",
    "legal_aid": "legal_aid",
    "environment": "environment",
    "dispute": "mediation",
    "safety": "environment",
}
SURVEY_NEEDS: dict[str, list[tuple[str, list[str]]]] = {
    "elderly_care": [
        ("独居老人希望有助餐送餐服务", [Tag.ALONE_ELDER, Tag.EMPTY_NEST_ELDER]),
        ("高龄老人需要上门助浴", [Tag.INCAPACITATED_ELDER, Tag.ALONE_ELDER]),
        ("空巢老人希望有人定期上门陪伴聊天", [Tag.EMPTY_NEST_ELDER]),
    ],
    "child_welfare": [
        ("留守儿童暑期缺少看护和学业辅导", [Tag.LEFT_BEHIND_CHILD]),
        ("困境儿童需要心理陪伴和成长支持", [Tag.CHILD_IN_DIFFICULTY, Tag.ORPHAN]),
    ],
    "disability": [("残疾人希望有康复训练和辅具适配", [Tag.DISABLED])],
    "health": [
        ("慢病老人希望家庭医生定期上门", [Tag.EMPTY_NEST_ELDER, Tag.INCAPACITATED_ELDER]),
        ("村里老人希望开展义诊和健康讲座", []),
    ],
    "psychological": [("计生特殊家庭需要心理疏导", [Tag.FAMILY_PLANNING_SPECIAL])],
    "employment": [("低保家庭成员希望获得就业技能培训", [Tag.LOW_INCOME])],
    "culture": [("老年人希望学习使用智能手机", []), ("居民希望有文体活动场地和队伍", [])],
    "legal_aid": [("外来务工人员需要劳动纠纷法律咨询", [])],
    "social_assistance": [("特困人员希望有生活物资帮扶", [Tag.DESTITUTE, Tag.LOW_INCOME])],
}


def demo_needs(ctx: Any) -> None:
    rng = random.Random(f"needs-{ctx.seed}")  # noqa: S311 - demo data, not security
    marker = f"demo-survey-{ctx.seed}-"
    if Need.objects.filter(county_code=HAINING, source_ref__startswith=marker).exists():
        ctx.log.append("needs: demo needs already present")
        return
    low, high = codes.scope_range(HAINING)
    communities = list(
        Region.objects.filter(code__gte=low, code__lte=high, level=5)
        .order_by("code")
        .values_list("code", flat=True)
    )
    terms = {t.code: t for t in Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY)}
    if not communities or not terms:
        return
    worker = ctx.users.get("demo_community_a")
    now = timezone.now()
    needs: list[Need] = []
    groups: list[list[tuple[str, int]]] = []
    count = max(24, int(240 * ctx.scale))
    options = [(cat, item) for cat, items in SURVEY_NEEDS.items() for item in items]
    for n in range(count):
        # A third in 硖石街道, so the demo logins of 南关厢/东山 see a full database.
        region = (
            rng.choice([c for c in communities if c.startswith("330481001")])
            if n % 3 == 0
            else rng.choice(communities)
        )
        category, (title, tags) = rng.choice(options)
        if category not in terms:
            continue
        people = rng.randint(3, 60)
        split = [(t, rng.randint(1, max(1, people // 2))) for t in tags]
        vulnerable = min(people, max((k for _t, k in split), default=0) + rng.randint(0, 3))
        need = Need(
            category=terms[category],
            title=title,
            description=str(title) + "。" + "摸排时居民反映较集中。",
            source=Source.SURVEY,
            source_ref=f"{marker}{n}",
            people_count=people,
            vulnerable_count=vulnerable if split else 0,
            status=Status.OPEN,
            created_by=worker,
            created_at=now - timedelta(days=rng.randint(1, 120)),
        )
        need.place(region)
        needs.append(need)
        groups.append(split)
    needs.extend(_from_requests(rng, terms, marker))
    groups.extend([] for _ in range(len(needs) - len(groups)))
    created = Need.objects.bulk_create(needs, batch_size=500)
    rows: list[NeedGroup] = []
    for need, split in zip(created, groups, strict=True):
        for tag, people in split:
            row = NeedGroup(need=need, tag=tag, people=people)
            row.place(need.region_id)
            rows.append(row)
    NeedGroup.objects.bulk_create(rows, batch_size=1000)
    ctx.log.append(f"needs: {len(created)} needs, {len(rows)} vulnerable-group counts")


def _from_requests(rng: random.Random, terms: dict[str, Term], marker: str) -> list[Need]:
    from wushe.requests.models import Request

    made: list[Need] = []
    rows = (
        Request.objects.filter(county_code=HAINING)
        .select_related("category")
        .order_by("submitted_at", "id")
        .values_list(
            "number", "region_id", "resident_id", "description", "category__code", "submitted_at"
        )
    )
    for number, region, resident, description, category, at in rows:
        service = REQUEST_TO_SERVICE.get(category)
        if service not in terms or rng.random() > 0.3:
            continue
        need = Need(
            category=terms[service],
            title=(description or number)[:100],
            description=description,
            source=Source.REQUEST,
            source_ref=number,
            resident_id=resident,
            people_count=1,
            vulnerable_count=0,
            created_at=at,
        )
        need.place(region)
        made.append(need)
    return made
