"""HTTP API of the project database under /api/v1/projects/…. State changes are explicit
endpoints (`POST /projects/{id}/approve` …); nothing PATCHes a status. Exports of a project's
ledger and of a round's results are .xlsx."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, Form, Router, Schema, Status
from ninja import File as FileParam
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import StrictInt

from wushe.accounts.auth import API_AUTH
from wushe.core.bounds import PEOPLE_MAX
from wushe.core.errors import NotFound
from wushe.core.idempotency import HEADER, key_from_header
from wushe.core.images import image_accept, image_response, read_upload
from wushe.core.paging import CappedLimitOffsetPagination

from . import exports, rules, selectors, services
from .models import Call, Expenditure, Project, ReviewStage

router = Router(tags=["projects"], auth=API_AUTH)


class Ref(Schema):
    id: int
    name: str


class CallOut(Schema):
    id: int
    kind: str
    title: str
    funder: str
    funding_source: str
    year: int
    region: str
    budget_fen: int
    committed_fen: int
    grade_policy: str
    grade_min: str
    min_reviews: int
    status: str


def _call_out(call: Call) -> dict[str, Any]:
    committed = getattr(call, "committed", None)
    if committed is None:
        committed = services.call_committed_fen(call)
    return {
        "id": call.pk,
        "kind": call.kind,
        "title": call.title,
        "funder": call.funder,
        "funding_source": call.funding_source,
        "year": call.year,
        "region": call.region_id,
        "budget_fen": call.budget_fen,
        "committed_fen": int(committed or 0),
        "grade_policy": call.grade_policy,
        "grade_min": call.grade_min,
        "min_reviews": call.min_reviews,
        "status": call.status,
    }


class CallIn(Schema):
    region: str
    kind: str
    title: str
    funder: str
    year: StrictInt
    budget_fen: StrictInt
    funding_source: str = "fiscal"
    description: str = ""
    eligibility: str = ""
    grade_policy: str = "none"
    grade_min: str = ""
    min_reviews: StrictInt = 2
    resident_weight_pct: StrictInt = 60
    opens_on: date | None = None
    closes_on: date | None = None


class ProjectOut(Schema):
    id: int
    call: Ref
    organization: Ref
    region: str
    title: str
    summary: str
    status: str
    status_label: str
    requested_fen: int
    approved_fen: int | None
    spent_fen: int
    remaining_fen: int
    beneficiaries: int
    submitted_at: datetime
    reviewer_score: Decimal | None
    resident_score: Decimal | None
    final_score: Decimal | None


def _project_out(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk,
        "call": {"id": p.call_id, "name": p.call.title},
        "organization": {"id": p.organization_id, "name": p.organization.name},
        "region": p.region_id,
        "title": p.title,
        "summary": p.summary,
        "status": p.status,
        "status_label": p.get_status_display(),
        "requested_fen": p.requested_fen,
        "approved_fen": p.approved_fen,
        "spent_fen": p.spent_fen,
        "remaining_fen": p.remaining_fen,
        "beneficiaries": p.beneficiaries,
        "submitted_at": p.submitted_at,
        "reviewer_score": p.reviewer_score,
        "resident_score": p.resident_score,
        "final_score": p.final_score,
    }


class ProposalIn(Schema):
    organization_id: StrictInt
    region: str
    title: str
    summary: str
    requested_fen: StrictInt
    category_id: int | None = None
    target_beneficiaries: StrictInt = Field(0, le=PEOPLE_MAX)
    need_ids: list[int] = []


class ReviewIn(Schema):
    score: StrictInt
    comment: str = ""
    stage: str = ReviewStage.PROPOSAL


class ReviewOut(Schema):
    id: int
    stage: str
    score: int
    comment: str
    reviewed_at: datetime


class ApproveIn(Schema):
    approved_fen: StrictInt
    note: str = ""


class ReasonIn(Schema):
    reason: str


class NoteIn(Schema):
    note: str = ""


class ExpenditureOut(Schema):
    id: int
    spent_on: date
    item: str
    amount_fen: int
    has_attachment: bool


def _expenditure_out(e: Expenditure) -> dict[str, Any]:
    return {
        "id": e.pk,
        "spent_on": e.spent_on,
        "item": e.item,
        "amount_fen": e.amount_fen,
        "has_attachment": bool(e.attachment),
    }


class ActivityIn(Schema):
    held_on: date
    title: str
    beneficiaries: StrictInt = Field(..., le=PEOPLE_MAX)
    vulnerable: StrictInt = Field(0, le=PEOPLE_MAX)
    note: str = ""


class MilestoneIn(Schema):
    title: str
    due_on: date


class DoneIn(Schema):
    done_on: date


class RatingIn(Schema):
    rating: StrictInt
    comment: str = ""


class AllowanceOut(Schema):
    year: int
    total_fen: int
    share_bp: int
    cap_fen: int
    used_fen: int
    remaining_fen: int


class PanelIn(Schema):
    user_id: StrictInt


class AssistanceIn(Schema):
    total_fen: StrictInt
    share_bp: StrictInt | None = None


# --- calls ----------------------------------------------------------------------------------


@router.get("/projects/calls", response=list[CallOut], summary="项目申报（公益创投、政府购买）")
@paginate(CappedLimitOffsetPagination)
def call_list(request: HttpRequest) -> Any:
    return [_call_out(c) for c in selectors.calls_visible(user=request.user)]


@router.post("/projects/calls", response={201: CallOut}, summary="发布项目申报")
def call_create(request: HttpRequest, payload: CallIn) -> Any:
    data = services.CallInput(
        region_code=payload.region,
        kind=payload.kind,
        title=payload.title,
        funder=payload.funder,
        year=payload.year,
        budget_fen=payload.budget_fen,
        funding_source=payload.funding_source,
        description=payload.description,
        eligibility=payload.eligibility,
        grade_policy=payload.grade_policy,
        grade_min=payload.grade_min,
        min_reviews=payload.min_reviews,
        resident_weight_pct=payload.resident_weight_pct,
        opens_on=payload.opens_on,
        closes_on=payload.closes_on,
    )
    return Status(201, _call_out(services.call_create(data=data, actor=request.user)))


@router.get("/projects/calls/{call_id}", response=CallOut)
def call_detail(request: HttpRequest, call_id: int) -> Any:
    return _call_out(selectors.call_get(user=request.user, call_id=call_id))


@router.post("/projects/calls/{call_id}/stop-intake", response=CallOut, summary="截止申报")
def call_stop_intake(request: HttpRequest, call_id: int) -> Any:
    return _call_out(services.call_stop_intake(call_id=call_id, actor=request.user))


@router.post("/projects/calls/{call_id}/close", response=CallOut, summary="结束本轮")
def call_close(request: HttpRequest, call_id: int) -> Any:
    return _call_out(services.call_close(call_id=call_id, actor=request.user))


@router.post("/projects/calls/{call_id}/panel", response={201: dict}, summary="添加评审专家")
def panel_add(request: HttpRequest, call_id: int, payload: PanelIn) -> Any:
    member = services.panel_add(call_id=call_id, user_id=payload.user_id, actor=request.user)
    return Status(201, {"call": member.call_id, "user": member.user_id})


@router.get(
    "/projects/calls/{call_id}/allowance",
    response={200: AllowanceOut, 204: None},
    summary="社会救助资金购买服务的剩余额度",
)
def call_allowance(request: HttpRequest, call_id: int) -> Any:
    call = selectors.call_get(user=request.user, call_id=call_id)
    found = selectors.assistance_allowance(county_code=call.county_code, year=call.year)
    if found is None:
        return Status(204, None)
    return {
        "year": found.year,
        "total_fen": found.total_fen,
        "share_bp": found.share_bp,
        "cap_fen": found.cap_fen,
        "used_fen": found.used_fen,
        "remaining_fen": found.remaining_fen,
    }


@router.put(
    "/projects/assistance/{county_code}/{year}",
    response=AllowanceOut,
    summary="登记年度社会救助资金及可用于购买服务的比例（默认 2%）",
)
def assistance_set(request: HttpRequest, county_code: str, year: int, payload: AssistanceIn) -> Any:
    services.assistance_budget_set(
        county_code=county_code,
        year=year,
        total_fen=payload.total_fen,
        share_bp=payload.share_bp,
        actor=request.user,
    )
    found = selectors.assistance_allowance(county_code=county_code, year=year)
    assert found is not None
    return {
        "year": found.year,
        "total_fen": found.total_fen,
        "share_bp": found.share_bp,
        "cap_fen": found.cap_fen,
        "used_fen": found.used_fen,
        "remaining_fen": found.remaining_fen,
    }


@router.get("/projects/calls/{call_id}/results.xlsx", summary="评审结果（.xlsx）")
def call_results_xlsx(request: HttpRequest, call_id: int) -> HttpResponseBase:
    call = selectors.call_get(user=request.user, call_id=call_id)
    if not rules.may_manage_call(request.user, call):
        raise NotFound()
    return exports.results_response(call)


@router.post(
    "/projects/calls/{call_id}/proposals",
    response={200: ProjectOut, 201: ProjectOut},
    summary="提交项目申报（支持 Idempotency-Key）",
)
def proposal_submit(request: HttpRequest, call_id: int, payload: ProposalIn) -> Any:
    key = key_from_header(request.headers.get(HEADER))
    data = services.ProposalInput(
        call_id=call_id,
        organization_id=payload.organization_id,
        region_code=payload.region,
        title=payload.title,
        summary=payload.summary,
        requested_fen=payload.requested_fen,
        category_id=payload.category_id,
        target_beneficiaries=payload.target_beneficiaries,
        need_ids=tuple(payload.need_ids),
    )
    project, created = services.project_submit(data=data, actor=request.user, idempotency_key=key)
    project = selectors.project_get(user=request.user, project_id=project.pk)
    return Status(201 if created else 200, _project_out(project))


# --- projects -------------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectOut], summary="项目库")
@paginate(CappedLimitOffsetPagination)
def project_list(
    request: HttpRequest, call: int | None = None, status: str = "", q: str = ""
) -> Any:
    filters = selectors.ProjectFilter(call_id=call, status=status, q=q)
    return [_project_out(p) for p in selectors.project_search(user=request.user, filters=filters)]


@router.get("/projects/{project_id}", response=ProjectOut)
def project_detail(request: HttpRequest, project_id: int) -> Any:
    return _project_out(selectors.project_get(user=request.user, project_id=project_id))


def _fresh(request: HttpRequest, project_id: int) -> dict[str, Any]:
    return _project_out(selectors.project_get(user=request.user, project_id=project_id))


@router.post("/projects/{project_id}/reviews", response={201: ReviewOut}, summary="专家评分")
def review_submit(request: HttpRequest, project_id: int, payload: ReviewIn) -> Any:
    review = services.review_submit(
        project_id=project_id,
        actor=request.user,
        score=payload.score,
        comment=payload.comment,
        stage=payload.stage,
    )
    return Status(201, review)


@router.post("/projects/{project_id}/approve", response=ProjectOut, summary="立项")
def project_approve(request: HttpRequest, project_id: int, payload: ApproveIn) -> Any:
    services.project_approve(
        project_id=project_id,
        actor=request.user,
        approved_fen=payload.approved_fen,
        note=payload.note,
    )
    return _fresh(request, project_id)


@router.post("/projects/{project_id}/reject", response=ProjectOut, summary="不予立项")
def project_reject(request: HttpRequest, project_id: int, payload: ReasonIn) -> Any:
    services.project_reject(project_id=project_id, actor=request.user, reason=payload.reason)
    return _fresh(request, project_id)


@router.post("/projects/{project_id}/withdraw", response=ProjectOut, summary="撤回申报")
def project_withdraw(request: HttpRequest, project_id: int) -> Any:
    services.project_withdraw(project_id=project_id, actor=request.user)
    return _fresh(request, project_id)


@router.post("/projects/{project_id}/evaluate", response=ProjectOut, summary="结项评估")
def project_evaluate(request: HttpRequest, project_id: int, payload: NoteIn) -> Any:
    services.project_evaluate(project_id=project_id, actor=request.user, note=payload.note)
    return _fresh(request, project_id)


@router.post("/projects/{project_id}/close", response=ProjectOut, summary="结项")
def project_close(request: HttpRequest, project_id: int) -> Any:
    services.project_close(project_id=project_id, actor=request.user)
    return _fresh(request, project_id)


@router.get("/projects/{project_id}/expenditures", response=list[ExpenditureOut])
def expenditure_list(request: HttpRequest, project_id: int) -> Any:
    project = selectors.project_get(user=request.user, project_id=project_id)
    return [_expenditure_out(e) for e in selectors.project_expenditures(project=project)]


@router.post(
    "/projects/{project_id}/expenditures",
    response={200: ExpenditureOut, 201: ExpenditureOut},
    summary="登记支出（multipart；可附票据照片；支持 Idempotency-Key）",
)
def expenditure_record(
    request: HttpRequest,
    project_id: int,
    spent_on: Form[date],
    item: Form[str],
    amount_fen: Form[int],
    attachment: UploadedFile | None = FileParam(None),  # noqa: B008 - Ninja's declaration
) -> Any:
    key = key_from_header(request.headers.get(HEADER))
    accepted = None
    if attachment is not None:
        accepted = image_accept(read_upload(attachment), file_name=attachment.name or "")
    row, created = services.expenditure_record(
        project_id=project_id,
        actor=request.user,
        spent_on=spent_on,
        item=item,
        amount_fen=amount_fen,
        attachment=accepted,
        idempotency_key=key,
    )
    return Status(201 if created else 200, _expenditure_out(row))


@router.get("/projects/{project_id}/expenditures/{expenditure_id}/attachment")
def expenditure_attachment(request: HttpRequest, project_id: int, expenditure_id: int) -> Any:
    row = selectors.expenditure_get(
        user=request.user, project_id=project_id, expenditure_id=expenditure_id
    )
    return image_response(row.attachment, row.attachment_type, download_name="receipt")


@router.get("/projects/{project_id}/ledger.xlsx", summary="项目支出台账（.xlsx）")
def ledger_xlsx(request: HttpRequest, project_id: int) -> HttpResponseBase:
    project = selectors.project_get(user=request.user, project_id=project_id)
    return exports.ledger_response(project)


@router.post("/projects/{project_id}/activities", response={201: dict}, summary="记录活动")
def activity_record(request: HttpRequest, project_id: int, payload: ActivityIn) -> Any:
    row = services.activity_record(
        project_id=project_id,
        actor=request.user,
        held_on=payload.held_on,
        title=payload.title,
        beneficiaries=payload.beneficiaries,
        vulnerable=payload.vulnerable,
        note=payload.note,
    )
    return Status(201, {"id": row.pk, "beneficiaries": row.beneficiaries})


@router.post("/projects/{project_id}/milestones", response={201: dict}, summary="添加节点")
def milestone_add(request: HttpRequest, project_id: int, payload: MilestoneIn) -> Any:
    row = services.milestone_add(
        project_id=project_id, actor=request.user, title=payload.title, due_on=payload.due_on
    )
    return Status(201, {"id": row.pk, "title": row.title, "due_on": row.due_on.isoformat()})


@router.post("/projects/milestones/{milestone_id}/complete", response=dict, summary="完成节点")
def milestone_complete(request: HttpRequest, milestone_id: int, payload: DoneIn) -> Any:
    row = services.milestone_complete(
        milestone_id=milestone_id, actor=request.user, done_on=payload.done_on
    )
    return {"id": row.pk, "done_on": row.done_on.isoformat() if row.done_on else None}


@router.post("/projects/{project_id}/ratings", response={201: dict}, summary="居民评价")
def rating_submit(request: HttpRequest, project_id: int, payload: RatingIn) -> Any:
    row = services.rating_submit(
        project_id=project_id, actor=request.user, rating=payload.rating, comment=payload.comment
    )
    return Status(201, {"id": row.pk, "rating": row.rating})
