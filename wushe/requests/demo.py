"""Demo requests for Haining (民呼我为): ~150 × scale requests over the past five weeks across
categories and states, a third of them in 硖石街道, a dozen in 南关厢 (several by
`demo_resident`); handlers include `demo_org`'s organisation, `demo_volunteer` and
`demo_socialworker` so their "我的任务" are not empty; some are closed with ratings and
follow-up calls, some supervised, some left past their deadline. The step ends by running
the real escalation sweep with the clock as it is, so the overdue ones climb to the township
(a few that were already with the township climb to the county).

The rows are written directly (timelines in the past cannot go through services that stamp
`now`), following the transition table. Deterministic for a seed (its own random stream) and
idempotent: each demo request carries the idempotency key `demo-<seed>-<n>`; those present
are skipped."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .models import (
    Assignment,
    AssignmentStatus,
    Channel,
    CloseReason,
    EventKind,
    FollowUp,
    FollowUpOutcome,
    HandlerType,
    Level,
    Request,
    RequestEvent,
    Status,
    Supervision,
    Urgency,
)
from .services import policy_for, requests_sweep
from .services._common import schedule
from .services.submit import _NUMBER_ALPHABET as NUMBER_ALPHABET
from .services.submit import priority_of

HAINING = "330481"
XIASHI = "330481001"
NANGUANXIANG = "330481001007"
BASE_COUNT = 150

TEXTS: dict[str, list[str]] = {
    "daily_care": [
        "老人独居，行动不便，希望有人每周帮忙买菜。",
        "家里老人需要助浴服务，子女在外地。",
        "想申请老年食堂送餐上门。",
    ],
    "health": [
        "老伴高血压，想请社区医生上门量血压。",
        "需要陪同去医院复查，家里没人。",
        "想了解家庭医生签约怎么办理。",
    ],
    "culture": [
        "小区想组织广场舞队，需要活动场地。",
        "希望社区开设老年智能手机培训班。",
        "孩子暑假没人看管，想参加社区托管班。",
    ],
    "psychological": [
        "邻居老人丧偶后情绪低落，请社工上门看看。",
        "孩子沉迷手机，家长希望得到心理辅导。",
    ],
    "legal_aid": [
        "拖欠工资的事情想咨询法律援助。",
        "房屋继承纠纷，想请律师解答。",
    ],
    "environment": [
        "楼道灯坏了，晚上出门看不见。",
        "小区垃圾桶满了没人清理，气味很大。",
        "单元门禁坏了，陌生人随便进出。",
        "雨水管堵塞，一下雨就积水。",
    ],
    "dispute": [
        "楼上漏水到我家，协商不成。",
        "邻居在楼道堆放杂物，沟通无果。",
    ],
    "safety": [
        "电动车在楼道充电，有火灾隐患。",
        "小区围墙有裂缝，担心倒塌。",
    ],
    "other": ["想咨询居住证办理需要哪些材料。", "希望小区增设无障碍坡道。"],
}
RESULTS = [
    "已联系物业处理完毕。",
    "志愿者已上门服务，居民表示满意。",
    "社工已上门走访，并制定了后续服务计划。",
    "已协调相关部门解决。",
    "已安排每周固定服务。",
]
COMMENTS = [
    "谢谢社区！",
    "处理很及时。",
    "服务很好，态度亲切。",
    "基本解决了。",
    "还可以更快一些。",
]
# State mix (weights) of the demo.
STATES = [
    ("closed", 34),
    ("resolved", 9),
    ("in_progress", 14),
    ("dispatched", 10),
    ("accepted", 10),
    ("submitted", 15),
    ("overdue_submitted", 4),
    ("rejected", 2),
    ("cancelled", 2),
]


@dataclass
class Handlers:
    organization: int | None = None
    volunteer: int | None = None
    social_worker: int | None = None
    names: dict[tuple[str, int], str] = field(default_factory=dict)
    volunteers_by_region: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Plan:
    index: int
    region: str
    category: Term
    urgency: str
    state: str
    at: datetime
    by_demo_resident: bool
    channel: str
    text: str


def _handlers(ctx: Any, regions: list[str]) -> Handlers:
    from wushe.socialworkers.models import SocialWorker
    from wushe.volunteers.models import Volunteer, VolunteerStatus

    found = Handlers()
    org = ctx.organizations.get("main")
    if org is not None:
        found.organization = org.pk
        found.names[(HandlerType.ORGANIZATION, org.pk)] = org.name
    volunteer_user = ctx.users.get("demo_volunteer")
    if volunteer_user is not None:
        row = (
            Volunteer.objects.filter(county_code=HAINING, user=volunteer_user)
            .values_list("pk", "name")
            .first()
        )
        if row is not None:
            found.volunteer = row[0]
            found.names[(HandlerType.VOLUNTEER, row[0])] = row[1]
    worker_user = ctx.users.get("demo_socialworker")
    if worker_user is not None:
        row = (
            SocialWorker.objects.filter(county_code=HAINING, user=worker_user)
            .values_list("pk", "name")
            .first()
        )
        if row is not None:
            found.social_worker = row[0]
            found.names[(HandlerType.SOCIAL_WORKER, row[0])] = row[1]
    for pk, region, name in (
        Volunteer.objects.filter(
            county_code=HAINING, region_id__in=regions, status=VolunteerStatus.ACTIVE
        )
        .order_by("region_id", "number")
        .values_list("pk", "region_id", "name")
    ):
        found.volunteers_by_region.setdefault(region, []).append(pk)
        found.names[(HandlerType.VOLUNTEER, pk)] = name
    return found


def _plans(ctx: Any, rng: random.Random, now: datetime) -> list[Plan]:
    low, high = codes.scope_range(HAINING)
    communities = list(
        Region.objects.filter(code__gte=low, code__lte=high, level=5)
        .order_by("code")
        .values_list("code", flat=True)
    )
    xiashi = [c for c in communities if c.startswith(XIASHI)]
    categories = list(Term.objects.filter(vocabulary=Vocabulary.REQUEST_CATEGORY).order_by("code"))
    if not communities or not categories:
        return []
    count = max(12, int(BASE_COUNT * ctx.scale))
    states = [s for s, _w in STATES]
    weights = [w for _s, w in STATES]
    plans = []
    for index in range(count):
        if index < 12:
            region = NANGUANXIANG
        elif index % 3 == 0:
            region = rng.choice(xiashi)
        else:
            region = rng.choice(communities)
        state = rng.choices(states, weights)[0]
        if index < 12:  # 南关厢: one of each state the resident's pages show
            state = ["closed", "resolved", "in_progress", "dispatched", "submitted", "closed"][
                index % 6
            ]
        if state == "submitted":
            days = rng.uniform(0.02, 0.9)
        elif state in {"accepted", "dispatched"}:
            days = rng.uniform(0.05, 2.5)
        elif state == "overdue_submitted":
            days = rng.uniform(1.2, 4)
        elif state in {"in_progress", "resolved"}:
            days = rng.uniform(1, 6)
        else:
            days = rng.uniform(3, 35)
        category = rng.choice(categories)
        by_demo_resident = region == NANGUANXIANG and index % 2 == 0
        channel = (
            Channel.SELF_SERVICE
            if by_demo_resident
            else rng.choice(
                [Channel.SELF_SERVICE, Channel.PHONE, Channel.VISIT, Channel.GRID, Channel.HOTLINE]
            )
        )
        texts = TEXTS.get(category.code) or TEXTS["other"]
        plans.append(
            Plan(
                index=index,
                region=region,
                category=category,
                urgency=rng.choices(list(Urgency.values), [80, 16, 4])[0],
                state=state,
                at=now - timedelta(days=days),
                by_demo_resident=by_demo_resident,
                channel=channel,
                text=rng.choice(texts),
            )
        )
    return plans


class Timeline:
    """Events of one demo request in order, with the request's sequence."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.events: list[RequestEvent] = []

    def add(
        self,
        kind: str,
        at: datetime,
        actor: Any,
        to: str = "",
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        before = self.request.status
        self.events.append(
            RequestEvent(
                region_id=self.request.region_id,
                county_code=self.request.county_code,
                request=self.request,
                seq=len(self.events) + 1,
                at=at,
                actor=actor,
                actor_label=(actor.display_name or actor.username) if actor else "系统",
                kind=kind,
                from_status=before if to else "",
                to_status=to,
                note=note,
                data=data or {},
            )
        )
        if to:
            self.request.status = to


def _build(
    plan: Plan,
    ctx: Any,
    rng: random.Random,
    now: datetime,
    handlers: Handlers,
    demo_resident: int | None,
) -> tuple[Request, Timeline, list[Assignment], list[Any]]:
    users = ctx.users
    worker = users.get("demo_community_a") if plan.region == NANGUANXIANG else None
    resident_user = users.get("demo_resident") if plan.by_demo_resident else None
    policy = policy_for(plan.region, plan.category.pk, plan.urgency)
    tags: list[str] = []
    resident_id = demo_resident if plan.by_demo_resident else None
    priority, reason = priority_of(plan.urgency, tags)
    latest = now - timedelta(minutes=5)

    def after(moment: datetime, hours: float) -> datetime:
        """`hours` after `moment`, but never in the future."""
        return max(moment, min(moment + timedelta(hours=hours), latest))

    at = plan.at
    overdue_hours = rng.uniform(1, 20)
    climbed_before = plan.state == "overdue_submitted" and plan.index % 3 == 0
    if plan.state == "overdue_submitted":
        # Unaccepted past its deadline (with the township already, for a third of them).
        due = now - timedelta(hours=overdue_hours)
        at = due - timedelta(hours=policy.accept_hours * (2 if climbed_before else 1))
    elif plan.state == "in_progress" and plan.index % 4 == 1:
        # Started but past its resolve deadline: the sweep hands it to the township.
        at = now - timedelta(hours=policy.resolve_hours + overdue_hours)
    request = Request(
        number=f"{HAINING}{timezone.localtime(at):%y%m%d}"
        + "".join(rng.choice(NUMBER_ALPHABET) for _ in range(8)),
        channel=plan.channel,
        external_id=f"12345-{at:%Y%m%d}-{plan.index:04d}"
        if plan.channel == Channel.HOTLINE
        else "",
        category=plan.category,
        description=plan.text,
        urgency=plan.urgency,
        resident_id=resident_id,
        priority=priority,
        priority_reason=reason,
        status=Status.SUBMITTED,
        accept_hours=policy.accept_hours,
        resolve_hours=policy.resolve_hours,
        auto_close_days=policy.auto_close_days,
        reopen_days=policy.reopen_days,
        accept_due_at=at + timedelta(hours=policy.accept_hours),
        resolve_due_at=at + timedelta(hours=policy.resolve_hours),
        submitted_at=at,
        submitted_by=resident_user,
        idempotency_key=f"demo-{ctx.seed}-{plan.index}",
    )
    request.place(plan.region)
    timeline = Timeline(request)
    timeline.add(EventKind.SUBMITTED, at, resident_user, Status.SUBMITTED)
    assignments: list[Assignment] = []
    extra: list[Any] = []
    state = plan.state
    if state == "overdue_submitted":
        # The sweep at the end lifts these one level (to the county if with the township).
        if climbed_before:
            climbed = at + timedelta(hours=policy.accept_hours)
            request.accept_due_at = climbed + timedelta(hours=policy.accept_hours)
            request.resolve_due_at = climbed + timedelta(hours=policy.resolve_hours)
            request.escalation_level = Level.TOWNSHIP
            request.escalated_at = climbed
            timeline.add(
                EventKind.ESCALATED,
                climbed,
                None,
                data={"from_level": 1, "to_level": 2, "reason": "overdue", "overdue": "accept"},
            )
        schedule(request)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    if state == "submitted":
        schedule(request)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    if state == "cancelled":
        moment = after(at, rng.uniform(0.2, 3))
        request.closed_at = moment
        timeline.add(EventKind.CANCELLED, moment, resident_user, Status.CANCELLED)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    accepted = after(at, rng.uniform(0.1, max(0.2, min(20, policy.accept_hours * 0.9))))
    if state == "rejected":
        request.status_reason = "不属于社区受理范围，已告知居民向相关部门反映。"
        request.closed_at = accepted
        timeline.add(EventKind.REJECTED, accepted, worker, Status.REJECTED, request.status_reason)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    request.accepted_at = accepted
    timeline.add(EventKind.ACCEPTED, accepted, worker, Status.ACCEPTED)
    if state == "accepted":
        schedule(request)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    dispatched = after(accepted, rng.uniform(0.2, 4))
    request.dispatched_at = dispatched
    chosen = _pick_handlers(plan, rng, handlers)
    for handler_type, pk, name in chosen:
        a = Assignment(
            request=request,
            handler_type=handler_type,
            handler_key=f"{handler_type}:{pk if handler_type != HandlerType.DEPARTMENT else name}",
            department_name=name if handler_type == HandlerType.DEPARTMENT else "",
            assigned_at=dispatched,
            assigned_by=worker,
        )
        if handler_type == HandlerType.ORGANIZATION:
            a.organization_id = pk
        elif handler_type == HandlerType.VOLUNTEER:
            a.volunteer_id = pk
        elif handler_type == HandlerType.SOCIAL_WORKER:
            a.social_worker_id = pk
        a.place(plan.region)
        assignments.append(a)
    timeline.add(
        EventKind.DISPATCHED,
        dispatched,
        worker,
        Status.DISPATCHED,
        data={"handlers": [{"type": t, "name": n} for t, _pk, n in chosen]},
    )
    if state == "dispatched":
        schedule(request)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    started = after(dispatched, rng.uniform(0.2, 6))
    request.started_at = started
    for a in assignments:
        a.status = AssignmentStatus.STARTED
        a.started_at = started
    timeline.add(EventKind.STARTED, started, None, Status.IN_PROGRESS)
    if state == "in_progress":
        if plan.index % 5 == 2 and request.region_id.startswith(XIASHI):
            extra.append(("supervise", started + timedelta(hours=2)))
        schedule(request)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    on_time = rng.random() < 0.85
    limit = request.resolve_due_at or started
    resolved = (
        min(after(started, rng.uniform(1, 30)), limit - timedelta(minutes=10))
        if on_time
        else after(limit, rng.uniform(2, 30))
    )
    resolved = min(max(resolved, started + timedelta(minutes=1)), latest)
    result = rng.choice(RESULTS)
    for a in assignments:
        a.status = AssignmentStatus.DONE
        a.done_at = resolved
        a.result = result
    request.result = result
    request.resolved_at = resolved
    request.resolved_on_time = resolved <= limit
    request.auto_close_at = resolved + timedelta(days=request.auto_close_days)
    timeline.add(EventKind.RESOLVED, resolved, None, Status.RESOLVED, result)
    if state == "resolved":
        schedule(request)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    confirmed = resolved + timedelta(hours=rng.uniform(1, 60))
    if confirmed < now and (plan.by_demo_resident or rng.random() < 0.7):
        rating = rng.choices([5, 4, 3, 2], [60, 25, 10, 5])[0]
        comment = rng.choice(COMMENTS)
        request.rating, request.rating_comment, request.rated_at = rating, comment, confirmed
        request.closed_at, request.close_reason = confirmed, CloseReason.CONFIRMED
        timeline.add(
            EventKind.CONFIRMED,
            confirmed,
            resident_user,
            Status.CLOSED,
            comment,
            {"rating": rating},
        )
    elif request.auto_close_at < now:
        request.closed_at, request.close_reason = request.auto_close_at, CloseReason.AUTO
        timeline.add(EventKind.CLOSED_AUTO, request.auto_close_at, None, Status.CLOSED)
    else:
        schedule(request)
        request.event_seq = len(timeline.events)
        return request, timeline, assignments, extra
    request.reopen_until = request.closed_at + timedelta(days=request.reopen_days)
    if plan.index % 3 == 0:
        extra.append(("follow_up", request.closed_at + timedelta(hours=rng.uniform(2, 48))))
    schedule(request)
    request.event_seq = len(timeline.events)
    return request, timeline, assignments, extra


def _pick_handlers(plan: Plan, rng: random.Random, h: Handlers) -> list[tuple[str, Any, str]]:
    chosen: list[tuple[str, Any, str]] = []

    def named(kind: str, pk: int) -> tuple[str, Any, str]:
        return (kind, pk, h.names.get((kind, pk), ""))

    if plan.region == NANGUANXIANG:
        # The demo logins' "我的任务": the volunteer always, the social worker or the
        # organisation on every other request.
        if h.volunteer is not None:
            chosen.append(named(HandlerType.VOLUNTEER, h.volunteer))
        if h.social_worker is not None and plan.index % 4 == 1:
            chosen.append(named(HandlerType.SOCIAL_WORKER, h.social_worker))
        if h.organization is not None and plan.index % 4 == 3:
            chosen.append(named(HandlerType.ORGANIZATION, h.organization))
    elif plan.region.startswith(XIASHI):
        if h.organization is not None and plan.index % 2 == 0:
            chosen.append(named(HandlerType.ORGANIZATION, h.organization))
        if h.social_worker is not None and plan.index % 3 == 1:
            chosen.append(named(HandlerType.SOCIAL_WORKER, h.social_worker))
    if not chosen:
        local = h.volunteers_by_region.get(plan.region)
        if local:
            chosen.append(named(HandlerType.VOLUNTEER, rng.choice(local)))
        else:
            name = {
                "environment": "物业服务中心",
                "safety": "消防救援站",
                "legal_aid": "司法所",
            }.get(plan.category.code, "街道综合服务中心")
            chosen.append((HandlerType.DEPARTMENT, None, name))
    return chosen


def demo_requests(ctx: Any) -> None:
    rng = random.Random(f"{ctx.seed}:requests")  # noqa: S311 - demo data
    now = timezone.now()
    plans = _plans(ctx, rng, now)
    present = set(
        Request.objects.filter(
            county_code=HAINING, idempotency_key__startswith=f"demo-{ctx.seed}-"
        ).values_list("idempotency_key", flat=True)
    )
    handlers = _handlers(ctx, sorted({p.region for p in plans}))
    demo_resident = (ctx.data.get("residents") or {}).get("demo_resident")
    built = []
    for plan in plans:
        # Always draw, so the random stream (and every later request) is the same whether
        # or not this one exists already.
        item = _build(plan, ctx, rng, now, handlers, demo_resident)
        if item[0].idempotency_key not in present:
            built.append(item)
    if built:
        requests = Request.objects.bulk_create([b[0] for b in built], batch_size=500)
        for request, (_r, timeline, assignments, _extra) in zip(requests, built, strict=True):
            for e in timeline.events:
                e.request = request
            for a in assignments:
                a.request = request
        RequestEvent.objects.bulk_create([e for b in built for e in b[1].events], batch_size=1000)
        Assignment.objects.bulk_create([a for b in built for a in b[2]], batch_size=1000)
        _extras(ctx, built)
    report = requests_sweep(at=now, nested=True)
    ctx.data["requests"] = {"count": len(plans)}
    ctx.log.append(
        f"requests: {len(built)} created, {len(plans) - len(built)} present, "
        f"{len(report.escalated)} escalated, {len(report.closed)} closed automatically"
    )


def _extras(ctx: Any, built: list[Any]) -> None:
    """Supervision marks by the township officer and follow-up calls by the community."""
    township = ctx.users.get("demo_township")
    community = ctx.users.get("demo_community_a")
    for request, _timeline, _assignments, extra in built:
        for kind, at in extra:
            if kind == "supervise" and township is not None:
                mark = Supervision(
                    request=request,
                    level=Level.TOWNSHIP,
                    by=township,
                    note="请加快办理，三日内反馈结果。",
                    due_at=at + timedelta(days=3),
                    created_at=at,
                )
                mark.place(request.region_id)
                mark.save(force_insert=True)
                _append(request, EventKind.SUPERVISED, at, township, mark.note, {"level": 2})
                Request.objects.filter(pk=request.pk).update(supervised=True)
            elif kind == "follow_up" and community is not None and at < timezone.now():
                call = FollowUp(
                    request=request,
                    called_by=community,
                    called_at=at,
                    outcome=FollowUpOutcome.REACHED,
                    satisfied=(request.rating or 5) >= 3,
                    note="电话回访，居民反映问题已解决。",
                )
                call.place(request.region_id)
                call.save(force_insert=True)
                _append(
                    request,
                    EventKind.FOLLOWED_UP,
                    at,
                    community,
                    call.note,
                    {"outcome": "reached", "satisfied": call.satisfied},
                )


def _append(request: Request, kind: str, at: datetime, actor: Any, note: str, data: Any) -> None:
    seq = request.event_seq + 1
    RequestEvent.objects.create(
        region_id=request.region_id,
        county_code=request.county_code,
        request=request,
        seq=seq,
        at=at,
        actor=actor,
        actor_label=actor.display_name or actor.username,
        kind=kind,
        note=note,
        data=data,
    )
    request.event_seq = seq
    Request.objects.filter(pk=request.pk).update(event_seq=seq)
