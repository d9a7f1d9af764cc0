from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from wushe.core.errors import NotFound

from . import codes
from .models import Region


def region_get(*, code: str) -> Region:
    """One region by any accepted spelling of its code; NotFound when absent."""
    normalized = codes.normalize(code)
    region = Region.objects.filter(code=normalized).first()
    if region is None:
        raise NotFound(_("区划不存在：%(code)s") % {"code": code}, code="region.not_found")
    return region


def region_children(*, parent: Region | None, kind_counts: bool = False) -> QuerySet[Region]:
    """Children of a region (provinces when parent is None), with their own child counts and,
    on request, how many of those are urban communities and villages."""
    qs = Region.objects.filter(parent=parent) if parent else Region.objects.filter(level=1)
    qs = qs.annotate(child_count=Count("children"))
    if kind_counts:
        qs = qs.annotate(
            urban_count=Count("children", filter=Q(children__kind=Region.Kind.URBAN)),
            rural_count=Count("children", filter=Q(children__kind=Region.Kind.RURAL)),
        )
    return qs.order_by("code")


def region_chain(*, region: Region) -> list[Region]:
    """The region's ancestors, province first: one query, codes derived from the region's own
    code rather than walked recursively."""
    ancestors = codes.ancestor_codes(region.code)
    found = {r.code: r for r in Region.objects.filter(code__in=ancestors)}
    return [found[c] for c in ancestors if c in found]


def region_descendants(*, region: Region) -> QuerySet[Region]:
    """Everything under a region: one index range scan on the code."""
    low, high = codes.scope_range(region.prefix)
    return Region.objects.filter(code__gt=region.code, code__lte=high, code__gte=low)


def region_search(*, text: str, within: str = "", limit: int = 20) -> QuerySet[Region]:
    qs = Region.objects.filter(short_name__contains=text.strip())
    if within:
        low, high = codes.scope_range(within)
        qs = qs.filter(code__gte=low, code__lte=high)
    return qs.order_by("level", "code")[:limit]
