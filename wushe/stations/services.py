"""Every write about service stations: create and update, validated and audited."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import in_scope
from wushe.audit.services import audit_record
from wushe.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.regions.models import Region

from .models import KIND_LEVELS, ServiceStation, StationKind
from .selectors import stations_visible

FIELDS = (
    "kind",
    "name",
    "region",
    "address",
    "operator",
    "service_area_m2",
    "phone",
    "opened_on",
    "closed_on",
    "active",
)
MAX_AREA = Decimal("9999999.99")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ()]{4,28}$")


class _Errors:
    """Collects field errors so a form shows all of them at once; raises the first code."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, field: str, code: str, message: Any) -> None:
        self.items.append((field, code, str(message)))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        fields: dict[str, list[str]] = {}
        for field, _code, message in self.items:
            fields.setdefault(field, []).append(message)
        _field, code, message = self.items[0]
        raise ValidationFailed(message, code=code, fields=fields)


def _level_names(levels: frozenset[int]) -> str:
    return "、".join(str(Region.Level(level).label) for level in sorted(levels))


def _check_region(raw: object, kind: str, actor: Any, errors: _Errors) -> str | None:
    try:
        code = codes.normalize(raw)
    except DomainError:
        errors.add("region", "station.region.invalid", _("请填写有效的区划代码。"))
        return None
    if not Region.objects.filter(code=code).exists():
        errors.add("region", "station.region.not_found", _("区划不存在：%(code)s") % {"code": code})
        return None
    levels = KIND_LEVELS.get(kind)
    if levels is not None and codes.level_of(code) not in levels:
        errors.add(
            "region",
            "station.region.level",
            _("%(kind)s应设在%(levels)s区划。")
            % {"kind": StationKind(kind).label, "levels": _level_names(levels)},
        )
    if not in_scope(actor, code, WRITER_ROLES):
        errors.add("region", "station.region.out_of_scope", _("该区划不在您的管辖范围内。"))
    return code


def _check(data: dict[str, Any], actor: Any, errors: _Errors) -> dict[str, Any]:
    """Validate a full set of station values; returns them normalised."""
    clean: dict[str, Any] = {}
    kind = str(data.get("kind") or "")
    if kind not in StationKind.values:
        errors.add("kind", "station.kind.invalid", _("请选择站点类型。"))
    clean["kind"] = kind
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors.add("name", "station.name.required", _("请填写站点名称。"))
    elif len(name) > 100:
        errors.add("name", "station.name.too_long", _("站点名称不能超过 100 个字。"))
    clean["name"] = name
    clean["region"] = _check_region(data.get("region"), kind, actor, errors)
    clean["address"] = str(data.get("address") or "").strip()[:200]

    operator = data.get("operator")
    if operator in (None, ""):
        clean["operator"] = None
    else:
        operator_id = _int_or_none(operator)
        organization = (
            Organization.objects.filter(pk=operator_id).first() if operator_id is not None else None
        )
        if organization is None:
            errors.add("operator", "station.operator.not_found", _("运营机构不存在。"))
        clean["operator"] = organization

    area = data.get("service_area_m2")
    clean["service_area_m2"] = None
    if area not in (None, ""):
        try:
            value = Decimal(str(area)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            value = None
        if value is None or value < 0 or value > MAX_AREA:
            errors.add(
                "service_area_m2",
                "station.service_area.invalid",
                _("服务面积应为不小于 0 的数字（平方米，最多两位小数）。"),
            )
        else:
            clean["service_area_m2"] = value

    phone = unicodedata.normalize("NFKC", str(data.get("phone") or "")).strip()
    if phone and not _PHONE.match(phone):
        errors.add(
            "phone",
            "station.phone.format",
            _("服务电话只能包含数字、空格、连字符和括号，例如 0573-87001234。"),
        )
    clean["phone"] = phone

    opened_on, closed_on = data.get("opened_on"), data.get("closed_on")
    clean["opened_on"], clean["closed_on"] = opened_on, closed_on
    if opened_on and closed_on and closed_on < opened_on:
        errors.add("closed_on", "station.closed_on.before_opened", _("停用日期不能早于启用日期。"))
    # A station whose closing day has come is no longer operating, whatever the form said.
    closed = closed_on is not None and closed_on <= timezone.localdate()
    clean["active"] = bool(data.get("active", True)) and not closed
    return clean


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _apply(station: ServiceStation, clean: Mapping[str, Any]) -> dict[str, Any]:
    """Set the values on the station; returns what changed (for the audit event)."""
    changes: dict[str, Any] = {}
    for field in FIELDS:
        value = clean[field]
        if field == "region":
            if station.region_id != value:
                changes["region"] = value
                station.place(value)
            continue
        current = getattr(station, field)
        if current != value:
            changes[field] = value.pk if isinstance(value, Organization) else value
            setattr(station, field, value)
    return {k: str(v) if isinstance(v, (Decimal, date)) else v for k, v in changes.items()}


def station_create(
    *,
    actor: Any,
    kind: str,
    name: str,
    region_code: str,
    address: str = "",
    operator_id: int | None = None,
    service_area_m2: Decimal | str | None = None,
    phone: str = "",
    opened_on: date | None = None,
    closed_on: date | None = None,
    active: bool = True,
) -> ServiceStation:
    if not actor.has_perm("stations.add_servicestation"):
        raise PermissionDenied(_("您的角色不能登记服务站点。"), code="station.forbidden")
    errors = _Errors()
    clean = _check(
        {
            "kind": kind,
            "name": name,
            "region": region_code,
            "address": address,
            "operator": operator_id,
            "service_area_m2": service_area_m2,
            "phone": phone,
            "opened_on": opened_on,
            "closed_on": closed_on,
            "active": active,
        },
        actor,
        errors,
    )
    errors.raise_if_any()
    with transaction.atomic():
        _unique_name(clean["region"], clean["name"], None)
        station = ServiceStation()
        changes = _apply(station, clean)
        station.save()
        audit_record(
            action="stations.station.created",
            actor=actor,
            target=station,
            region_code=station.region_id,
            changes=changes,
        )
    return station


def station_update(*, actor: Any, station_id: int, changes: Mapping[str, Any]) -> ServiceStation:
    """Change some fields (PATCH semantics: keys absent from `changes` keep their value)."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            code="station.field_readonly",
            fields={f: [_("不能修改。")] for f in sorted(unknown)},
        )
    with transaction.atomic():
        station = (
            stations_visible(user=actor)
            .select_for_update(of=("self",))
            .filter(pk=station_id)
            .first()
        )
        if station is None:
            raise NotFound()
        if not actor.has_perm("stations.change_servicestation", station):
            raise PermissionDenied(_("您的角色不能修改服务站点。"), code="station.forbidden")
        current = {field: getattr(station, field) for field in FIELDS}
        current["region"] = station.region_id
        current["operator"] = station.operator_id
        merged = {**current, **changes}
        errors = _Errors()
        clean = _check(merged, actor, errors)
        errors.raise_if_any()
        _unique_name(clean["region"], clean["name"], station.pk)
        applied = _apply(station, clean)
        if applied:
            station.save()
            audit_record(
                action="stations.station.updated",
                actor=actor,
                target=station,
                region_code=station.region_id,
                changes=applied,
            )
    return station


def _unique_name(region_code: str, name: str, exclude_pk: int | None) -> None:
    qs = ServiceStation.objects.filter(
        county_code=region_code[:6], region_id=region_code, name=name
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed(
            _("该区划下已有同名站点。"),
            code="station.name.duplicate",
            fields={"name": [_("该区划下已有同名站点。")]},
        )
