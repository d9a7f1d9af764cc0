"""Reads of matching: settings for a place, the need a request stands for, and the ranked
suggestions for dispatching it (volunteers from the supply index by a bounding box; the
organisations and social workers the request loop finds eligible, ranked alongside)."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.regions import codes

from .engine import Instance, Limits, Need, Supplier, Weights
from .engine.edges import build_edges
from .engine.instance import COMPONENTS, FULL_WEEK
from .models import MatchingSettings, SupplyProfile
from .reasons import reason_text

# Which volunteer skills can help with a request category (request categories and skills are
# separate vocabularies, domain.md §7). Codes; a category not listed takes any skill.
SKILLS_FOR: dict[str, tuple[str, ...]] = {
    "daily_care": ("housekeeping", "companionship", "haircut", "driving"),
    "health": ("medical", "first_aid", "driving"),
    "culture": ("culture_arts", "photography", "digital"),
    "psychological": ("psychology", "companionship"),
    "legal_aid": ("legal",),
    "environment": ("housekeeping", "repair"),
    "dispute": ("legal", "psychology"),
    "safety": ("repair", "first_aid"),
    "other": ("companionship", "digital", "housekeeping", "repair"),
}
# The same for the service categories of the needs database (wushe.needs).
SKILLS_FOR_SERVICE: dict[str, tuple[str, ...]] = {
    "elderly_care": ("companionship", "housekeeping", "medical", "haircut", "driving"),
    "child_welfare": ("tutoring", "companionship", "culture_arts"),
    "disability": ("sign_language", "medical", "companionship", "driving"),
    "social_assistance": ("housekeeping", "companionship"),
    "psychological": ("psychology", "companionship"),
    "legal_aid": ("legal",),
    "health": ("medical", "first_aid"),
    "culture": ("culture_arts", "photography"),
    "environment": ("housekeeping", "repair"),
    "mediation": ("legal", "psychology"),
    "education": ("tutoring", "digital"),
    "employment": ("digital", "tutoring"),
}
SUGGESTION_LIMIT = 10
PERIOD_HOURS = ((6, 12), (12, 18), (18, 22))  # 上午, 下午, 晚上


@dataclass
class Suggestion:
    type: str
    id: int
    name: str
    score: float
    distance_km: float | None
    reason: str
    components: dict[str, float] = field(default_factory=dict)

    @property
    def value(self) -> str:
        return f"{self.type}:{self.id}"

    @property
    def percent(self) -> int:
        return round(100 * self.score)

    @property
    def breakdown(self) -> str:
        """The score components in Chinese, 0–100 each, e.g. "距离 90 · 技能 100 · …"."""
        labels = {
            "distance": _("距离"),
            "skill": _("技能"),
            "rating": _("评分"),
            "reliability": _("履约"),
            "workload": _("空闲"),
            "familiarity": _("熟悉"),
        }
        return " · ".join(
            f"{labels[k]} {round(100 * v)}" for k, v in self.components.items() if k in labels
        )


def settings_for(region_code: str) -> tuple[Weights, Limits]:
    chain = [*codes.ancestor_codes(region_code), region_code]
    rows = {s.region_id: s for s in MatchingSettings.objects.filter(region_id__in=chain)}
    for code in reversed(chain):
        s = rows.get(code)
        if s is not None:
            return (
                Weights(
                    distance=s.weight_distance,
                    skill=s.weight_skill,
                    rating=s.weight_rating,
                    reliability=s.weight_reliability,
                    workload=s.weight_workload,
                    familiarity=s.weight_familiarity,
                ),
                Limits(radius_km=s.radius_m / 1000, max_per_supplier=s.max_per_supplier),
            )
    return Weights(), Limits(max_per_supplier=2)


def window_slots(start: datetime, end: datetime | None) -> int:
    """The weekly slots (volunteers/availability.py bits) between start and end, local
    time; 0 (any time) when there is no end or the window spans a week."""
    if end is None or end - start >= timedelta(days=7):
        return 0
    start, end = timezone.localtime(start), timezone.localtime(end)
    mask = 0
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for period, (h0, h1) in enumerate(PERIOD_HOURS):
            if day + timedelta(hours=h1) > start and day + timedelta(hours=h0) < end:
                mask |= 1 << (day.weekday() * 3 + period)
        day += timedelta(days=1)
    return mask or FULL_WEEK


def community_centre(region_code: str) -> tuple[float, float] | None:
    """No region has coordinates in the register, so a community's centre is estimated as
    the mean location of its indexed volunteers."""
    row = SupplyProfile.objects.filter(
        county_code=region_code[:6], region_id=region_code
    ).aggregate(lat=Avg("latitude"), lon=Avg("longitude"))
    if row["lat"] is None:
        return None
    return float(row["lat"]), float(row["lon"])


def familiar_volunteers(request: Any) -> set[int]:
    """Volunteers who handled an earlier request of the same resident."""
    from wushe.requests.models import Assignment

    if request.resident_id is None:
        return set()
    return set(
        Assignment.objects.filter(
            county_code=request.county_code,
            request__resident_id=request.resident_id,
            volunteer__isnull=False,
        )
        .exclude(request_id=request.pk)
        .values_list("volunteer_id", flat=True)
    )


def request_need(request: Any, *, now: datetime | None = None) -> tuple[Need, bool]:
    """The engine's view of a request; the flag says whether the location is estimated."""
    lat = None if request.latitude is None else float(request.latitude)
    lon = None if request.longitude is None else float(request.longitude)
    estimated = False
    if lat is None:
        centre = community_centre(request.region_id)
        if centre is not None:
            lat, lon = centre
            estimated = True
    assigned = {
        f"{a.handler_type}:{a.organization_id or a.volunteer_id or a.social_worker_id}"
        for a in request.assignments.all()
    }
    priority = max(1, int(request.priority or 0) + 1)
    need = Need(
        id=f"request:{request.pk}",
        lat=lat,
        lon=lon,
        region=request.region_id,
        category=request.category.code,
        skills=SKILLS_FOR.get(request.category.code, ()),
        any_skill=True,
        slots=window_slots(now or timezone.now(), request.resolve_due_at),
        priority=priority,
        familiar=tuple(f"volunteer:{v}" for v in familiar_volunteers(request)),
        exclude=tuple(sorted(assigned)),
    )
    return need, estimated


def skill_bit(code: str) -> int:
    """The prefilter bit of a skill code (stable: codes never change, taxonomy/models.py)."""
    return 1 << (zlib.crc32(code.encode()) % 62)


# Suggestions rank the nearest NEARBY_LIMIT volunteers that pass the SQL prefilter (skill
# bits, availability), looked for in growing boxes: in a dense town centre the smallest box is
# enough and the query stays an index range scan of a few hundred rows.
NEARBY_LIMIT = 200
BOX_STEPS_KM = (0.8, None)  # None: the full radius


def nearby_volunteers(need: Need, radius_km: float, county_code: str) -> list[Supplier]:
    """Indexed volunteers of the county near the need who could match it (skill and time
    prefiltered in SQL, nearest first; the engine decides)."""
    if need.lat is None or need.lon is None:
        return []
    lat, lon = need.lat, need.lon
    kx = 111.32 * max(math.cos(math.radians(lat)), 0.01)
    base = SupplyProfile.objects.filter(county_code=county_code)
    if need.slots:
        base = base.alias(free=F("availability").bitand(need.slots)).filter(free__gt=0)
    if need.skills:
        mask = 0
        for code in need.skills:
            mask |= skill_bit(code)
        base = base.alias(fit=F("skill_bits").bitand(mask)).filter(fit__gt=0)
    rows: list[tuple[Any, ...]] = []
    for step in BOX_STEPS_KM:
        r = radius_km if step is None or step > radius_km else step
        dlat, dlon = r / 110.57, r / kx
        near = (
            base.filter(
                latitude__gte=lat - dlat,
                latitude__lte=lat + dlat,
                longitude__gte=lon - dlon,
                longitude__lte=lon + dlon,
            )
            .alias(
                d2=(F("latitude") - lat) * (F("latitude") - lat) * 110.57 * 110.57
                + (F("longitude") - lon) * (F("longitude") - lon) * kx * kx
            )
            .order_by("d2", "ref_id")
            .values_list(
                "ref_id", "name", "latitude", "longitude", "region_id", "skills", "availability",
                "capacity", "load", "rating", "reliability",
            )[:NEARBY_LIMIT]
        )  # fmt: skip
        rows = list(near)
        if len(rows) >= NEARBY_LIMIT or r >= radius_km:
            break
    wanted = set(need.skills)
    out = []
    for ref, name, vlat, vlon, region, skills, avail, cap, load, rating, rel in rows:
        codes_ = tuple(skills.split(",")) if skills else ()
        if wanted and not wanted.intersection(codes_):
            continue
        out.append(
            Supplier(
                id=f"volunteer:{ref}",
                kind="volunteer",
                name=name,
                lat=vlat,
                lon=vlon,
                region=region,
                skills=codes_,
                availability=avail,
                capacity=cap,
                load=load,
                rating=rating,
                reliability=rel,
            )
        )
    return out


def _live_volunteers(ids: list[int], county_code: str) -> dict[int, int]:
    """Active volunteers among `ids` with their open assignments right now (one query)."""
    from wushe.requests.models import Assignment, AssignmentStatus
    from wushe.volunteers.models import Volunteer, VolunteerStatus

    open_work = (
        Assignment.objects.filter(county_code=county_code, volunteer_id=OuterRef("pk"))
        .exclude(status=AssignmentStatus.DONE)
        .order_by()
        .values("volunteer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        Volunteer.objects.filter(county_code=county_code, pk__in=ids, status=VolunteerStatus.ACTIVE)
        .annotate(open_work=Subquery(open_work))
        .values_list("pk", "open_work")
    )
    return {pk: n or 0 for pk, n in rows}


def covering_handlers(request: Any) -> list[tuple[str, int, str]]:
    """Organisations and social workers for a request by the request loop's own rule
    (wushe.requests.selectors.eligible_handlers: organisations covering the community with a
    fitting service category, active social workers of the township), in two queries."""
    from wushe.organizations.models import LegalStatus, Organization
    from wushe.requests.selectors import ELIGIBLE_LIMIT, SERVICE_CATEGORIES_FOR
    from wushe.socialworkers.models import EmploymentStatus, SocialWorker

    community = request.region_id
    chain = [*codes.ancestor_codes(community), community]
    coverage = Organization.coverage.through.objects.filter(region_id__in=chain)
    orgs = Organization.objects.exclude(legal_status=LegalStatus.DEREGISTERED).filter(
        Q(region_id__in=chain) | Q(pk__in=coverage.values("organization_id"))
    )
    fitting = SERVICE_CATEGORIES_FOR.get(request.category.code)
    if fitting:
        orgs = orgs.filter(
            pk__in=Organization.service_categories.through.objects.filter(
                term__code__in=fitting
            ).values("organization_id")
        )
    out = [
        ("organization", pk, name)
        for pk, name in orgs.order_by("name", "id").values_list("pk", "name")[:ELIGIBLE_LIMIT]
    ]
    low, high = codes.scope_range(community[:9])
    workers = (
        SocialWorker.objects.filter(county_code=request.county_code, status=EmploymentStatus.ACTIVE)
        .filter(
            Q(region_id__gte=low, region_id__lte=high)
            | Q(station__region_id__gte=low, station__region_id__lte=high)
        )
        .order_by("name", "id")
        .values_list("pk", "name")[:ELIGIBLE_LIMIT]
    )
    return out + [("social_worker", pk, name) for pk, name in workers]


def suggestions_for_request(
    *, user: Any, request: Any, limit: int = SUGGESTION_LIMIT, now: datetime | None = None
) -> list[Suggestion]:
    """Eligible handlers of a request, best first, with the reason and the score breakdown.
    The caller has checked that the user may handle the request."""
    weights, limits = settings_for(request.region_id)
    need, estimated = request_need(request, now=now)
    suppliers = nearby_volunteers(need, need.radius_km or limits.radius_km, request.county_code)
    for kind, pk, name in covering_handlers(request):
        suppliers.append(_covering(kind, pk, name, need, request.region_id))
    inst = Instance([need], suppliers, weights, limits)
    return _ranked(inst, need, request.county_code, estimated, limit)


def suggestions_for_need(*, need: Any, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
    """Eligible volunteers and organisations for a need of the needs database (wushe.needs),
    best first. The caller has checked that the user may see the need. A need has no
    location: the community centre stands for it; no deadline: any time of the week."""
    from wushe.organizations.models import LegalStatus, Organization

    weights, limits = settings_for(need.region_id)
    centre = community_centre(need.region_id)
    code = need.category.code
    engine_need = Need(
        id=f"need:{need.pk}",
        lat=None if centre is None else centre[0],
        lon=None if centre is None else centre[1],
        region=need.region_id,
        category=code,
        skills=SKILLS_FOR_SERVICE.get(code, ()),
        any_skill=True,
    )
    suppliers = nearby_volunteers(engine_need, limits.radius_km, need.county_code)
    chain = [*codes.ancestor_codes(need.region_id), need.region_id]
    coverage = Organization.coverage.through.objects.filter(region_id__in=chain)
    orgs = (
        Organization.objects.exclude(legal_status=LegalStatus.DEREGISTERED)
        .filter(Q(region_id__in=chain) | Q(pk__in=coverage.values("organization_id")))
        .filter(service_categories=need.category)
        .order_by("name", "id")[:50]
    )
    suppliers += [
        _covering("organization", o.pk, o.name, engine_need, need.region_id) for o in orgs
    ]
    inst = Instance([engine_need], suppliers, weights, limits)
    return _ranked(inst, engine_need, need.county_code, centre is not None, limit)


def _covering(kind: str, pk: int, name: str, need: Need, region: str) -> Supplier:
    """An organisation or social worker the request loop (or the needs query) found covering
    the place with a fitting service: eligible by coverage, no location."""
    return Supplier(
        id=f"{kind}:{pk}",
        kind=kind,
        name=name,
        categories=(need.category,),
        coverage=(region,),
        # Their workload is not known here: neutral (half of the capacity free).
        capacity=2,
        load=1,
    )


def _ranked(
    inst: Instance, need: Need, county_code: str, estimated: bool, limit: int
) -> list[Suggestion]:
    edges = build_edges(inst, candidates=None)
    order = np.lexsort((edges.supplier, edges.cost))
    picked = [int(e) for e in order[: limit * 2]]
    volunteer_ids = [
        int(inst.suppliers[int(edges.supplier[e])].id.split(":")[1])
        for e in picked
        if inst.suppliers[int(edges.supplier[e])].kind == "volunteer"
    ]
    live = _live_volunteers(volunteer_ids, county_code) if volunteer_ids else {}
    out: list[Suggestion] = []
    for e in picked:
        sup = inst.suppliers[int(edges.supplier[e])]
        kind, _sep, ref = sup.id.partition(":")
        load = sup.load
        if kind == "volunteer":
            if int(ref) not in live:
                continue  # suspended, withdrawn or gone since the index was built
            load = live[int(ref)]
            if load >= sup.capacity:
                continue
        dist = float(edges.distance[e])
        comps = {k: float(edges.components[e, i]) for i, k in enumerate(COMPONENTS)}
        known = not math.isnan(dist)
        out.append(
            Suggestion(
                type=kind,
                id=int(ref),
                name=sup.name,
                score=float(edges.score[e]),
                distance_km=dist if known else None,
                reason=reason_text(
                    need=need,
                    supplier=sup,
                    distance_km=dist if known else None,
                    components=comps,
                    load=load,
                    estimated=estimated,
                ),
                components=comps,
            )
        )
        if len(out) >= limit:
            break
    return out
