"""Reads of the needs database, scoped to the caller (WORKER_ROLES in scope): lists, one need,
and the grouped view (category × region) with counts of needs, people and vulnerable people
per group, aggregated in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Concat, Substr

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import scope_q
from wushe.core.errors import NotFound
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.residents.models import Tag
from wushe.taxonomy.models import Term

from . import rules
from .models import PENDING_STATUSES, Need, NeedGroup


@dataclass(frozen=True)
class NeedFilter:
    status: str = ""  # a Status value, or "pending" (open + proposed)
    category: str = ""  # term code
    source: str = ""
    community: str = ""  # significant prefix of a region


def needs_visible(*, user: Any) -> QuerySet[Need]:
    return Need.objects.select_related("region", "category").filter(
        scope_q(user, "region", WORKER_ROLES)
    )


def need_search(*, user: Any, filters: NeedFilter) -> QuerySet[Need]:
    return _filtered(needs_visible(user=user), filters)


def _filtered(qs: QuerySet[Any], filters: NeedFilter, prefix: str = "") -> QuerySet[Any]:
    if filters.status == "pending" or not filters.status:
        if filters.status == "pending":
            qs = qs.filter(**{f"{prefix}status__in": sorted(PENDING_STATUSES)})
    else:
        qs = qs.filter(**{f"{prefix}status": filters.status})
    if filters.category:
        qs = qs.filter(**{f"{prefix}category__code": filters.category})
    if filters.source:
        qs = qs.filter(**{f"{prefix}source": filters.source})
    if filters.community:
        low, high = codes.scope_range(filters.community)
        qs = qs.filter(**{f"{prefix}region_id__gte": low, f"{prefix}region_id__lte": high})
    return qs


def need_get(*, user: Any, need_id: int) -> Need:
    need = Need.objects.select_related("region", "category", "resident").filter(pk=need_id).first()
    if need is None or not rules.may_view(user, need):
        raise NotFound()
    return need


@dataclass
class NeedGroupRow:
    """One group of the grouped view: needs of one category in one region."""

    key: str  # "<category id>:<region code>", for selecting the group
    category: Term
    region_code: str
    region_name: str
    needs: int
    people: int
    vulnerable: int
    groups: dict[str, int] = field(default_factory=dict)  # Tag value → people

    @property
    def group_labels(self) -> list[tuple[str, int]]:
        return [(str(Tag(t).label), n) for t, n in sorted(self.groups.items(), key=lambda x: -x[1])]


LEVELS = {"township": 9, "community": 12}


def _region_key(level: str, prefix: str = "") -> Any:
    """The grouping region of a need: its township's or its own (community) code. A need
    recorded at township level stays with the township in the community view."""
    digits = LEVELS[level]
    if digits == 12:
        return Coalesce(f"{prefix}region_id", Value(""), output_field=CharField())
    return Concat(Substr(f"{prefix}region_id", 1, digits), Value("000"), output_field=CharField())


def need_groups(*, user: Any, filters: NeedFilter, level: str = "township") -> list[NeedGroupRow]:
    """The needs in scope grouped by category and region (`level` township or community):
    number of needs, people affected and vulnerable people (sums of the needs' counts), and
    the people per vulnerable group (sums of NeedGroup rows). Two aggregate queries; largest
    groups first."""
    if level not in LEVELS:
        level = "township"
    base = _filtered(needs_visible(user=user), filters)
    rows = list(
        base.order_by()
        .annotate(area=_region_key(level))
        .values("category_id", "area")
        .annotate(
            needs=Count("pk"),
            people=Coalesce(Sum("people_count"), 0),
            vulnerable=Coalesce(Sum("vulnerable_count"), 0),
        )
    )
    tag_rows = (
        _filtered(
            NeedGroup.objects.filter(scope_q(user, "need__region", WORKER_ROLES)),
            filters,
            prefix="need__",
        )
        .order_by()
        .annotate(area=_region_key(level, "need__"))
        .values("need__category_id", "area", "tag")
        .annotate(people=Sum("people"))
    )
    tags: dict[tuple[int, str], dict[str, int]] = {}
    for row in tag_rows:
        tags.setdefault((row["need__category_id"], row["area"]), {})[row["tag"]] = row["people"]
    terms = Term.objects.in_bulk({r["category_id"] for r in rows})
    names = dict(
        Region.objects.filter(code__in={r["area"] for r in rows}).values_list("code", "name")
    )
    result = [
        NeedGroupRow(
            key=f"{r['category_id']}:{r['area']}",
            category=terms[r["category_id"]],
            region_code=r["area"],
            region_name=names.get(r["area"], r["area"]),
            needs=r["needs"],
            people=r["people"],
            vulnerable=r["vulnerable"],
            groups=tags.get((r["category_id"], r["area"]), {}),
        )
        for r in rows
    ]
    result.sort(key=lambda g: (-g.people, -g.needs, g.key))
    return result


def needs_of_groups(
    *, user: Any, keys: list[str], filters: NeedFilter, level: str = "township"
) -> list[int]:
    """The ids of the needs in the chosen groups (keys of NeedGroupRow), in scope."""
    if level not in LEVELS:
        level = "township"
    q = Q(pk__in=[])
    for key in keys:
        category, _sep, area = key.partition(":")
        if not category.isdigit() or not area.isdigit() or len(area) != 12:
            continue
        prefix = area[: LEVELS[level]]
        low, high = codes.scope_range(prefix)
        q |= Q(category_id=int(category), region_id__gte=low, region_id__lte=high)
    qs = _filtered(needs_visible(user=user), filters).filter(q)
    return list(qs.order_by("pk").values_list("pk", flat=True)[:500])
