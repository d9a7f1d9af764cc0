"""Every write of the project database. One service per transition (models.TRANSITIONS and
CALL_TRANSITIONS); each locks its rows in one fixed order (call → assistance budget →
project), checks role and scope (rules.py), is a no-op when the transition already happened,
raises 409 `project.invalid_transition` when the status forbids it, and writes the audit event
in the same transaction.

Money rules enforced here, not just displayed:
- a call's approved budgets never sum above its budget (`project.call_budget_exceeded`);
- projects paid from social-assistance funds never sum above the configured share of the
  county's social-assistance funds for the year (`project.assistance_share_exceeded`);
- a project never spends above its approved budget (`project.over_budget`), also when two
  expenditures race: both lock the project row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.models import User
from wushe.audit.services import audit_record
from wushe.charity.money import MAX_FEN, format_fen
from wushe.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wushe.core.idempotency import fingerprint, idempotent_create
from wushe.core.images import AcceptedImage, StoredImage, image_delete, image_store
from wushe.organizations.models import GradeState, LegalStatus, Organization
from wushe.regions.models import Region

from . import rules
from .models import (
    CALL_TRANSITIONS,
    DEFAULT_ASSISTANCE_SHARE_BP,
    FUNDED_STATUSES,
    Action,
    Activity,
    AssistanceBudget,
    Call,
    CallAction,
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
    transition_target,
)

GRADES = ("1A", "2A", "3A", "4A", "5A")


# --- shared pieces --------------------------------------------------------------------------


def _now() -> Any:
    return timezone.now()


def _user(actor: Any) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


def _invalid(label: str, status_label: Any, action_label: Any) -> Conflict:
    return Conflict(
        _("%(what)s当前为“%(status)s”，不能%(action)s。")
        % {"what": label, "status": status_label, "action": action_label},
        code="project.invalid_transition",
    )


def _forbidden(message: Any = None) -> PermissionDenied:
    return PermissionDenied(message or _("您不能对该项目执行此操作。"), code="project.forbidden")


def _require(allowed: bool) -> None:
    if not allowed:
        raise _forbidden()


def _invalid_field(field: str, code: str, message: Any) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [str(message)]})


def _text(raw: object, field: str, label: Any, limit: int, *, required: bool = True) -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise _invalid_field(
            field, f"project.{field}.required", _("请填写%(label)s。") % {"label": label}
        )
    if len(value) > limit:
        raise _invalid_field(
            field,
            f"project.{field}.too_long",
            _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": limit},
        )
    return value


def _fen(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid_field(field, "project.amount.integer", _("金额必须是以分为单位的整数。"))
    if value <= 0:
        raise _invalid_field(field, "project.amount.positive", _("金额必须大于零。"))
    if value > MAX_FEN:
        raise _invalid_field(field, "project.amount.too_large", _("金额过大，请核对。"))
    return value


def _audit(obj: Any, verb: str, actor: Any, changes: dict[str, Any]) -> None:
    audit_record(
        action=f"projects.{obj._meta.model_name}.{verb}",
        actor=actor,
        target=obj,
        region_code=obj.region_id,
        changes=changes,
    )


def _lock_call(call_id: int) -> Call:
    county = Call.objects.filter(pk=call_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    return Call.objects.select_for_update().get(county_code=county, pk=call_id)


def _lock_project(project_id: int, actor: Any, *, system: bool = False) -> Project:
    """The project row locked for the transaction (with its call, not locked), or NotFound
    when it does not exist or the actor may not see it."""
    county = Project.objects.filter(pk=project_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("call")
        .get(county_code=county, pk=project_id)
    )
    if not system and not rules.may_view(actor, project):
        raise NotFound()
    return project


def _target(project: Project, action: str, label: Any) -> str:
    to = transition_target(action, project.status)
    if to is None:
        raise _invalid(_("项目"), project.get_status_display(), label)
    return to


def _move(project: Project, to: str, actor: Any, verb: str, fields: Sequence[str] = ()) -> None:
    before = project.status
    project.status = to
    project.save(update_fields=["status", "updated_at", *fields])
    _audit(project, verb, actor, {"status": [before, to]})


# --- calls ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallInput:
    region_code: str
    kind: str
    title: str
    funder: str
    year: int
    budget_fen: int
    funding_source: str = FundingSource.FISCAL
    description: str = ""
    eligibility: str = ""
    grade_policy: str = GradePolicy.NONE
    grade_min: str = ""
    min_reviews: int = 2
    resident_weight_pct: int = 60
    opens_on: date | None = None
    closes_on: date | None = None


def call_create(*, data: CallInput, actor: Any) -> Call:
    if not Region.objects.filter(code=data.region_code).exists():
        raise _invalid_field("region", "project.call.region_invalid", _("区划不存在。"))
    if not rules.in_scope(actor, data.region_code, rules.MANAGER_ROLES):
        raise _forbidden(_("您不能在该区划发布项目申报。"))
    if data.kind not in CallKind.values:
        raise _invalid_field("kind", "project.call.kind_invalid", _("类型不正确。"))
    if data.funding_source not in FundingSource.values:
        raise _invalid_field("funding_source", "project.call.source_invalid", _("资金来源不正确。"))
    if data.grade_policy not in GradePolicy.values or (
        data.grade_policy != GradePolicy.NONE and data.grade_min not in GRADES
    ):
        raise _invalid_field("grade_min", "project.call.grade_invalid", _("请选择最低等级。"))
    if not 1 <= data.min_reviews <= 20 or not 0 <= data.resident_weight_pct <= 100:
        raise _invalid_field("min_reviews", "project.call.review_rules", _("评审规则不正确。"))
    if not 2000 <= data.year <= 2100:
        raise _invalid_field("year", "project.call.year_invalid", _("年度不正确。"))
    call = Call(
        kind=data.kind,
        title=_text(data.title, "title", _("名称"), 200),
        funder=_text(data.funder, "funder", _("资助方"), 200),
        funding_source=data.funding_source,
        year=data.year,
        budget_fen=_fen(data.budget_fen, "budget_fen"),
        description=_text(data.description, "description", _("说明"), 5000, required=False),
        eligibility=_text(data.eligibility, "eligibility", _("申报条件"), 5000, required=False),
        grade_policy=data.grade_policy,
        grade_min=data.grade_min if data.grade_policy != GradePolicy.NONE else "",
        min_reviews=data.min_reviews,
        resident_weight_pct=data.resident_weight_pct,
        opens_on=data.opens_on,
        closes_on=data.closes_on,
        created_by=_user(actor),
    )
    call.place(data.region_code)
    with transaction.atomic(durable=True):
        call.save()
        _audit(call, "created", actor, {"title": call.title, "budget_fen": call.budget_fen})
    return call


def _call_move(call_id: int, actor: Any, action: str, label: Any, verb: str) -> Call:
    with transaction.atomic(durable=True):
        call = _lock_call(call_id)
        if not rules.may_manage_call(actor, call):
            if rules.in_scope(actor, call.region_id):
                raise _forbidden()
            raise NotFound()
        to = CALL_TRANSITIONS[action].get(call.status)
        if to is None:
            done = {
                CallAction.STOP_INTAKE: CallStatus.REVIEWING,
                CallAction.CLOSE: CallStatus.CLOSED,
            }
            if call.status == done[CallAction(action)]:
                return call  # repeating a transition that already happened
            raise _invalid(_("项目申报"), call.get_status_display(), label)
        before = call.status
        call.status = to
        call.save(update_fields=["status"])
        _audit(call, verb, actor, {"status": [before, to]})
    return call


def call_stop_intake(*, call_id: int, actor: Any) -> Call:
    return _call_move(call_id, actor, CallAction.STOP_INTAKE, _("截止申报"), "intake_stopped")


def call_close(*, call_id: int, actor: Any) -> Call:
    return _call_move(call_id, actor, CallAction.CLOSE, _("结束本轮"), "closed")


def panel_add(*, call_id: int, user_id: int, actor: Any) -> PanelMember:
    with transaction.atomic(durable=True):
        call = _lock_call(call_id)
        _require(rules.may_manage_call(actor, call))
        if not User.objects.filter(pk=user_id, is_active=True).exists():
            raise _invalid_field("user", "project.panel.user_invalid", _("用户不存在。"))
        member, created = PanelMember.objects.get_or_create(
            county_code=call.county_code, call=call, user_id=user_id
        )
        if created:
            _audit(call, "panel_added", actor, {"user": user_id})
    return member


def assistance_budget_set(
    *, county_code: str, year: int, total_fen: int, actor: Any, share_bp: int | None = None
) -> AssistanceBudget:
    """Record the county's social-assistance funds for a year (and, optionally, the share
    that may buy services; default 2%). Lowering it below what is already approved is
    refused."""
    region_code = county_code.ljust(12, "0")
    if not Region.objects.filter(code=region_code).exists():
        raise _invalid_field("county", "project.assistance.region_invalid", _("区划不存在。"))
    if not rules.in_scope(actor, region_code, rules.MANAGER_ROLES):
        raise _forbidden()
    if isinstance(total_fen, bool) or not isinstance(total_fen, int) or total_fen < 0:
        raise _invalid_field(
            "total_fen", "project.amount.integer", _("金额必须是以分为单位的整数。")
        )
    bp = DEFAULT_ASSISTANCE_SHARE_BP if share_bp is None else share_bp
    if not 0 <= bp <= 10000:
        raise _invalid_field("share_bp", "project.assistance.share_invalid", _("比例不正确。"))
    with transaction.atomic(durable=True):
        row = (
            AssistanceBudget.objects.select_for_update()
            .filter(county_code=county_code, year=year)
            .first()
        )
        if row is None:
            row = AssistanceBudget(year=year, total_fen=total_fen, share_bp=bp)
            row.place(region_code)
        committed = assistance_committed_fen(county_code=county_code, year=year)
        if total_fen * bp // 10000 < committed:
            raise Conflict(
                _("已立项的购买服务金额 %(c)s 超过调整后的上限。") % {"c": format_fen(committed)},
                code="project.assistance_share_exceeded",
            )
        row.total_fen, row.share_bp = total_fen, bp
        row.save()
        _audit(row, "set", actor, {"year": year, "total_fen": total_fen, "share_bp": bp})
    return row


def assistance_committed_fen(*, county_code: str, year: int) -> int:
    """Approved budgets of projects paid from social assistance in the county and year."""
    total = Project.objects.filter(
        county_code=county_code,
        call__year=year,
        call__funding_source=FundingSource.SOCIAL_ASSISTANCE,
        status__in=FUNDED_STATUSES,
    ).aggregate(s=Sum("approved_fen"))["s"]
    return int(total or 0)


def call_committed_fen(call: Call) -> int:
    total = Project.objects.filter(
        county_code=call.county_code, call=call, status__in=FUNDED_STATUSES
    ).aggregate(s=Sum("approved_fen"))["s"]
    return int(total or 0)


# --- proposals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalInput:
    call_id: int
    organization_id: int
    region_code: str
    title: str
    summary: str
    requested_fen: int
    category_id: int | None = None
    target_beneficiaries: int = 0
    need_ids: tuple[int, ...] = ()


def grade_meets(organization: Organization, minimum: str, today: date) -> bool:
    if not minimum:
        return True
    if organization.grade_state(today) in (GradeState.NONE, GradeState.EXPIRED):
        return False
    return GRADES.index(organization.grade) >= GRADES.index(minimum)


def project_submit(
    *, data: ProposalInput, actor: Any, idempotency_key: str = ""
) -> tuple[Project, bool]:
    """An organisation's proposal to an open call. Returns (project, created)."""
    call = Call.objects.filter(pk=data.call_id).first()
    if call is None:
        raise NotFound()
    if not (
        rules.works_for(actor, data.organization_id)
        or rules.may_submit_for(actor, data.region_code)
    ):
        raise _forbidden(_("只有申报组织的工作人员或辖区工作人员可以提交申报。"))
    organization = Organization.objects.filter(pk=data.organization_id).first()
    if organization is None or organization.legal_status == LegalStatus.DEREGISTERED:
        raise _invalid_field("organization", "project.organization_invalid", _("该组织不能申报。"))
    if call.grade_policy == GradePolicy.REQUIRED and not grade_meets(
        organization, call.grade_min, timezone.localdate()
    ):
        raise Conflict(
            _("本次申报要求 %(g)s 及以上等级的社会组织（等级须在有效期内）。")
            % {"g": call.grade_min},
            code="project.grade_required",
        )
    if (
        not data.region_code.startswith(call.county_code)
        or not Region.objects.filter(code=data.region_code).exists()
    ):
        raise _invalid_field(
            "region", "project.region_invalid", _("服务区域须在申报的区县范围内。")
        )
    title = _text(data.title, "title", _("项目名称"), 200)
    summary = _text(data.summary, "summary", _("项目内容"), 5000)
    requested = _fen(data.requested_fen, "requested_fen")
    if requested > call.budget_fen:
        raise _invalid_field(
            "requested_fen", "project.requested_too_large", _("申请金额超过本轮总预算。")
        )
    if isinstance(data.target_beneficiaries, bool) or data.target_beneficiaries < 0:
        raise _invalid_field("target_beneficiaries", "project.beneficiaries", _("人数不正确。"))
    body = {
        "call": call.pk,
        "organization": organization.pk,
        "region": data.region_code,
        "title": title,
        "summary": summary,
        "requested_fen": requested,
        "category": data.category_id,
        "target": data.target_beneficiaries,
        "needs": sorted(data.need_ids),
    }
    print_ = fingerprint(body)

    def create() -> Project:
        locked = _lock_call(call.pk)
        if locked.status != CallStatus.OPEN:
            raise _invalid(_("项目申报"), locked.get_status_display(), _("提交申报"))
        project = Project(
            call=locked,
            organization=organization,
            title=title,
            summary=summary,
            category_id=data.category_id,
            target_beneficiaries=data.target_beneficiaries,
            requested_fen=requested,
            created_by=_user(actor),
            idempotency_key=idempotency_key,
            idempotency_fingerprint=print_ if idempotency_key else "",
        )
        project.place(data.region_code)
        project.save()
        _link_needs(project, data.need_ids, actor)
        _audit(
            project,
            "submitted",
            actor,
            {"call": locked.pk, "organization": organization.pk, "requested_fen": requested},
        )
        return project

    return idempotent_create(
        model=Project,
        county_code=call.county_code,
        actor=_user(actor),
        key=idempotency_key,
        fingerprint=print_,
        create=create,
    )


def _link_needs(project: Project, need_ids: Sequence[int], actor: Any) -> None:
    """Link the needs the proposal answers and mark them proposed (needs.services, inside
    this transaction). Every need must be visible to the actor and in the project's county."""
    if not need_ids:
        return
    from wushe.needs import rules as need_rules
    from wushe.needs.models import Need
    from wushe.needs.services import needs_propose

    found = list(Need.objects.filter(pk__in=list(need_ids), county_code=project.county_code))
    if len(found) != len(set(need_ids)) or not all(
        need_rules.may_view(actor, need) for need in found
    ):
        raise _invalid_field("needs", "project.needs_invalid", _("所选需求不存在或不在本区县。"))
    project.needs.set(found)
    needs_propose(
        need_ids=[n.pk for n in found],
        actor=actor,
        note=_("已转为项目申报：%(t)s") % {"t": project.title[:150]},
        system=True,
    )


def review_submit(
    *, project_id: int, actor: Any, score: int, comment: str = "", stage: str = ReviewStage.PROPOSAL
) -> Review:
    """A panel member scores a project (0–100). The proposal stage is open while the project
    awaits the decision, the final stage while it is being delivered. Scoring again replaces
    one's own score."""
    if stage not in ReviewStage.values:
        raise _invalid_field("stage", "project.review.stage_invalid", _("评审阶段不正确。"))
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise _invalid_field("score", "project.review.score_invalid", _("评分须为 0–100 的整数。"))
    comment = _text(comment, "comment", _("评审意见"), 2000, required=False)
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, actor)
        if rules.works_for(actor, project.organization_id):
            raise PermissionDenied(
                _("您是申报组织的工作人员，须回避评审该项目。"),
                code="project.review.conflict_of_interest",
            )
        if not rules.is_panel_member(actor, project.call):
            raise _forbidden(_("只有本轮评审专家可以评分。"))
        open_status = Status.SUBMITTED if stage == ReviewStage.PROPOSAL else Status.APPROVED
        if project.status != open_status:
            raise _invalid(_("项目"), project.get_status_display(), _("评分"))
        review = Review.objects.filter(
            county_code=project.county_code, project=project, reviewer=actor, stage=stage
        ).first()
        before = review.score if review else None
        if review is None:
            review = Review(project=project, reviewer=actor, stage=stage)
            review.place(project.region_id)
        review.score, review.comment, review.reviewed_at = score, comment, _now()
        review.save()
        _audit(project, "reviewed", actor, {"stage": stage, "score": [before, score]})
    return review


def project_approve(*, project_id: int, actor: Any, approved_fen: int, note: str = "") -> Project:
    """Approve with a budget (≤ requested). Needs the call's minimum number of proposal
    reviews, room in the call's budget and, for social-assistance funds, room in the county's
    share for the year."""
    amount = _fen(approved_fen, "approved_fen")
    note = _text(note, "note", _("说明"), 500, required=False)
    peek = Project.objects.filter(pk=project_id).values_list("call_id", "call__year").first()
    if peek is None:
        raise NotFound()
    call_id, year = peek
    with transaction.atomic(durable=True):
        call = _lock_call(call_id)
        assistance: AssistanceBudget | None = None
        if call.funding_source == FundingSource.SOCIAL_ASSISTANCE:
            assistance = (
                AssistanceBudget.objects.select_for_update()
                .filter(county_code=call.county_code, year=year)
                .first()
            )
        project = _lock_project(project_id, actor)
        _require(rules.may_decide(actor, project))
        if project.status == Status.APPROVED:
            return project
        to = _target(project, Action.APPROVE, _("立项"))
        if amount > project.requested_fen:
            raise _invalid_field(
                "approved_fen", "project.approved_above_request", _("立项金额不能超过申请金额。")
            )
        reviews = Review.objects.filter(
            county_code=project.county_code, project=project, stage=ReviewStage.PROPOSAL
        ).count()
        if reviews < call.min_reviews:
            raise Conflict(
                _("至少需要 %(n)d 位专家评分后才能立项（目前 %(c)d 位）。")
                % {"n": call.min_reviews, "c": reviews},
                code="project.reviews_missing",
            )
        committed = call_committed_fen(call)
        if committed + amount > call.budget_fen:
            raise Conflict(
                _("超出本轮总预算：剩余 %(left)s。")
                % {"left": format_fen(call.budget_fen - committed)},
                code="project.call_budget_exceeded",
            )
        if call.funding_source == FundingSource.SOCIAL_ASSISTANCE:
            if assistance is None:
                raise Conflict(
                    _("尚未登记 %(y)d 年度社会救助资金，不能用其购买服务。") % {"y": year},
                    code="project.assistance_missing",
                )
            used = assistance_committed_fen(county_code=call.county_code, year=year)
            if used + amount > assistance.cap_fen:
                raise Conflict(
                    _(
                        "社会救助资金用于购买服务不得超过 %(pct)s%%：上限 %(cap)s，"
                        "已用 %(used)s，剩余 %(left)s。"
                    )
                    % {
                        "pct": Decimal(assistance.share_bp) / 100,
                        "cap": format_fen(assistance.cap_fen),
                        "used": format_fen(used),
                        "left": format_fen(assistance.cap_fen - used),
                    },
                    code="project.assistance_share_exceeded",
                )
        project.approved_fen = amount
        project.decided_at = _now()
        project.status_note = note
        _move(project, to, actor, "approved", ["approved_fen", "decided_at", "status_note"])
    return project


def project_reject(*, project_id: int, actor: Any, reason: str) -> Project:
    reason = _text(reason, "reason", _("理由"), 500)
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, actor)
        _require(rules.may_decide(actor, project))
        if project.status == Status.REJECTED:
            return project
        to = _target(project, Action.REJECT, _("不予立项"))
        project.status_note, project.decided_at = reason, _now()
        _move(project, to, actor, "rejected", ["status_note", "decided_at"])
    return project


def project_withdraw(*, project_id: int, actor: Any) -> Project:
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, actor)
        _require(rules.works_for(actor, project.organization_id))
        if project.status == Status.WITHDRAWN:
            return project
        to = _target(project, Action.WITHDRAW, _("撤回申报"))
        _move(project, to, actor, "withdrawn")
    return project


def _q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def project_evaluate(*, project_id: int, actor: Any, note: str = "") -> Project:
    """Final evaluation: the panel's final-stage scores (0–100) combined with the residents'
    ratings (1–5, scaled ×20) by the call's resident weight; reviewers alone when no resident
    rated."""
    note = _text(note, "note", _("说明"), 500, required=False)
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, actor)
        _require(rules.may_decide(actor, project))
        if project.status == Status.EVALUATED:
            return project
        to = _target(project, Action.EVALUATE, _("结项评估"))
        reviews = Review.objects.filter(
            county_code=project.county_code, project=project, stage=ReviewStage.FINAL
        ).aggregate(avg=Avg("score"), n=Count("id"))
        if not reviews["n"]:
            raise Conflict(
                _("至少需要 1 位专家完成结项评分。"), code="project.final_reviews_missing"
            )
        ratings = ResidentRating.objects.filter(
            county_code=project.county_code, project=project
        ).aggregate(avg=Avg("rating"), n=Count("id"))
        reviewer = _q2(Decimal(str(reviews["avg"])))
        resident = _q2(Decimal(str(ratings["avg"]))) if ratings["n"] else None
        if resident is None:
            final = reviewer
        else:
            weight = Decimal(project.call.resident_weight_pct) / 100
            final = _q2(reviewer * (1 - weight) + resident * 20 * weight)
        project.reviewer_score, project.resident_score, project.final_score = (
            reviewer,
            resident,
            final,
        )
        project.evaluated_at = _now()
        project.status_note = note
        _move(
            project,
            to,
            actor,
            "evaluated",
            ["reviewer_score", "resident_score", "final_score", "evaluated_at", "status_note"],
        )
    return project


def project_close(*, project_id: int, actor: Any) -> Project:
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, actor)
        _require(rules.may_decide(actor, project))
        if project.status == Status.CLOSED:
            return project
        to = _target(project, Action.CLOSE, _("结项"))
        project.closed_at = _now()
        _move(project, to, actor, "closed", ["closed_at"])
    return project


# --- delivery -------------------------------------------------------------------------------


def _delivering(project: Project, label: Any) -> None:
    if project.status != Status.APPROVED:
        raise _invalid(_("项目"), project.get_status_display(), label)


def milestone_add(*, project_id: int, actor: Any, title: str, due_on: date) -> Milestone:
    title = _text(title, "title", _("节点"), 200)
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, actor)
        _require(rules.may_deliver(actor, project))
        if project.status not in (Status.SUBMITTED, Status.APPROVED):
            raise _invalid(_("项目"), project.get_status_display(), _("添加节点"))
        milestone = Milestone(project=project, title=title, due_on=due_on)
        milestone.place(project.region_id)
        milestone.save()
        _audit(project, "milestone_added", actor, {"title": title, "due_on": due_on.isoformat()})
    return milestone


def milestone_complete(*, milestone_id: int, actor: Any, done_on: date) -> Milestone:
    milestone = Milestone.objects.filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFound()
    with transaction.atomic(durable=True):
        project = _lock_project(milestone.project_id, actor)
        _require(rules.may_deliver(actor, project))
        _delivering(project, _("完成节点"))
        milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
        if milestone.done_on is not None:
            return milestone
        milestone.done_on = done_on
        milestone.save(update_fields=["done_on"])
        _audit(
            project,
            "milestone_done",
            actor,
            {"milestone": milestone.pk, "done_on": done_on.isoformat()},
        )
    return milestone


def activity_record(
    *,
    project_id: int,
    actor: Any,
    held_on: date,
    title: str,
    beneficiaries: int,
    vulnerable: int = 0,
    note: str = "",
) -> Activity:
    title = _text(title, "title", _("活动"), 200)
    note = _text(note, "note", _("说明"), 2000, required=False)
    for field, value in (("beneficiaries", beneficiaries), ("vulnerable", vulnerable)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise _invalid_field(field, "project.activity.count_invalid", _("人次不正确。"))
    if vulnerable > beneficiaries:
        raise _invalid_field(
            "vulnerable", "project.activity.vulnerable", _("困难群体人次不能超过受益人次。")
        )
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, actor)
        _require(rules.may_deliver(actor, project))
        _delivering(project, _("记录活动"))
        activity = Activity(
            project=project,
            held_on=held_on,
            title=title,
            beneficiaries=beneficiaries,
            vulnerable=vulnerable,
            note=note,
            recorded_by=_user(actor),
        )
        activity.place(project.region_id)
        activity.save()
        project.beneficiaries += beneficiaries
        project.save(update_fields=["beneficiaries", "updated_at"])
        _audit(
            project, "activity_recorded", actor, {"title": title, "beneficiaries": beneficiaries}
        )
    return activity


def expenditure_record(
    *,
    project_id: int,
    actor: Any,
    spent_on: date,
    item: str,
    amount_fen: int,
    attachment: AcceptedImage | None = None,
    idempotency_key: str = "",
) -> tuple[Expenditure, bool]:
    """Record one expenditure (with an optional receipt photo). Refused with 409
    `project.over_budget` when it would take the project above its approved budget; the
    project row is locked, so two concurrent expenditures cannot both squeeze in."""
    item = _text(item, "item", _("支出事项"), 200)
    amount = _fen(amount_fen, "amount_fen")
    county = Project.objects.filter(pk=project_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    body = {"project": project_id, "spent_on": spent_on, "item": item, "amount": amount}
    if attachment is not None:
        body["attachment"] = attachment.sha256
    print_ = fingerprint(body)
    stored: StoredImage | None = (
        image_store(attachment, prefix="projects") if attachment is not None else None
    )

    def create() -> Expenditure:
        project = _lock_project(project_id, actor)
        _require(rules.may_deliver(actor, project))
        _delivering(project, _("登记支出"))
        assert project.approved_fen is not None
        if project.spent_fen + amount > project.approved_fen:
            raise Conflict(
                _("超出项目立项预算：预算 %(b)s，已支出 %(s)s，剩余 %(left)s。")
                % {
                    "b": format_fen(project.approved_fen),
                    "s": format_fen(project.spent_fen),
                    "left": format_fen(project.approved_fen - project.spent_fen),
                },
                code="project.over_budget",
            )
        row = Expenditure(
            project=project,
            spent_on=spent_on,
            item=item,
            amount_fen=amount,
            recorded_by=_user(actor),
            idempotency_key=idempotency_key,
            idempotency_fingerprint=print_ if idempotency_key else "",
        )
        if stored is not None:
            row.attachment = stored.name
            row.attachment_thumbnail = stored.thumbnail_name
            row.attachment_type = stored.content_type
        row.place(project.region_id)
        row.save()
        project.spent_fen += amount
        project.save(update_fields=["spent_fen", "updated_at"])
        _audit(project, "expenditure_recorded", actor, {"item": item, "amount_fen": amount})
        return row

    try:
        row, created = idempotent_create(
            model=Expenditure,
            county_code=county,
            actor=_user(actor),
            actor_field="recorded_by",
            key=idempotency_key,
            fingerprint=print_,
            create=create,
        )
    except BaseException:
        if stored is not None:
            image_delete(stored.name)
            image_delete(stored.thumbnail_name)
        raise
    if not created and stored is not None:
        image_delete(stored.name)
        image_delete(stored.thumbnail_name)
    return row, created


def rating_submit(*, project_id: int, actor: Any, rating: int, comment: str = "") -> ResidentRating:
    """A resident of the project's region rates it (1–5); rating again replaces the old one."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise _invalid_field("rating", "project.rating.invalid", _("评分须为 1–5。"))
    comment = _text(comment, "comment", _("评价"), 500, required=False)
    county = Project.objects.filter(pk=project_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    with transaction.atomic(durable=True):
        project = Project.objects.select_for_update().get(county_code=county, pk=project_id)
        if not rules.may_rate(actor, project):
            if not rules.may_view(actor, project):
                raise NotFound()
            raise _forbidden(_("只有项目服务社区的居民可以评价。"))
        if project.status not in (Status.APPROVED, Status.EVALUATED):
            raise _invalid(_("项目"), project.get_status_display(), _("评价"))
        row = ResidentRating.objects.filter(county_code=county, project=project, user=actor).first()
        if row is None:
            row = ResidentRating(project=project, user=actor)
            row.place(project.region_id)
        row.rating, row.comment, row.rated_at = rating, comment, _now()
        row.save()
        _audit(project, "rated", actor, {"rating": rating})
    return row


def project_recount(*, project_id: int) -> Project:
    """Recompute the cached sums (spent, beneficiaries) from their rows."""
    with transaction.atomic(durable=True):
        project = _lock_project(project_id, None, system=True)
        spent = Expenditure.objects.filter(
            county_code=project.county_code, project=project
        ).aggregate(s=Sum("amount_fen"))["s"]
        people = Activity.objects.filter(
            county_code=project.county_code, project=project
        ).aggregate(s=Sum("beneficiaries"))["s"]
        project.spent_fen, project.beneficiaries = int(spent or 0), int(people or 0)
        project.save(update_fields=["spent_fen", "beneficiaries", "updated_at"])
    return project
