"""Capped counts: lists of millions of rows never count past the cap to draw a pager."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import RequestFactory

from wushe.core import paging
from wushe.privacy.models import Consent
from wushe.testing import NANGUANXIANG


def _make(n: int) -> None:
    rows = []
    for i in range(n):
        consent = Consent(
            subject_type="residents.resident",
            subject_id=i,
            subject_label=f"居民{i}",
            purpose="registry",
            given_on=date(2026, 1, 5),
        )
        consent.place(NANGUANXIANG)
        rows.append(consent)
    Consent.objects.bulk_create(rows)


@pytest.mark.django_db
def test_capped_count_is_exact_below_the_cap_and_capped_above(regions: None) -> None:
    _make(7)
    qs = Consent.objects.all()
    assert paging.capped_count(qs, cap=10) == (7, True)
    assert paging.capped_count(qs, cap=7) == (7, True)
    assert paging.capped_count(qs, cap=5) == (5, False)


@pytest.mark.django_db
def test_paginator_reports_whether_the_count_is_exact(regions: None) -> None:
    _make(12)
    paginator = paging.CappedPaginator(Consent.objects.order_by("id"), 5)
    paginator.cap = 10
    assert paginator.count == 10
    assert not paginator.count_exact
    assert paginator.num_pages == 2
    assert [c.subject_id for c in paginator.get_page(2)] == [5, 6, 7, 8, 9]


@pytest.mark.django_db
def test_api_pagination_returns_items_and_capped_count(regions: None) -> None:
    _make(3)
    pagination = paging.CappedLimitOffsetPagination()
    request = RequestFactory().get("/")
    out = pagination.paginate_queryset(
        Consent.objects.order_by("id"),
        paging.CappedLimitOffsetPagination.Input(limit=2, offset=1),
        request,
    )
    assert out["count"] == 3 and out["count_exact"]
    assert [c.subject_id for c in out["items"]] == [1, 2]
