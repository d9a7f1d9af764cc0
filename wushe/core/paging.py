"""Pagination that stays fast on registers with millions of rows: counts stop at a cap
(`COUNT_CAP`), so a province-wide list never counts every resident to draw its pager."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from ninja import Field, Schema
from ninja.pagination import PaginationBase

COUNT_CAP = 1_000
MAX_OFFSET = 1_000_000_000  # far past any register; well inside a 64-bit integer


def capped_count(queryset: QuerySet[Any] | list[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, exact): the exact count up to `cap`; past it (cap, False). A list (an endpoint
    that builds its rows in Python, such as the project calls) is counted as it is."""
    listed = isinstance(queryset, list)
    counted = len(queryset) if listed else queryset.order_by()[: cap + 1].count()  # type: ignore[union-attr]
    return (cap, False) if counted > cap else (counted, True)


class CappedPaginator(Paginator):
    """Django's paginator with a capped count: `count_exact` says whether `count` is exact;
    pages past the cap are still reachable by number from the query string."""

    cap = COUNT_CAP

    @cached_property
    def _capped(self) -> tuple[int, bool]:
        return capped_count(self.object_list, self.cap)  # type: ignore[arg-type]

    @cached_property
    def count(self) -> int:
        return self._capped[0]

    @property
    def count_exact(self) -> bool:
        return self._capped[1]


def render_list(
    request: HttpRequest,
    *,
    queryset: QuerySet[Any],
    template: str,
    partial_template: str,
    context: dict[str, Any] | None = None,
    per_page: int = 50,
) -> HttpResponse:
    """A filtered, paginated list page: the whole page, or only its results fragment when
    HTMX asks (the filter form targets the results). `query` is the filter query string without
    the page number, for the pager links (core/_pager.html)."""
    page = CappedPaginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    data = {"page": page, "query": query.urlencode(), **(context or {})}
    chosen = partial_template if request.headers.get("HX-Request") else template
    return render(request, chosen, data)


class CappedLimitOffsetPagination(PaginationBase):
    """`?limit=&offset=` with a capped total: `{"items": […], "count": n, "count_exact": b}`."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        # Bounded: a larger offset overflowed the database's integer (SQLite "datatype
        # mismatch", PostgreSQL "bigint out of range") and answered 500.
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int
        count_exact: bool

    items_attribute: str = "items"

    def paginate_queryset(
        self,
        queryset: QuerySet[Any] | list[Any],
        pagination: Any,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        count, exact = capped_count(queryset, max(COUNT_CAP, pagination.offset + pagination.limit))
        return {
            "items": queryset[pagination.offset : pagination.offset + pagination.limit],
            "count": count,
            "count_exact": exact,
        }
