"""Writes of matching: the supply index, settings, and batch proposals (create, decide per
line, confirm = dispatch through wushe.requests.services, discard)."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from wushe.regions import codes
from wushe.regions.models import Region

from . import rules
from .engine import Instance, Need, Supplier, solve_ours
from .engine.edges import build_edges
from .engine.instance import COMPONENTS
from .models import (
    PROPOSAL_TRANSITIONS,
    LineDecision,
    MatchingSettings,
    Proposal,
    ProposalLine,
    ProposalStatus,
    SupplyProfile,
)
from .reasons import reason_text
from .selectors import SKILLS_FOR, settings_for, skill_bit, window_slots

# Volunteers have no capacity field in the register: at most this many open assignments.
VOLUNTEER_CAPACITY = 2
ENTITY = "matching.proposal"


def supply_rebuild(*, county_code: str) -> int:
    """Rewrite the supply index of one county from the registers; returns the rows written."""
    from wushe.requests.models import Assignment, AssignmentStatus
    from wushe.volunteers.models import Volunteer, VolunteerSkill, VolunteerStatus

    vols = list(
        Volunteer.objects.filter(
            county_code=county_code, status=VolunteerStatus.ACTIVE, latitude__isnull=False
        ).values_list("pk", "name", "region_id", "latitude", "longitude", "availability")
    )
    skills: dict[int, list[str]] = defaultdict(list)
    bits: dict[int, int] = defaultdict(int)
    for vid, code in VolunteerSkill.objects.filter(county_code=county_code).values_list(
        "volunteer_id", "term__code"
    ):
        skills[vid].append(code)
        bits[vid] |= skill_bit(code)
    stats = {
        row["volunteer_id"]: row
        for row in Assignment.objects.filter(county_code=county_code, volunteer__isnull=False)
        .values("volunteer_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=AssignmentStatus.DONE)),
            rating=Avg("request__rating"),
        )
    }
    now = timezone.now()
    rows = []
    for vid, name, region, lat, lon, avail in vols:
        if lat is None or lon is None:
            continue
        st = stats.get(vid)
        total = st["total"] if st else 0
        done = st["done"] if st else 0
        rating = st["rating"] if st else None
        row = SupplyProfile(
            kind="volunteer",
            ref_id=vid,
            name=name,
            latitude=float(lat),
            longitude=float(lon),
            skills=",".join(sorted(skills.get(vid, []))),
            skill_bits=bits.get(vid, 0),
            availability=avail,
            capacity=VOLUNTEER_CAPACITY,
            load=min(total - done, 32767),
            rating=None if rating is None else float(rating),
            reliability=(done / total) if total else None,
            built_at=now,
        )
        row.place(region)
        rows.append(row)
    with transaction.atomic():
        SupplyProfile.objects.filter(county_code=county_code).delete()
        SupplyProfile.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def settings_save(*, region_code: str, values: dict[str, int], actor: Any) -> MatchingSettings:
    if not rules.may_configure(actor, region_code):
        raise PermissionDenied()
    if not any(values.get(f"weight_{k}", 0) for k in COMPONENTS):
        raise ValidationFailed(_("至少一项权重须大于零。"), code="matching.settings.weights")
    with transaction.atomic(durable=True):
        obj, _created = MatchingSettings.objects.select_for_update().get_or_create(
            region_id=region_code
        )
        for key, value in values.items():
            setattr(obj, key, int(value))
        obj.save()
        audit_record(
            action="matching.settings.saved",
            actor=actor,
            target=obj,
            region_code=region_code,
            changes=dict(values),
        )
    return obj


def _open_requests(region_code: str) -> list[Any]:
    from wushe.requests.models import Assignment, Request, Status

    low, high = codes.scope_range(codes.significant_prefix(region_code))
    return list(
        Request.objects.filter(
            county_code=region_code[:6],
            region_id__gte=low,
            region_id__lte=high,
            status=Status.ACCEPTED,
        )
        .exclude(pk__in=Assignment.objects.filter(county_code=region_code[:6]).values("request_id"))
        .select_related("category")
        .order_by("-priority", "submitted_at", "pk")
    )


def _centres(county_code: str) -> dict[str, tuple[float, float]]:
    rows = (
        SupplyProfile.objects.filter(county_code=county_code)
        .values("region_id")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
    )
    return {r["region_id"]: (float(r["lat"]), float(r["lon"])) for r in rows}


def _familiar(county_code: str, requests: list[Any]) -> dict[int, set[int]]:
    from wushe.requests.models import Assignment

    residents = {r.resident_id for r in requests if r.resident_id}
    out: dict[int, set[int]] = defaultdict(set)
    if residents:
        for resident, vid in Assignment.objects.filter(
            county_code=county_code, request__resident_id__in=residents, volunteer__isnull=False
        ).values_list("request__resident_id", "volunteer_id"):
            out[resident].add(vid)
    return out


def batch_instance(region_code: str) -> tuple[Instance, list[Any], set[int]]:
    """The open requests of a region (to dispatch, nobody assigned) and the indexed
    volunteers of its county as an engine instance; also which needs have an estimated
    location."""
    county = region_code[:6]
    weights, limits = settings_for(region_code)
    requests = _open_requests(region_code)
    centres = _centres(county)
    familiar = _familiar(county, requests)
    now = timezone.now()
    needs: list[Need] = []
    estimated: set[int] = set()
    for r in requests:
        lat = None if r.latitude is None else float(r.latitude)
        lon = None if r.longitude is None else float(r.longitude)
        if lat is None and r.region_id in centres:
            lat, lon = centres[r.region_id]
            estimated.add(r.pk)
        needs.append(
            Need(
                id=str(r.pk),
                lat=lat,
                lon=lon,
                region=r.region_id,
                category=r.category.code,
                skills=SKILLS_FOR.get(r.category.code, ()),
                any_skill=True,
                slots=window_slots(now, r.resolve_due_at),
                priority=int(r.priority or 0) + 1,
                familiar=tuple(str(v) for v in familiar.get(r.resident_id, ())),
            )
        )
    sups: list[Supplier] = []
    located = [n for n in needs if n.lat is not None]
    if located:
        margin = limits.radius_km / 100  # degrees, generous
        lats = [n.lat for n in located if n.lat is not None]
        lons = [n.lon for n in located if n.lon is not None]
        rows = SupplyProfile.objects.filter(
            county_code=county,
            latitude__gte=min(lats) - margin,
            latitude__lte=max(lats) + margin,
            longitude__gte=min(lons) - margin,
            longitude__lte=max(lons) + margin,
        ).values_list(
            "ref_id", "name", "latitude", "longitude", "region_id", "skills", "availability",
            "capacity", "load", "rating", "reliability",
        )  # fmt: skip
        live = _live_load(county)
        for ref, name, lat, lon, region, skills, avail, cap, _load, rating, rel in rows:
            if ref not in live:
                continue  # suspended or withdrawn since the index was built
            sups.append(
                Supplier(
                    id=str(ref),
                    name=name,
                    lat=lat,
                    lon=lon,
                    region=region,
                    skills=tuple(skills.split(",")) if skills else (),
                    availability=avail,
                    capacity=cap,
                    load=live[ref],
                    rating=rating,
                    reliability=rel,
                )
            )
    return Instance(needs, sups, weights, limits), requests, estimated


def _live_load(county_code: str) -> dict[int, int]:
    """Active volunteers of the county with their open assignments, as the registers say now
    (the supply index may be stale; a proposal must never name someone no longer eligible)."""
    from wushe.requests.models import Assignment, AssignmentStatus
    from wushe.volunteers.models import Volunteer, VolunteerStatus

    live = dict.fromkeys(
        Volunteer.objects.filter(
            county_code=county_code, status=VolunteerStatus.ACTIVE
        ).values_list("pk", flat=True),
        0,
    )
    for vid, n in (
        Assignment.objects.filter(county_code=county_code, volunteer__isnull=False)
        .exclude(status=AssignmentStatus.DONE)
        .values("volunteer_id")
        .annotate(n=Count("id"))
        .values_list("volunteer_id", "n")
    ):
        if vid in live:
            live[vid] = n
    return live


def proposal_create(*, region_code: str, actor: Any) -> Proposal:
    """Solve the batch for a township or county and store it as a draft proposal."""
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise NotFound()
    if not rules.may_plan_in(actor, region_code):
        raise PermissionDenied()
    if region.level not in (Region.Level.COUNTY, Region.Level.TOWNSHIP):
        raise ValidationFailed(
            _("派单方案按街道（乡镇）或区县生成。"), code="matching.proposal.level"
        )
    t0 = time.perf_counter()
    inst, requests, estimated = batch_instance(region_code)
    by_id = {str(r.pk): r for r in requests}
    edges = build_edges(inst)
    solution = solve_ours(inst, edges)
    objective = solution.objective(inst)
    seconds = time.perf_counter() - t0
    with transaction.atomic(durable=True):
        proposal = Proposal(created_by=actor, created_at=timezone.now())
        proposal.place(region_code)
        lines = []
        c = solution.chosen
        for e in range(len(c)):
            need, sup = inst.needs[int(c.need[e])], inst.suppliers[int(c.supplier[e])]
            req = by_id[need.id]
            comps = {k: round(float(c.components[e, i]), 3) for i, k in enumerate(COMPONENTS)}
            dist = float(c.distance[e])
            line = ProposalLine(
                request_id=req.pk,
                volunteer_id=int(sup.id),
                priority=need.priority,
                distance_m=round(dist * 1000),
                score=round(float(c.score[e]), 4),
                components=comps,
                reason=reason_text(
                    need=need,
                    supplier=sup,
                    distance_km=dist,
                    components=comps,
                    load=sup.load,
                    estimated=req.pk in estimated,
                )[:300],
            )
            line.place(req.region_id)
            lines.append(line)
        proposal.summary = {
            "needs": len(inst.needs),
            "volunteers": len(inst.suppliers),
            "served": objective["served"],
            "served_priority": objective["served_priority"],
            "cost": objective["cost"],
            "unserved": [by_id[inst.needs[i].id].number for i in solution.unserved][:200],
            "unserved_count": len(solution.unserved),
            "estimated_locations": len(estimated),
            "edges": len(edges),
            "seconds": round(seconds, 3),
        }
        proposal.save()
        for line in lines:
            line.proposal = proposal
        ProposalLine.objects.bulk_create(lines, batch_size=2000)
        audit_record(
            action="matching.proposal.created",
            actor=actor,
            target=proposal,
            region_code=region_code,
            changes={"lines": len(lines), "needs": len(inst.needs)},
        )
    return proposal


def _lock(proposal_id: int, actor: Any) -> Proposal:
    county = Proposal.objects.filter(pk=proposal_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    proposal = Proposal.objects.select_for_update().get(county_code=county, pk=proposal_id)
    if not rules.may_view_proposal(actor, proposal):
        raise NotFound()
    if not rules.may_plan_in(actor, proposal.region_id):
        raise PermissionDenied()
    return proposal


def _invalid(proposal: Proposal) -> Conflict:
    return Conflict(
        _("方案当前状态为“%(status)s”，不能再操作。") % {"status": proposal.get_status_display()},
        code=f"{ENTITY}.invalid_transition",
    )


def _move(proposal: Proposal, to: str, actor: Any) -> None:
    if to not in PROPOSAL_TRANSITIONS[proposal.status]:
        raise _invalid(proposal)
    before = proposal.status
    proposal.status = to
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action=f"matching.proposal.{to}",
        actor=actor,
        target=proposal,
        region_code=proposal.region_id,
        changes={"status": [before, to]},
    )


def proposal_line_decide(*, line_id: int, accept: bool, actor: Any) -> ProposalLine:
    with transaction.atomic(durable=True):
        pid = ProposalLine.objects.filter(pk=line_id).values_list("proposal_id", flat=True).first()
        if pid is None:
            raise NotFound()
        proposal = _lock(pid, actor)
        if proposal.status != ProposalStatus.DRAFT:
            raise _invalid(proposal)
        line = ProposalLine.objects.get(county_code=proposal.county_code, pk=line_id)
        decision = LineDecision.ACCEPTED if accept else LineDecision.REJECTED
        if line.decision != decision:
            line.decision = decision
            line.save(update_fields=["decision"])
            audit_record(
                action="matching.proposal.line_decided",
                actor=actor,
                target=proposal,
                region_code=line.region_id,
                changes={"line": line.pk, "decision": decision},
            )
    return line


def proposal_discard(*, proposal_id: int, actor: Any) -> Proposal:
    with transaction.atomic(durable=True):
        proposal = _lock(proposal_id, actor)
        if proposal.status == ProposalStatus.DISCARDED:
            return proposal
        _move(proposal, ProposalStatus.DISCARDED, actor)
    return proposal


def proposal_confirm(*, proposal_id: int, actor: Any) -> Proposal:
    """Dispatch every line not rejected through the request services (each in its own
    transaction, as those services require), then mark the proposal confirmed. A line whose
    request can no longer be dispatched (or that the actor may not dispatch) keeps the request
    service's message in `outcome`; running it again
    skips the lines already dispatched."""
    from wushe.requests import services as request_services

    with transaction.atomic(durable=True):
        proposal = _lock(proposal_id, actor)
        if proposal.status == ProposalStatus.CONFIRMED:
            return proposal
        if proposal.status != ProposalStatus.DRAFT:
            raise _invalid(proposal)
    lines = list(
        ProposalLine.objects.filter(county_code=proposal.county_code, proposal=proposal)
        .exclude(decision=LineDecision.REJECTED)
        .filter(dispatched=False)
        .order_by("-priority", "id")
    )
    note = _("按派单方案 #%(id)d 派单") % {"id": proposal.pk}
    for line in lines:
        try:
            request_services.request_dispatch(
                request_id=line.request_id,
                actor=actor,
                handlers=[request_services.HandlerSpec("volunteer", line.volunteer_id)],
                note=note,
                batch=True,
            )
        except DomainError as exc:
            line.outcome = str(exc.message)[:200]
            line.save(update_fields=["outcome"])
        else:
            line.dispatched = True
            line.outcome = ""
            line.save(update_fields=["dispatched", "outcome"])
    with transaction.atomic(durable=True):
        proposal = _lock(proposal_id, actor)
        if proposal.status == ProposalStatus.DRAFT:
            _move(proposal, ProposalStatus.CONFIRMED, actor)
    return proposal
