"""HTTP API of the needs database (需求库), mounted under /api/v1. State changes are explicit
endpoints (`POST /needs/{id}/address` …)."""

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.bounds import PEOPLE_MAX
from wushe.core.errors import PermissionDenied
from wushe.core.idempotency import HEADER, key_from_header
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import selectors, services
from .models import Need

router = Router(tags=["needs"], auth=API_AUTH)


class Ref(Schema):
    code: str
    name: str


class NeedOut(Schema):
    id: int
    title: str
    description: str
    category: Ref
    region: Ref
    source: str
    source_ref: str
    people_count: int
    vulnerable_count: int
    groups: dict[str, int]
    status: str
    status_label: str
    status_note: str
    created_at: datetime

    @staticmethod
    def resolve_category(obj: Need) -> dict[str, str]:
        return {"code": obj.category.code, "name": obj.category.label}

    @staticmethod
    def resolve_region(obj: Need) -> dict[str, str]:
        return {"code": obj.region_id, "name": obj.region.name}

    @staticmethod
    def resolve_groups(obj: Need) -> dict[str, int]:
        return {g.tag: g.people for g in obj.groups.all()}

    @staticmethod
    def resolve_status_label(obj: Need) -> str:
        return str(obj.get_status_display())


class NeedQuery(Schema):
    status: str = Field("", description="open / proposed / addressed / dismissed / pending")
    category: str = Field("", description="服务类别代码")
    source: str = Field("", description="survey / request / visit / other")
    community: str = Field("", description="区划代码（含下级）")


def _filters(query: NeedQuery) -> selectors.NeedFilter:
    community = ""
    if query.community:
        community = codes.significant_prefix(codes.normalize(query.community))
    return selectors.NeedFilter(
        status=query.status, category=query.category, source=query.source, community=community
    )


def _worker(request: HttpRequest) -> None:
    if not request.user.has_perm("needs.view_needs"):
        raise PermissionDenied(code="needs.need.forbidden")


@router.get("/needs", response=list[NeedOut], summary="需求列表")
@paginate(CappedLimitOffsetPagination)
def list_needs(request: HttpRequest, filters: Query[NeedQuery]) -> QuerySet[Need]:
    _worker(request)
    return selectors.need_search(user=request.user, filters=_filters(filters)).prefetch_related(
        "groups"
    )


class GroupOut(Schema):
    key: str
    category: Ref
    region: Ref
    needs: int
    people: int
    vulnerable: int
    groups: dict[str, int]


class GroupQuery(NeedQuery):
    level: str = Field("township", description="township 按乡镇（街道） / community 按社区")


@router.get(
    "/needs/groups",
    response=list[GroupOut],
    summary="需求分组统计（类别 × 区域）",
    description="每组的需求数、涉及人数、困难群体人数及各困难群体人数，均由数据库汇总。",
)
def groups(request: HttpRequest, filters: Query[GroupQuery]) -> list[dict[str, Any]]:
    _worker(request)
    rows = selectors.need_groups(user=request.user, filters=_filters(filters), level=filters.level)
    return [
        {
            "key": r.key,
            "category": {"code": r.category.code, "name": r.category.label},
            "region": {"code": r.region_code, "name": r.region_name},
            "needs": r.needs,
            "people": r.people,
            "vulnerable": r.vulnerable,
            "groups": r.groups,
        }
        for r in rows
    ]


class NeedIn(Schema):
    region: str = Field(..., description="社区（村）或乡镇（街道）区划代码")
    category: str = Field(..., description="服务类别代码（service_category）")
    title: str = Field(..., max_length=100)
    description: str = Field("", max_length=2000)
    source: str = Field("survey", description="survey 需求摸排 / other")
    source_ref: str = Field("", max_length=64, description="摸排表编号等")
    people_count: int = Field(1, ge=1, le=PEOPLE_MAX)
    vulnerable_count: int | None = Field(None, ge=0, le=PEOPLE_MAX)
    groups: dict[str, Annotated[int, Field(le=PEOPLE_MAX)]] = Field(
        default_factory=dict, description="困难群体标签 → 人数"
    )
    resident_id: int | None = None


@router.post(
    "/needs",
    response={200: NeedOut, 201: NeedOut},
    summary="登记需求（摸排）",
    description=f"带 `{HEADER}` 请求头重试时返回同一条需求（200）。",
)
def create(request: HttpRequest, payload: NeedIn) -> Status[Need]:
    key = key_from_header(request.headers.get(HEADER))
    if payload.source not in ("survey", "other"):
        raise PermissionDenied(
            _("诉求、探访转来的需求由对应业务登记。"), code="needs.need.source_forbidden"
        )
    # A retry under a known key answers 200 with the need stored the first time.
    known = set(
        Need.objects.filter(created_by_id=request.user.pk, idempotency_key=key).values_list(
            "pk", flat=True
        )
        if key
        else []
    )
    need = services.need_create(
        region_code=payload.region,
        category=payload.category,
        title=payload.title,
        description=payload.description,
        source=payload.source,
        source_ref=payload.source_ref,
        people_count=payload.people_count,
        vulnerable_count=payload.vulnerable_count,
        groups=payload.groups,
        resident_id=payload.resident_id,
        idempotency_key=key,
        actor=request.user,
    )
    return Status(
        200 if need.pk in known else 201, selectors.need_get(user=request.user, need_id=need.pk)
    )


class FromRequestIn(Schema):
    request: int = Field(..., description="诉求 id")
    category: str = Field(..., description="服务类别代码")


@router.post("/needs/from-request", response={201: NeedOut}, summary="由诉求生成需求")
def from_request(request: HttpRequest, payload: FromRequestIn) -> Status[Need]:
    need = services.need_from_request(
        request_id=payload.request, category=payload.category, actor=request.user
    )
    return Status(201, selectors.need_get(user=request.user, need_id=need.pk))


@router.get("/needs/{need_id}", response=NeedOut, summary="需求详情")
def get_need(request: HttpRequest, need_id: int) -> Need:
    return selectors.need_get(user=request.user, need_id=need_id)


class NoteIn(Schema):
    note: str = Field("", max_length=200)


@router.post("/needs/{need_id}/address", response=NeedOut, summary="标记已解决")
def address(request: HttpRequest, need_id: int, payload: NoteIn | None = None) -> Need:
    services.need_address(need_id=need_id, actor=request.user, note=payload.note if payload else "")
    return selectors.need_get(user=request.user, need_id=need_id)


@router.post("/needs/{need_id}/dismiss", response=NeedOut, summary="关闭需求")
def dismiss(request: HttpRequest, need_id: int, payload: NoteIn | None = None) -> Need:
    services.need_dismiss(need_id=need_id, actor=request.user, note=payload.note if payload else "")
    return selectors.need_get(user=request.user, need_id=need_id)


@router.post("/needs/{need_id}/reopen", response=NeedOut, summary="退回需求库")
def reopen(request: HttpRequest, need_id: int, payload: NoteIn | None = None) -> Need:
    services.need_reopen(need_id=need_id, actor=request.user, note=payload.note if payload else "")
    return selectors.need_get(user=request.user, need_id=need_id)
