"""Writes of indicators: targets and annual-report narratives (values are written only by the
engine). Each checks the permission, writes and audits in one transaction."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from wushe.audit.services import audit_record
from wushe.core.errors import PermissionDenied, ValidationFailed

from . import rules
from .models import AnnualReport, IndicatorTarget
from .registry import get as get_indicator
from .selectors import check_year

NARRATIVE_FIELDS = ("summary", "highlights", "problems", "plans")
MAX_NARRATIVE = 5000


def target_set(
    *, indicator: str, region_code: str, year: object, value: object, note: str = "", actor: Any
) -> IndicatorTarget | None:
    """Set (or, with an empty value, remove) the target of an indicator for a region and year."""
    if not rules.can_set_targets(actor, region_code):
        raise PermissionDenied()
    if get_indicator(indicator) is None:
        raise ValidationFailed(_("没有这个指标。"), code="indicators.indicator_not_found")
    the_year = check_year(year)
    text = str(value if value is not None else "").strip()
    with transaction.atomic(durable=True):
        existing = (
            IndicatorTarget.objects.select_for_update()
            .filter(indicator=indicator, region_id=region_code, year=the_year)
            .first()
        )
        if not text:
            if existing is not None:
                existing.delete()
                audit_record(
                    action="indicators.target.removed",
                    actor=actor,
                    target_label=f"{indicator} {the_year}",
                    region_code=region_code,
                    changes={"indicator": indicator, "year": the_year},
                )
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite() or number < 0 or number >= Decimal("1e10"):
            raise ValidationFailed(
                _("目标值应为不小于 0 的数字。"),
                code="indicators.target_invalid",
                fields={"value": text[:20]},
            )
        before = None if existing is None else str(existing.value)
        target = existing or IndicatorTarget(
            indicator=indicator, region_id=region_code, year=the_year
        )
        target.value = number
        target.note = str(note or "")[:200]
        target.updated_by = actor
        target.save()
        audit_record(
            action="indicators.target.set",
            actor=actor,
            target=target,
            region_code=region_code,
            changes={"indicator": indicator, "year": the_year, "value": [before, str(number)]},
        )
    return target


def report_save(*, region_code: str, year: object, actor: Any, **texts: object) -> AnnualReport:
    """Store the narrative fields of a region's annual report."""
    if not rules.can_edit_report(actor, region_code):
        raise PermissionDenied()
    the_year = check_year(year)
    with transaction.atomic(durable=True):
        report, _created = AnnualReport.objects.select_for_update().get_or_create(
            region_id=region_code, year=the_year
        )
        changed: list[str] = []
        for name in NARRATIVE_FIELDS:
            if name in texts:
                text = str(texts[name] or "").strip()
                if len(text) > MAX_NARRATIVE:
                    raise ValidationFailed(
                        _("每项文字说明不超过 5000 字。"),
                        code="indicators.report_too_long",
                        fields={name: len(text)},
                    )
                if getattr(report, name) != text:
                    setattr(report, name, text)
                    changed.append(name)
        report.updated_by = actor
        report.save()
        audit_record(
            action="indicators.report.saved",
            actor=actor,
            target=report,
            region_code=region_code,
            changes={"year": the_year, "fields": changed},
        )
    return report
