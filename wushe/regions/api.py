from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from wushe.accounts.scoping import in_scope

from . import selectors
from .models import Region

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    short_name: str
    level: int
    level_label: str
    kind: str
    kind_label: str
    parent: str | None
    in_scope: bool


class RegionListItem(RegionOut):
    child_count: int


class RegionList(Schema):
    parent: RegionOut | None
    count: int
    items: list[RegionListItem]


class RegionDetail(RegionOut):
    chain: list[RegionOut]


def region_out(region: Region, request: HttpRequest) -> dict[str, object]:
    return {
        "code": region.code,
        "name": region.name,
        "short_name": region.short_name,
        "level": region.level,
        "level_label": str(region.get_level_display()),
        "kind": region.kind,
        "kind_label": str(region.get_kind_display()) if region.kind else "",
        "parent": region.parent_id,
        "in_scope": in_scope(request.user, region.code),
        "child_count": getattr(region, "child_count", 0),
    }


@router.get("/regions", response=RegionList, summary="下级区划列表")
def list_regions(request: HttpRequest, parent: str | None = None) -> dict[str, object]:
    """Children of `parent` (any code spelling: 33, 330481, 330481001 …); provinces without it.
    The division tree is public statistical data; `in_scope` tells whether the caller's own
    grants cover each region."""
    parent_region = selectors.region_get(code=parent) if parent else None
    items = [region_out(r, request) for r in selectors.region_children(parent=parent_region)]
    return {
        "parent": region_out(parent_region, request) if parent_region else None,
        "count": len(items),
        "items": items,
    }


@router.get("/regions/{code}", response=RegionDetail, summary="区划详情")
def get_region(request: HttpRequest, code: str) -> dict[str, object]:
    region = selectors.region_get(code=code)
    data = region_out(region, request)
    data["chain"] = [region_out(r, request) for r in selectors.region_chain(region=region)]
    return data
