"""HTTP API of matching, mounted under /api/v1: ranked suggestions for a request or a need,
and batch proposals (create, read, decide per line, confirm, discard)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import NotFound, PermissionDenied, ValidationFailed

from . import rules, selectors, services
from .models import Proposal

router = Router(tags=["matching"], auth=API_AUTH)


class SuggestionOut(Schema):
    type: str
    id: int
    name: str
    score: float
    distance_km: float | None
    reason: str
    components: dict[str, float]


class SuggestionsOut(Schema):
    request: int | None
    need: int | None
    suggestions: list[SuggestionOut]


@router.get("/matching/suggestions", response=SuggestionsOut, summary="推荐承办方（按匹配度排序）")
def suggestions(request: HttpRequest, need: int | None = None, limit: int = 10) -> dict[str, Any]:
    """`?request=ID` (or `?need=ID`): eligible handlers, best first, each with the reason in
    Chinese and the score breakdown (components in [0, 1])."""
    from wushe.requests import rules as request_rules
    from wushe.requests import selectors as request_selectors

    rid = request.GET.get("request")  # `request` is the HttpRequest's name in ninja
    if need is not None:
        from wushe.needs import rules as need_rules
        from wushe.needs.models import Need

        found = Need.objects.select_related("category").filter(pk=need).first()
        if found is None or not need_rules.may_view(request.user, found):
            raise NotFound()
        items = selectors.suggestions_for_need(need=found, limit=max(1, min(int(limit), 50)))
        return {"request": None, "need": found.pk, "suggestions": [_out(s) for s in items]}
    if not rid or not str(rid).isdigit():
        raise ValidationFailed(
            _("请提供诉求编号 request 或需求编号 need。"), code="matching.target_required"
        )
    obj = (
        request_selectors.requests_visible(user=request.user)
        .select_related("category")
        .prefetch_related("assignments")
        .filter(pk=int(rid))
        .first()
    )
    if obj is None:
        raise NotFound()
    if not request_rules.may_handle(request.user, obj):
        raise PermissionDenied()
    items = selectors.suggestions_for_request(
        user=request.user, request=obj, limit=max(1, min(int(limit), 50))
    )
    return {"request": obj.pk, "need": None, "suggestions": [_out(s) for s in items]}


def _out(s: selectors.Suggestion) -> dict[str, Any]:
    return {
        "type": s.type,
        "id": s.id,
        "name": s.name,
        "score": round(s.score, 4),
        "distance_km": None if s.distance_km is None else round(s.distance_km, 3),
        "reason": s.reason,
        "components": {k: round(v, 3) for k, v in s.components.items()},
    }


class ProposalIn(Schema):
    region: str


class ProposalOut(Schema):
    id: int
    region: str
    status: str
    summary: dict[str, Any]
    lines: int


def _proposal(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.pk,
        "region": p.region_id,
        "status": p.status,
        "summary": p.summary,
        "lines": p.lines.count(),
    }


def _get(request: HttpRequest, proposal_id: int) -> Proposal:
    p = Proposal.objects.filter(pk=proposal_id).first()
    if p is None or not rules.may_view_proposal(request.user, p):
        raise NotFound()
    return p


@router.post("/matching/proposals", response={201: ProposalOut}, summary="生成派单方案")
def create_proposal(request: HttpRequest, payload: ProposalIn) -> tuple[int, dict[str, Any]]:
    p = services.proposal_create(region_code=payload.region, actor=request.user)
    return 201, _proposal(p)


@router.get("/matching/proposals/{proposal_id}", response=ProposalOut, summary="派单方案")
def get_proposal(request: HttpRequest, proposal_id: int) -> dict[str, Any]:
    return _proposal(_get(request, proposal_id))


@router.post("/matching/proposals/{proposal_id}/confirm", response=ProposalOut, summary="确认派单")
def confirm_proposal(request: HttpRequest, proposal_id: int) -> dict[str, Any]:
    return _proposal(services.proposal_confirm(proposal_id=proposal_id, actor=request.user))


@router.post("/matching/proposals/{proposal_id}/discard", response=ProposalOut, summary="放弃方案")
def discard_proposal(request: HttpRequest, proposal_id: int) -> dict[str, Any]:
    return _proposal(services.proposal_discard(proposal_id=proposal_id, actor=request.user))
