"""Every write about visits: plan settings, enrolment (automatic from the rules and manual),
assignment to visitors, visit records with their follow-up, and the overdue sweep. One
transaction per service with its audit event; notifications through `notify` inside it
(delivered on commit)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.models import RoleGrant
from wushe.accounts.roles import Role
from wushe.accounts.scoping import in_scope
from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wushe.core.idempotency import fingerprint, idempotent_create
from wushe.notifications.services import notify
from wushe.regions import codes
from wushe.residents.models import DisabilityGrade, Resident, ResidentStatus, ResidentTag, Tag

from . import periods, selectors
from .models import (
    FREQUENCY_RANK,
    TAG_GROUP,
    Enrolment,
    EnrolmentSource,
    Frequency,
    FrequencyPolicy,
    Group,
    Method,
    RiskLevel,
    Situation,
    Visit,
    VisitorKind,
    VisitRule,
    WeatherOverride,
)
from .rules import VISITOR_ROLES

RISK_RANK = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}
# A visit's time may run ahead of the server clock by this much (phones set by hand).
CLOCK_SKEW = timedelta(minutes=5)
# How far back a visit may be recorded (a worker catching up after a week in the villages).
MAX_BACKDATE = timedelta(days=62)
VISITOR_KIND_OF_ROLE = {
    Role.COMMUNITY_WORKER: VisitorKind.COMMUNITY_WORKER,
    Role.SOCIAL_WORKER: VisitorKind.SOCIAL_WORKER,
    Role.VOLUNTEER: VisitorKind.VOLUNTEER,
    Role.TOWNSHIP_OFFICER: VisitorKind.COMMUNITY_WORKER,
}


def _announce_bulk(rows: Iterable[Enrolment]) -> None:
    """bulk_create and update() send no signals; announce one changed row per county, inside
    the caller's transaction, so listeners that work per county (the indicators' dirty marks)
    hear about a bulk change as they would about a save."""
    seen: set[str] = set()
    for row in rows:
        if row.county_code not in seen:
            seen.add(row.county_code)
            post_save.send(sender=Enrolment, instance=row, created=False, update_fields=None)


def _forbidden(message: Any = None) -> PermissionDenied:
    return PermissionDenied(message or _("您不能执行此探访操作。"), code="visits.forbidden")


def _invalid(field_name: str, code: str, message: Any) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field_name: [str(message)]})


def _text(raw: object, field_name: str, label: str, limit: int, *, required: bool = False) -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise _invalid(
            field_name, f"visits.{field_name}.required", _("请填写%(l)s。") % {"l": label}
        )
    if len(value) > limit:
        raise _invalid(
            field_name,
            f"visits.{field_name}.too_long",
            _("%(l)s不能超过 %(n)d 个字。") % {"l": label, "n": limit},
        )
    return value


def _region_code(raw: object) -> str:
    try:
        return codes.normalize(raw)
    except Exception as exc:
        raise _invalid("region", "visits.region.invalid", _("区划代码不正确。")) from exc


def _plan_region(raw: object, actor: Any) -> str:
    """The region whose visit plan the actor changes. Permission comes first: a role that may
    not plan anywhere is refused before the input is looked at, and a region outside the
    actor's scope before the rest of the input is; only then is the input validated."""
    if not actor.has_perm("visits.view_plan"):
        raise _forbidden(_("您不能修改该区划的探访计划。"))
    region = _region_code(raw)
    if not actor.has_perm("visits.change_plan", region):
        raise _forbidden(_("您不能修改该区划的探访计划。"))
    return region


def _lock_enrolment(enrolment_id: int, actor: Any, perm: str) -> Enrolment:
    county = Enrolment.objects.filter(pk=enrolment_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    enrolment = Enrolment.objects.select_for_update().get(county_code=county, pk=enrolment_id)
    _check_enrolment(enrolment, actor, perm)
    return enrolment


def _check_enrolment(enrolment: Enrolment, actor: Any, perm: str) -> None:
    """404 when the actor may not see the enrolment, 403 when they may see but not act."""
    if not actor.has_perm("visits.view_enrolment", enrolment):
        raise NotFound()
    if not actor.has_perm(perm, enrolment):
        raise _forbidden()


def _link(enrolment: Enrolment) -> str:
    return reverse("visits:enrolment", args=[enrolment.pk])


# --- plan settings --------------------------------------------------------------------------


def plan_rule_set(
    *,
    region_code: object,
    tag: str,
    risk_level: str,
    severe_only: bool = False,
    active: bool = True,
    actor: Any,
) -> VisitRule:
    """Set which risk level a tag enrols at in a region (and below). Takes effect for new
    enrolments at the next sweep (`enrolments_sync`)."""
    region = _plan_region(region_code, actor)
    if tag not in Tag.values:
        raise _invalid("tag", "visits.tag.invalid", _("困难群体标签不正确。"))
    if risk_level not in RiskLevel.values:
        raise _invalid("risk_level", "visits.risk_level.invalid", _("风险等级不正确。"))
    if severe_only and tag != Tag.DISABLED:
        raise _invalid(
            "severe_only", "visits.severe_only.invalid", _("只有残疾人可限定为重度残疾。")
        )
    with transaction.atomic(durable=True):
        rule = VisitRule.objects.select_for_update().filter(region_id=region, tag=tag).first()
        if rule is None:
            rule = VisitRule(tag=tag)
            rule.place(region)
        rule.risk_level = risk_level
        rule.severe_only = severe_only
        rule.active = active
        rule.save()
        audit_record(
            action="visits.rule.set",
            actor=actor,
            target=rule,
            region_code=region,
            changes={
                "tag": tag,
                "risk_level": risk_level,
                "severe_only": severe_only,
                "active": active,
            },
        )
    return rule


def plan_frequency_set(
    *, region_code: object, risk_level: str, frequency: str, actor: Any
) -> FrequencyPolicy:
    """Set how often a risk level is visited in a region (and below); current enrolments
    there follow at once."""
    region = _plan_region(region_code, actor)
    if risk_level not in RiskLevel.values:
        raise _invalid("risk_level", "visits.risk_level.invalid", _("风险等级不正确。"))
    if frequency not in Frequency.values:
        raise _invalid("frequency", "visits.frequency.invalid", _("探访频次不正确。"))
    with transaction.atomic(durable=True):
        policy = (
            FrequencyPolicy.objects.select_for_update()
            .filter(region_id=region, risk_level=risk_level)
            .first()
        )
        if policy is None:
            policy = FrequencyPolicy(risk_level=risk_level)
            policy.place(region)
        before = policy.frequency
        policy.frequency = frequency
        policy.save()
        changed = _refresh_frequencies(codes.significant_prefix(region))
        audit_record(
            action="visits.frequency.set",
            actor=actor,
            target=policy,
            region_code=region,
            changes={
                "risk_level": risk_level,
                "frequency": [before, frequency],
                "enrolments_changed": changed,
            },
        )
    return policy


def _refresh_frequencies(prefix: str) -> int:
    """Bring the regular frequency of current enrolments under `prefix` in step with the
    policies; returns how many changed. One UPDATE per (community, risk level) that differs."""
    changed = 0
    communities = (
        Enrolment.objects.filter(selectors.region_q(prefix), ended_on__isnull=True)
        .order_by()
        .values_list("region_id", flat=True)
        .distinct()
    )
    plan = selectors.Plan(prefix)
    counties: set[str] = set()
    for community in communities:
        for risk, frequency in plan.frequencies(community).items():
            n = (
                Enrolment.objects.filter(
                    county_code=community[:6],
                    region_id=community,
                    risk_level=risk,
                    ended_on__isnull=True,
                )
                .exclude(frequency=frequency)
                .update(frequency=frequency, updated_at=timezone.now())
            )
            if n:
                counties.add(community[:6])
                changed += n
    for county in sorted(counties):
        _announce_bulk(Enrolment.objects.filter(county_code=county)[:1])
    return changed


def override_create(
    *,
    region_code: object,
    frequency: str,
    starts_on: date,
    ends_on: date,
    reason: object,
    actor: Any,
) -> WeatherOverride:
    """Tighten visits region-wide for a while (extreme weather, holidays) and tell the
    visitors whose people it touches."""
    region = _plan_region(region_code, actor)
    text = _text(reason, "reason", _("原因"), 200, required=True)
    if frequency not in Frequency.values:
        raise _invalid("frequency", "visits.frequency.invalid", _("探访频次不正确。"))
    if ends_on < starts_on:
        raise _invalid("ends_on", "visits.override.dates", _("结束日期不能早于开始日期。"))
    if (ends_on - starts_on).days > 92:
        raise _invalid("ends_on", "visits.override.too_long", _("临时加密探访最长三个月。"))
    with transaction.atomic(durable=True):
        override = WeatherOverride(
            frequency=frequency,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=text,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        override.place(region)
        override.save()
        audit_record(
            action="visits.override.created",
            actor=actor,
            target=override,
            region_code=region,
            changes={
                "frequency": frequency,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "reason": text,
            },
        )
        rank = FREQUENCY_RANK[Frequency(frequency)]
        looser = [f for f, r in FREQUENCY_RANK.items() if r > rank]
        visitors = set(
            Enrolment.objects.filter(
                selectors.region_q(codes.significant_prefix(region)),
                ended_on__isnull=True,
                visitor__isnull=False,
                frequency__in=looser,
            ).values_list("visitor_id", flat=True)
        )
        if visitors:
            notify(
                recipients=sorted(visitors),
                kind="visits.override",
                title=_("临时加密探访：%(reason)s（%(start)s 至 %(end)s，%(freq)s）")
                % {
                    "reason": text,
                    "start": starts_on.isoformat(),
                    "end": ends_on.isoformat(),
                    "freq": Frequency(frequency).label,
                },
                link=reverse("visits:due"),
                region_code=region,
            )
    return override


def override_end(*, override_id: int, actor: Any, today: date | None = None) -> WeatherOverride:
    """End an override early (today is its last day). Ending an ended one is a no-op."""
    day = today or timezone.localdate()
    with transaction.atomic(durable=True):
        override = WeatherOverride.objects.select_for_update().filter(pk=override_id).first()
        if override is None or not in_scope(actor, override.region_id):
            raise NotFound()
        if not actor.has_perm("visits.change_plan", override.region_id):
            raise _forbidden(_("您不能修改该区划的探访计划。"))
        if override.ends_on <= day:
            return override
        before = override.ends_on
        override.ends_on = max(day, override.starts_on)
        override.save(update_fields=["ends_on"])
        audit_record(
            action="visits.override.ended",
            actor=actor,
            target=override,
            region_code=override.region_id,
            changes={"ends_on": [before.isoformat(), override.ends_on.isoformat()]},
        )
    return override


# --- enrolment ------------------------------------------------------------------------------


@dataclass
class SyncReport:
    enrolled: int = 0
    updated: int = 0
    ended: int = 0


def _qualifying(prefix: str, today: date) -> dict[int, tuple[str, str, list[str]]]:
    """resident id -> (community, risk level, tags) for active residents under `prefix` whose
    current tags match an active rule of their community."""
    tags = (
        ResidentTag.objects.filter(
            selectors.region_q(prefix),
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            start_date__lte=today,
            resident__status=ResidentStatus.ACTIVE,
        )
        .order_by()
        .values_list("resident_id", "region_id", "tag", "disability_grade")
    )
    plan = selectors.Plan(prefix)
    found: dict[int, tuple[str, str, list[str]]] = {}
    for resident_id, region, tag, grade in tags:
        rule = plan.rules(region).get(tag)
        if rule is None or not rule[2]:
            continue
        risk, severe_only, _active = rule
        if severe_only and grade not in (DisabilityGrade.GRADE_1, DisabilityGrade.GRADE_2):
            continue
        if resident_id in found:
            _region, old_risk, old_tags = found[resident_id]
            if RISK_RANK[RiskLevel(risk)] < RISK_RANK[RiskLevel(old_risk)]:
                old_risk = risk
            found[resident_id] = (region, old_risk, sorted({*old_tags, tag}))
        else:
            found[resident_id] = (region, risk, [tag])
    return found


def _group_of(tags: list[str]) -> str:
    for group in (Group.ELDERLY, Group.CHILDREN, Group.DISABLED):
        if any(TAG_GROUP.get(t) == group for t in tags):
            return group
    return Group.OTHER


def enrolments_sync(*, prefix: str = "", today: date | None = None) -> SyncReport:
    """Automatic enrolment from the rules (a system job: `wushe visits sweep`): residents who
    qualify are enrolled; rule-based enrolments whose people no longer qualify (tag ended,
    moved out, deceased) end; risk levels follow the rules; manual enrolments end only when
    their resident is no longer active. Idempotent."""
    day = today or timezone.localdate()
    report = SyncReport()
    with transaction.atomic(durable=True):
        wanted = _qualifying(prefix, day)
        current = {
            e.resident_id: e
            for e in Enrolment.objects.select_for_update()
            .filter(selectors.region_q(prefix), ended_on__isnull=True)
            .select_related("resident")
        }
        plan = selectors.Plan(prefix)

        def frequency(region: str, risk: str) -> str:
            return plan.frequencies(region)[risk]

        new: list[Enrolment] = []
        for resident_id, (region, risk, tags) in wanted.items():
            existing = current.get(resident_id)
            if existing is None:
                row = Enrolment(
                    resident_id=resident_id,
                    group=_group_of(tags),
                    tags=tags,
                    risk_level=risk,
                    frequency=frequency(region, risk),
                    source=EnrolmentSource.RULE,
                    enrolled_on=day,
                )
                row.place(region)
                new.append(row)
            elif existing.source == EnrolmentSource.RULE and (
                existing.tags != tags or existing.risk_level != risk
            ):
                existing.tags = tags
                existing.group = _group_of(tags)
                existing.risk_level = risk
                existing.frequency = frequency(existing.region_id, risk)
                existing.save(
                    update_fields=["tags", "group", "risk_level", "frequency", "updated_at"]
                )
                report.updated += 1
        Enrolment.objects.bulk_create(new, batch_size=1000)
        _announce_bulk(new)
        report.enrolled = len(new)
        for resident_id, enrolment in current.items():
            inactive = enrolment.resident.status != ResidentStatus.ACTIVE
            gone = enrolment.source == EnrolmentSource.RULE and resident_id not in wanted
            if inactive or gone:
                enrolment.ended_on = max(day, enrolment.enrolled_on)
                enrolment.end_reason = _("居民已不在册") if inactive else _("不再符合纳入规则")
                enrolment.save(update_fields=["ended_on", "end_reason", "updated_at"])
                report.ended += 1
        if report.enrolled or report.updated or report.ended:
            audit_record(
                action="visits.enrolments.synced",
                region_code=prefix.ljust(12, "0") if prefix else "",
                changes={
                    "enrolled": report.enrolled,
                    "updated": report.updated,
                    "ended": report.ended,
                },
            )
    return report


def enrolment_create(
    *, resident_id: int, risk_level: str, note: object = "", actor: Any, today: date | None = None
) -> Enrolment:
    """Put a resident on the visit list by hand (e.g. a neighbour's report of an elder in
    trouble who carries no tag yet)."""
    day = today or timezone.localdate()
    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None or not actor.has_perm("residents.view_resident", resident):
        raise NotFound()
    if not actor.has_perm("visits.manage_enrolment", resident):
        raise _forbidden()
    # The input is looked at only once the actor may enrol this resident (permission first).
    if risk_level not in RiskLevel.values:
        raise _invalid("risk_level", "visits.risk_level.invalid", _("风险等级不正确。"))
    text = _text(note, "note", _("备注"), 200)
    if resident.status != ResidentStatus.ACTIVE:
        raise Conflict(_("该居民已不在册，不能纳入探访。"), code="visits.resident_inactive")
    with transaction.atomic(durable=True):
        Resident.objects.select_for_update().filter(
            county_code=resident.county_code, pk=resident.pk
        ).first()
        if Enrolment.objects.filter(resident=resident, ended_on__isnull=True).exists():
            raise Conflict(_("该居民已在探访名单中。"), code="visits.already_enrolled")
        tags = sorted(
            set(
                ResidentTag.objects.filter(resident=resident, end_date__isnull=True).values_list(
                    "tag", flat=True
                )
            )
        )
        enrolment = Enrolment(
            resident=resident,
            group=_group_of(tags),
            tags=tags,
            risk_level=risk_level,
            frequency=selectors.frequencies_for(resident.region_id)[risk_level],
            source=EnrolmentSource.MANUAL,
            enrolled_on=day,
            note=text,
        )
        enrolment.place(resident.region_id)
        enrolment.save()
        audit_record(
            action="visits.enrolment.created",
            actor=actor,
            target=enrolment,
            region_code=enrolment.region_id,
            changes={"resident": resident.pk, "risk_level": risk_level, "source": "manual"},
        )
    return enrolment


def enrolment_assign(
    *, enrolment_id: int, visitor_id: int | None, actor: Any, visitor_kind: str = ""
) -> Enrolment:
    """Make a user responsible for visiting (or nobody, with visitor_id None). The visitor
    must hold a visitor role (community worker, social worker, volunteer, township officer) on
    the community or above; `visitor_kind` may say 网格员 for a community worker."""
    with transaction.atomic(durable=True):
        enrolment = _lock_enrolment(enrolment_id, actor, "visits.manage_enrolment")
        if enrolment.ended_on is not None:
            raise Conflict(_("该对象已退出探访。"), code="visits.enrolment_ended")
        kind = ""
        if visitor_id is not None:
            grant = (
                RoleGrant.objects.filter(
                    user_id=visitor_id,
                    role__in=sorted(VISITOR_ROLES),
                    region_id__in=[enrolment.region_id, *codes.ancestor_codes(enrolment.region_id)],
                    revoked_at__isnull=True,
                    user__is_active=True,
                )
                .order_by("role")
                .first()
            )
            if grant is None:
                raise _invalid(
                    "visitor",
                    "visits.visitor.ineligible",
                    _("该用户不是本社区的社工、社区工作者、网格员或志愿者。"),
                )
            kind = VISITOR_KIND_OF_ROLE[Role(grant.role)]
            if visitor_kind == VisitorKind.GRID_WORKER and grant.role == Role.COMMUNITY_WORKER:
                kind = VisitorKind.GRID_WORKER
        if enrolment.visitor_id == visitor_id and enrolment.visitor_kind == kind:
            return enrolment
        before = enrolment.visitor_id
        enrolment.visitor_id = visitor_id
        enrolment.visitor_kind = kind
        enrolment.save(update_fields=["visitor", "visitor_kind", "updated_at"])
        audit_record(
            action="visits.enrolment.assigned",
            actor=actor,
            target=enrolment,
            region_code=enrolment.region_id,
            changes={"visitor": [before, visitor_id], "kind": kind},
        )
        if visitor_id is not None and visitor_id != getattr(actor, "pk", None):
            notify(
                recipients=[visitor_id],
                kind="visits.assigned",
                title=_("您有一位新的探访对象（%(freq)s探访）")
                % {"freq": Frequency(enrolment.frequency).label},
                link=_link(enrolment),
                region_code=enrolment.region_id,
                target=enrolment,
            )
    return enrolment


def enrolment_end(
    *, enrolment_id: int, reason: object, actor: Any, today: date | None = None
) -> Enrolment:
    """Take someone off the list (moved into a care home, family back home …). Ending an
    ended enrolment is a no-op. A rule-based enrolment of someone who still qualifies comes
    back at the next sweep unless the rule changes: say so in the reason and fix the tag."""
    day = today or timezone.localdate()
    with transaction.atomic(durable=True):
        enrolment = _lock_enrolment(enrolment_id, actor, "visits.manage_enrolment")
        text = _text(reason, "reason", _("退出原因"), 200, required=True)  # permission first
        if enrolment.ended_on is not None:
            return enrolment
        enrolment.ended_on = max(day, enrolment.enrolled_on)
        enrolment.end_reason = text
        enrolment.save(update_fields=["ended_on", "end_reason", "updated_at"])
        audit_record(
            action="visits.enrolment.ended",
            actor=actor,
            target=enrolment,
            region_code=enrolment.region_id,
            changes={"reason": text},
        )
    return enrolment


# --- visits ---------------------------------------------------------------------------------


def visit_record(
    *,
    enrolment_id: int,
    method: str,
    actor: Any,
    visited_at: datetime | None = None,
    findings: object = "",
    situation: str = Situation.NORMAL,
    idempotency_key: str = "",
) -> tuple[Visit, bool]:
    """Record a visit; returns (visit, created). A retry with the same idempotency key
    returns the first visit. `visited_at` defaults to now; its Shanghai day is what counts."""
    # Permission first: whoever may not record a visit for this enrolment is refused before
    # the input is looked at (the lock in create() checks again).
    seen = Enrolment.objects.filter(pk=enrolment_id).first()
    if seen is None:
        raise NotFound()
    _check_enrolment(seen, actor, "visits.record_visit")
    county = seen.county_code
    now = timezone.now()
    at = visited_at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if method not in Method.values:
        raise _invalid("method", "visits.method.invalid", _("请选择探访方式。"))
    if situation not in Situation.values:
        raise _invalid("situation", "visits.situation.invalid", _("探访情况不正确。"))
    if at > now + CLOCK_SKEW:
        raise _invalid("visited_at", "visits.visited_at.future", _("探访时间不能晚于现在。"))
    if at < now - MAX_BACKDATE:
        raise _invalid("visited_at", "visits.visited_at.too_old", _("只能补录两个月内的探访。"))
    text = _text(findings, "findings", _("探访记录"), 2000)
    if situation != Situation.NORMAL and not text:
        raise _invalid(
            "findings", "visits.findings.required", _("情况需要关注时，请写明发现的问题。")
        )
    day = periods.local_day(at)
    print_ = fingerprint(
        {
            "enrolment": enrolment_id,
            "method": method,
            "at": at,
            "findings": text,
            "situation": situation,
        }
    )
    user = actor if getattr(actor, "is_authenticated", False) else None

    def create() -> Visit:
        enrolment = _lock_enrolment(enrolment_id, actor, "visits.record_visit")
        if enrolment.ended_on is not None:
            raise Conflict(_("该对象已退出探访，不能再记录。"), code="visits.enrolment_ended")
        if day < enrolment.enrolled_on:
            raise _invalid(
                "visited_at", "visits.visited_at.before_enrolment", _("探访时间早于纳入日期。")
            )
        visit = Visit(
            enrolment=enrolment,
            visitor=user,
            visitor_label=(user.display_name or user.get_username()) if user else _("系统"),
            visited_at=at,
            visited_on=day,
            method=method,
            situation=situation,
            findings=text,
            idempotency_key=idempotency_key,
            idempotency_fingerprint=print_ if idempotency_key else "",
        )
        visit.place(enrolment.region_id)
        visit.save(force_insert=True)
        # Saved even when the day is not later: the save is what tells listeners (the
        # indicators' dirty marks) that this person's visit counts changed.
        if enrolment.last_visited_on is None or day > enrolment.last_visited_on:
            enrolment.last_visited_on = day
        enrolment.save(update_fields=["last_visited_on", "updated_at"])
        audit_record(
            action="visits.visit.recorded",
            actor=actor,
            target=visit,
            region_code=visit.region_id,
            changes={
                "enrolment": enrolment.pk,
                "method": method,
                "situation": situation,
                "visited_on": day.isoformat(),
            },
        )
        if situation == Situation.URGENT:
            workers = _community_workers(enrolment.region_id)
            wanted = [uid for uid in workers if uid != getattr(user, "pk", None)]
            if wanted:
                notify(
                    recipients=wanted,
                    kind="visits.urgent",
                    title=_("探访发现紧急情况，请尽快处置"),
                    link=_link(enrolment),
                    region_code=enrolment.region_id,
                    target=enrolment,
                )
        return visit

    return idempotent_create(
        model=Visit,
        county_code=county,
        actor=user,
        key=idempotency_key,
        fingerprint=print_,
        create=create,
        actor_field="visitor",
    )


def _community_workers(region_code: str) -> list[int]:
    return list(
        RoleGrant.objects.filter(
            role=Role.COMMUNITY_WORKER, region_id=region_code, revoked_at__isnull=True
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


def visit_raise_request(
    *, visit_id: int, category: object, description: object, actor: Any, urgency: str = "normal"
) -> Any:
    """Raise a visit's follow-up need as a request of 民呼我为 (channel 上门, for the visited
    resident). Idempotent per visit: a visit raises at most one request; asking again returns
    it. The request service runs its own transaction; the link is written after it."""
    from wushe.requests.models import Channel, Request
    from wushe.requests.services import request_submit

    visit = selectors.visit_get(user=actor, visit_id=visit_id)
    if not actor.has_perm("visits.record_visit", visit.enrolment):
        raise _forbidden()
    if visit.follow_up_request_id is not None:
        return Request.objects.get(pk=visit.follow_up_request_id)
    request, _created = request_submit(
        actor=actor,
        region_code=visit.region_id,
        category=category,
        description=description,
        urgency=urgency,
        channel=Channel.VISIT,
        resident_id=visit.enrolment.resident_id,
        idempotency_key=f"visit-{visit.pk}",
    )
    with transaction.atomic(durable=True):
        locked = Visit.objects.select_for_update().get(county_code=visit.county_code, pk=visit.pk)
        if locked.follow_up_request_id is None:
            locked.follow_up_request = request
            locked.save(update_fields=["follow_up_request"])
            audit_record(
                action="visits.visit.request_raised",
                actor=actor,
                target=locked,
                region_code=locked.region_id,
                changes={"request": request.number},
            )
    return request


def visit_raise_need(
    *, visit_id: int, category: object, title: object, description: object = "", actor: Any
) -> Any:
    """Put a need a visit found into the needs database (source 探访, for the visited
    resident), in this service's transaction. Idempotent per visit: asking again returns the
    need already raised."""
    from wushe.needs.models import Need, Source
    from wushe.needs.services import need_create

    visit = selectors.visit_get(user=actor, visit_id=visit_id)
    if not actor.has_perm("visits.record_visit", visit.enrolment):
        raise _forbidden()
    with transaction.atomic(durable=True):
        locked = Visit.objects.select_for_update().get(county_code=visit.county_code, pk=visit.pk)
        if locked.follow_up_need_id is not None:
            return Need.objects.get(pk=locked.follow_up_need_id)
        need = need_create(
            region_code=locked.region_id,
            category=category,  # type: ignore[arg-type]
            title=_text(title, "title", _("需求标题"), 100, required=True),
            description=_text(description, "description", _("需求说明"), 2000),
            source=Source.VISIT,
            source_ref=str(locked.pk),
            resident_id=visit.enrolment.resident_id,
            actor=actor,
            checked_by_caller=True,
            nested=True,
        )
        locked.follow_up_need_id = need.pk
        locked.save(update_fields=["follow_up_need_id"])
        audit_record(
            action="visits.visit.need_raised",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"need": need.pk},
        )
    return need


# --- sweep ----------------------------------------------------------------------------------


@dataclass
class SweepReport:
    sync: SyncReport = field(default_factory=SyncReport)
    overdue: int = 0
    alerted: int = 0
    notified_users: int = 0


def visits_sweep(*, today: date | None = None) -> SweepReport:
    """The scheduled job (`wushe visits sweep`, beat task `visits.sweep`): enrol from the
    rules, then alert once per missed period: each visitor about their overdue people, and the
    community's workers about overdue people with no visitor. Idempotent within a period."""
    day = today or timezone.localdate()
    report = SweepReport()
    # One county per transaction: short locks, and a failure in one county leaves the rest.
    counties = set(
        ResidentTag.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .order_by()
        .values_list("county_code", flat=True)
        .distinct()
    ) | set(
        Enrolment.objects.filter(ended_on__isnull=True)
        .order_by()
        .values_list("county_code", flat=True)
        .distinct()
    )
    for county in sorted(counties):
        part = enrolments_sync(prefix=county, today=day)
        report.sync.enrolled += part.enrolled
        report.sync.updated += part.updated
        report.sync.ended += part.ended
    with transaction.atomic(durable=True):
        qs: QuerySet[Any] = selectors.with_due(
            Enrolment.objects.filter(ended_on__isnull=True), today=day, overrides=[]
        ).filter(overdue=1)
        report.overdue = qs.count()
        fresh = list(
            qs.values_list("pk", "region_id", "visitor_id", "previous_start", "alerted_period")
        )
        by_user: dict[int, list[int]] = defaultdict(list)
        by_community: dict[str, list[int]] = defaultdict(list)
        to_mark: dict[date, list[int]] = defaultdict(list)
        for pk, region, visitor, previous_start, alerted in fresh:
            if alerted is not None and alerted >= previous_start:
                continue
            to_mark[previous_start].append(pk)
            if visitor is not None:
                by_user[visitor].append(pk)
            else:
                by_community[region].append(pk)
        for previous_start, pks in to_mark.items():
            Enrolment.objects.filter(pk__in=pks).update(alerted_period=previous_start)
            report.alerted += len(pks)
        link = reverse("visits:due") + "?bucket=overdue"
        for user_id, pks in by_user.items():
            notify(
                recipients=[user_id],
                kind="visits.overdue",
                title=_("您有 %(n)d 位探访对象已逾期未探访") % {"n": len(pks)},
                link=link + "&mine=1",
            )
            report.notified_users += 1
        for region, pks in by_community.items():
            workers = _community_workers(region)
            if workers:
                notify(
                    recipients=workers,
                    kind="visits.overdue_unassigned",
                    title=_("本社区有 %(n)d 位未分配责任人的探访对象已逾期") % {"n": len(pks)},
                    link=link,
                    region_code=region,
                )
                report.notified_users += len(workers)
        if report.alerted:
            audit_record(
                action="visits.overdue.alerted",
                changes={"alerted": report.alerted, "overdue": report.overdue},
            )
    return report


def last_visits_rebuild(*, prefix: str = "") -> int:
    """Recompute `Enrolment.last_visited_on` from the visits (a check after imports or the
    demo). Returns how many rows changed."""
    changed = 0
    with transaction.atomic(durable=True):
        latest = dict(
            Visit.objects.filter(selectors.region_q(prefix))
            .order_by()
            .values("enrolment_id")
            .annotate(last=Max("visited_on"))
            .values_list("enrolment_id", "last")
        )
        rows = Enrolment.objects.filter(selectors.region_q(prefix)).only("pk", "last_visited_on")
        stale = []
        for row in rows:
            want = latest.get(row.pk)
            if row.last_visited_on != want:
                row.last_visited_on = want
                stale.append(row)
        Enrolment.objects.bulk_update(stale, ["last_visited_on"], batch_size=1000)
        changed = len(stale)
    return changed
