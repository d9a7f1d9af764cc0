"""Putting services on the menu: create, edit, pause and resume an offering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from wushe.core.errors import DomainError, NotFound
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.residents.models import Tag
from wushe.taxonomy.models import Term, Vocabulary

from .. import rules
from ..models import Audience, Period, ProviderKind, ServiceOffering
from ._common import Errors, audit, forbidden, text, user_or_none, whole

ENTITY = "menu.offering"
MENU_LEVELS = (codes.Level.COUNTY, codes.Level.TOWNSHIP, codes.Level.COMMUNITY)
EDITABLE = [
    "category",
    "title",
    "description",
    "audience",
    "eligible_tags",
    "price_fen",
    "subsidy_fen",
    "capacity",
    "period",
    "schedule",
    "location",
    "available_from",
    "available_until",
]


@dataclass
class OfferingSpec:
    """What an offering says. Amounts in integer fen."""

    category: Any
    title: str
    description: str = ""
    audience: str = Audience.EVERYONE
    eligible_tags: list[str] = field(default_factory=list)
    price_fen: Any = 0
    subsidy_fen: Any = 0
    capacity: Any = 10
    period: str = Period.WEEK
    schedule: str = ""
    location: str = ""
    available_from: date | None = None
    available_until: date | None = None


def _term(raw: Any, errors: Errors) -> Term | None:
    if isinstance(raw, Term):
        if raw.vocabulary == Vocabulary.SERVICE_CATEGORY:
            return raw
        raw = raw.pk
    text_value = str(raw or "").strip()
    qs = Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY, active=True)
    term = (
        qs.filter(pk=int(text_value)).first()
        if text_value.isdigit()
        else qs.filter(code=text_value).first()
    )
    if term is None:
        errors.add("category", "category.invalid", _("请选择有效的服务类别。"))
    return term


def _clean(spec: OfferingSpec) -> dict[str, Any]:
    errors = Errors(ENTITY)
    values: dict[str, Any] = {
        "category": _term(spec.category, errors),
        "title": text(spec.title, "title", _("服务名称"), 100, errors, required=True),
        "description": text(spec.description, "description", _("服务内容"), 2000, errors),
        "schedule": text(spec.schedule, "schedule", _("服务时间"), 200, errors),
        "location": text(spec.location, "location", _("服务地点"), 200, errors),
        "price_fen": whole(spec.price_fen, "price_fen", _("居民支付金额（分）"), errors),
        "subsidy_fen": whole(spec.subsidy_fen, "subsidy_fen", _("补贴金额（分）"), errors),
        "capacity": whole(spec.capacity, "capacity", _("名额"), errors, minimum=1),
        "available_from": spec.available_from,
        "available_until": spec.available_until,
    }
    if spec.audience not in Audience.values:
        errors.add("audience", "audience.invalid", _("请选择服务对象。"))
    if spec.period not in Period.values:
        errors.add("period", "period.invalid", _("请选择名额周期。"))
    tags = sorted({str(t) for t in spec.eligible_tags or []})
    unknown = [t for t in tags if t not in Tag.values]
    if unknown:
        errors.add(
            "eligible_tags", "tags.invalid", _("未知的困难群体：%(t)s") % {"t": "、".join(unknown)}
        )
    if spec.audience == Audience.TAGGED and not tags:
        errors.add("eligible_tags", "tags.required", _("限定困难群体时请至少选择一个群体。"))
    if spec.audience == Audience.EVERYONE:
        tags = []
    if spec.available_from and spec.available_until and spec.available_until < spec.available_from:
        errors.add("available_until", "dates.order", _("结束日期不能早于开始日期。"))
    errors.raise_if_any()
    values.update(audience=spec.audience, period=spec.period, eligible_tags=tags)
    return values


def _provider(kind: str, provider_id: int, errors: Errors) -> Any:
    from wushe.organizations.models import Organization
    from wushe.stations.models import ServiceStation, StationKind
    from wushe.volunteers.models import VolunteerTeam

    found: Any = None
    if kind == ProviderKind.ORGANIZATION:
        found = Organization.objects.filter(pk=provider_id).first()
    elif kind == ProviderKind.TEAM:
        found = VolunteerTeam.objects.filter(pk=provider_id).first()
    elif kind == ProviderKind.STATION:
        found = ServiceStation.objects.filter(pk=provider_id, kind=StationKind.SOCIAL_WORK).first()
    else:
        errors.add("provider_kind", "provider.kind", _("请选择服务提供方类型。"))
        return None
    if found is None:
        errors.add("provider", "provider.not_found", _("服务提供方不存在。"))
    return found


def _region(raw: str, errors: Errors) -> str:
    try:
        region = codes.normalize(raw)
    except DomainError:
        errors.add("region", "region.invalid", _("请选择有效的区划。"))
        return ""
    if codes.level_of(region) not in (
        codes.Level.COUNTY,
        codes.Level.TOWNSHIP,
        codes.Level.COMMUNITY,
    ):
        errors.add("region", "region.level", _("服务区域应为区县、乡镇（街道）或社区（村）。"))
        return ""
    if not Region.objects.filter(code=region).exists():
        errors.add("region", "region.not_found", _("区划不存在：%(c)s") % {"c": region})
        return ""
    return region


def offering_create(
    *,
    actor: Any,
    region_code: str,
    provider_kind: str,
    provider_id: int,
    spec: OfferingSpec,
) -> ServiceOffering:
    """Put a service on the menu of a region. The provider's staff may do it within the
    provider's own region; workers (WRITER_ROLES) for any provider in their scope."""
    # Who may put services on a menu at all, before the input is looked at: a caller who
    # may not is refused the same way whatever the body says.
    if not rules.manages_menu(actor):
        raise forbidden(f"{ENTITY}.forbidden", _("您不能为该服务提供方在此区域上架服务。"))
    errors = Errors(ENTITY)
    region = _region(region_code, errors)
    provider = _provider(provider_kind, provider_id, errors)
    errors.raise_if_any()
    values = _clean(spec)
    offering = ServiceOffering(
        provider_kind=provider_kind, created_by=user_or_none(actor), **values
    )
    setattr(offering, provider_kind, provider)  # the kinds are named like the FK fields
    offering.place(region)
    allowed = rules.may_order_for_others(actor, region) or (
        rules.provides(actor, offering)
        and region.startswith(codes.significant_prefix(provider.region_id))
    )
    if not allowed:
        raise forbidden(f"{ENTITY}.forbidden", _("您不能为该服务提供方在此区域上架服务。"))
    with transaction.atomic(durable=True):
        offering.save()
        audit(
            "offering.created",
            offering,
            actor,
            {
                "title": offering.title,
                "provider": f"{provider_kind}:{provider_id}",
                "capacity": offering.capacity,
                "period": offering.period,
                "price_fen": offering.price_fen,
            },
        )
    return offering


def _lock(offering_id: int, actor: Any) -> ServiceOffering:
    county = (
        ServiceOffering.objects.filter(pk=offering_id).values_list("county_code", flat=True).first()
    )
    if county is None:
        raise NotFound()
    offering = (
        ServiceOffering.objects.select_for_update(of=("self",))
        .select_related("team", "station")
        .get(county_code=county, pk=offering_id)
    )
    if not rules.may_view_offering(actor, offering):
        raise NotFound()
    if not rules.may_manage_offering(actor, offering):
        raise forbidden(f"{ENTITY}.forbidden", _("您不能管理这项服务。"))
    return offering


def offering_update(*, offering_id: int, actor: Any, spec: OfferingSpec) -> ServiceOffering:
    """Change what an offering says. Orders already placed keep their price; a smaller
    capacity does not cancel orders already holding places."""
    with transaction.atomic(durable=True):
        offering = _lock(offering_id, actor)
        values = _clean(spec)  # only once the caller may manage this offering
        changes: dict[str, Any] = {}
        for name, value in values.items():
            before = getattr(offering, name)
            if before != value:
                changes[name] = [
                    getattr(before, "code", before) if name == "category" else before,
                    getattr(value, "code", value) if name == "category" else value,
                ]
                setattr(offering, name, value)
        if changes:
            offering.save(update_fields=[*EDITABLE, "updated_at"])
            audit(
                "offering.updated",
                offering,
                actor,
                {k: [str(a), str(b)] for k, (a, b) in changes.items()},
            )
        return offering


def _set_active(offering_id: int, actor: Any, active: bool) -> ServiceOffering:
    with transaction.atomic(durable=True):
        offering = _lock(offering_id, actor)
        if offering.active == active:
            return offering  # already so: a repeated request changes nothing
        offering.active = active
        offering.save(update_fields=["active", "updated_at"])
        audit(
            "offering.resumed" if active else "offering.paused", offering, actor, {"active": active}
        )
        return offering


def offering_pause(*, offering_id: int, actor: Any) -> ServiceOffering:
    """Take the offering off the menu: no new orders; orders already placed go on."""
    return _set_active(offering_id, actor, False)


def offering_resume(*, offering_id: int, actor: Any) -> ServiceOffering:
    return _set_active(offering_id, actor, True)
