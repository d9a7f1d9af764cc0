"""Pages of indicators: dashboard with drill-down, one indicator's trend and ranking, targets,
and the annual report (printable page and .xlsx). Every region is checked against the
worker's scope (404 outside)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from wushe.regions.models import Region

from . import report as annual
from . import rules, selectors, services
from .periods import Kind, Period
from .registry import Indicator, all_indicators


def _region(request: HttpRequest) -> Region:
    raw = request.GET.get("region") or request.POST.get("region")
    try:
        if not raw:
            home = selectors.home_region(request.user)
            if home is None:
                raise NotFound()
            return home
        return selectors.region_for(request.user, raw)
    except DomainError as exc:
        raise Http404(str(exc.message)) from exc


def _period(request: HttpRequest) -> Period:
    raw = request.GET.get("period")
    if not raw:
        return Period.containing(timezone.localdate())
    try:
        return Period.parse(raw)
    except ValidationFailed as exc:
        raise Http404(str(exc.message)) from exc


def _viewer(request: HttpRequest) -> None:
    if not rules.can_view(request.user):
        raise Http404()


def _crumbs(request: HttpRequest, region: Region) -> list[Region]:
    """The region's ancestors the worker may open, then the region."""
    return [r for r in selectors.ancestors_of(region) if rules.can_view(request.user, r.code)] + [
        region
    ]


def _period_choices(period: Period) -> list[dict[str, str]]:
    today = Period.containing(timezone.localdate())
    choices = [
        Period.containing(timezone.localdate()),
        today.previous(),
        Period.containing(timezone.localdate(), Kind.QUARTER),
        Period(today.year, Kind.YEAR, 1),
        Period(today.year - 1, Kind.YEAR, 1),
    ]
    out = []
    for p in dict.fromkeys([period, *choices]):
        out.append({"key": p.key, "label": p.label, "current": "1" if p == period else ""})
    return out


def _number(value: Decimal | None, decimals: int = 2) -> float | None:
    return None if value is None else float(round(value, decimals))


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    region = _region(request)
    period = _period(request)
    indicators = all_indicators()
    own = selectors.results([region.code], period, indicators)
    children = selectors.children_of(region)
    below = selectors.results([c.code for c in children], period, indicators)
    cards = [own[(i.code, region.code)] for i in indicators]
    topics: dict[str, list[selectors.Result]] = {}
    for card in cards:
        topics.setdefault(str(card.indicator.topic) or _("其他"), []).append(card)
    counts = {s: sum(1 for c in cards if c.status == s) for s in selectors.Status}
    rows: list[dict[str, Any]] = []
    for child in children:
        statuses = [below[(i.code, child.code)].status for i in indicators]
        rows.append(
            {
                "region": child,
                "met": statuses.count(selectors.Status.MET),
                "close": statuses.count(selectors.Status.CLOSE),
                "behind": statuses.count(selectors.Status.BEHIND),
                "no_data": sum(
                    1
                    for s in statuses
                    if s in (selectors.Status.NO_DATA, selectors.Status.ZERO_DENOMINATOR)
                ),
            }
        )
    rows.sort(key=lambda r: (-r["behind"], -r["close"], r["region"].code))
    chart = {
        "labels": [r["region"].short_name for r in rows],
        "met": [r["met"] for r in rows],
        "close": [r["close"] for r in rows],
        "behind": [r["behind"] for r in rows],
        "names": {"met": _("达标"), "close": _("接近"), "behind": _("落后")},
    }
    return render(
        request,
        "indicators/dashboard.html",
        {
            "region": region,
            "period": period,
            "crumbs": _crumbs(request, region),
            "periods": _period_choices(period),
            "topics": topics,
            "counts": counts,
            "rows": rows,
            "chart_json": json.dumps(chart, ensure_ascii=False),
            "last_refresh": selectors.last_refresh(),
            "can_set_targets": rules.can_set_targets(request.user, region.code),
        },
    )


def _indicator(code: str) -> Indicator:
    try:
        return selectors.indicator_or_404(code)
    except NotFound as exc:
        raise Http404() from exc


@login_required
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    _viewer(request)
    indicator = _indicator(code)
    region = _region(request)
    period = _period(request)
    own = selectors.results([region.code], period, [indicator])[(indicator.code, region.code)]
    trend = selectors.trend(indicator, region, period)
    ranking = selectors.breakdown(indicator, region, period)
    reverse_sort = indicator.direction == "higher"
    with_value = sorted(
        [(r, res) for r, res in ranking if res.value is not None],
        key=lambda pair: pair[1].value or Decimal(0),
        reverse=reverse_sort,
    )
    without = [(r, res) for r, res in ranking if res.value is None]
    ordered = with_value + without
    chart = {
        "unit": str(indicator.unit),
        "trend": {
            "labels": [p.period.key for p in trend],
            "values": [_number(p.value, indicator.decimals) for p in trend],
            "targets": [_number(p.target) for p in trend],
            "name": str(indicator.name),
            "target_name": _("目标"),
        },
        "ranking": {
            "labels": [r.short_name for r, _res in reversed(with_value)],
            "values": [_number(res.value, indicator.decimals) for _r, res in reversed(with_value)],
            "status": [str(res.status) for _r, res in reversed(with_value)],
            "target": _number(own.target),
        },
    }
    return render(
        request,
        "indicators/detail.html",
        {
            "indicator": indicator,
            "region": region,
            "period": period,
            "own": own,
            "crumbs": _crumbs(request, region),
            "periods": _period_choices(period),
            "ranking": ordered,
            "trend": trend,
            "chart_json": json.dumps(chart, ensure_ascii=False),
        },
    )


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    region = _region(request)
    if not rules.can_set_targets(request.user, region.code):
        raise Http404()
    year = selectors.check_year(
        request.GET.get("year") or request.POST.get("year") or timezone.localdate().year
    )
    if request.method == "POST":
        errors = 0
        for indicator in all_indicators():
            field = f"t_{indicator.code}"
            if field not in request.POST:
                continue
            try:
                services.target_set(
                    indicator=indicator.code,
                    region_code=region.code,
                    year=year,
                    value=request.POST.get(field, ""),
                    note=request.POST.get(f"n_{indicator.code}", ""),
                    actor=request.user,
                )
            except DomainError as exc:
                errors += 1
                messages.error(request, f"{indicator.name}：{exc.message}")
        if not errors:
            messages.success(request, _("目标已保存。"))
        return redirect(f"{reverse('indicators:targets')}?region={region.code}&year={year}")
    from .models import IndicatorTarget

    own = {t.indicator: t for t in IndicatorTarget.objects.filter(region=region, year=year)}
    effective = selectors.targets_for([region.code], year)
    rows = [
        {
            "indicator": i,
            "own": own.get(i.code),
            "effective": effective[(i.code, region.code)],
        }
        for i in all_indicators()
    ]
    return render(
        request,
        "indicators/targets.html",
        {"region": region, "year": year, "rows": rows, "crumbs": _crumbs(request, region)},
    )


def _year(request: HttpRequest) -> int:
    try:
        return selectors.check_year(
            request.GET.get("year") or request.POST.get("year") or timezone.localdate().year
        )
    except ValidationFailed as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def annual_report(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    region = _region(request)
    year = _year(request)
    can_edit = rules.can_edit_report(request.user, region.code)
    if request.method == "POST":
        if not can_edit:
            raise Http404()
        try:
            services.report_save(
                region_code=region.code,
                year=year,
                actor=request.user,
                **{name: request.POST.get(name, "") for name in services.NARRATIVE_FIELDS},
            )
            messages.success(request, _("文字说明已保存。"))
        except (DomainError, PermissionDenied) as exc:
            messages.error(request, str(exc.message))
        return redirect(f"{reverse('indicators:report')}?region={region.code}&year={year}")
    data = annual.build(region, year)
    return render(
        request,
        "indicators/report.html",
        {
            "report": data,
            "region": region,
            "year": year,
            "rows": data.rows(),
            "crumbs": _crumbs(request, region),
            "can_edit": can_edit,
            "fields": [
                (name, label, text)
                for name, (label, text) in zip(
                    services.NARRATIVE_FIELDS, data.narrative_items(), strict=True
                )
            ],
            "generated_at": timezone.localtime(),
        },
    )


@login_required
def annual_report_xlsx(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    region = _region(request)
    year = _year(request)
    content = annual.to_xlsx(annual.build(region, year))
    response = HttpResponse(content, content_type=annual.XLSX_CONTENT_TYPE)
    filename = f"annual-report-{region.code}-{year}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
