"""Orders (点单 → 评单): a resident orders (or a worker on their behalf), the provider confirms
or declines, schedules and signs off the delivery, the resident rates. One service per
transition (models.TRANSITIONS).

Capacity: `order_create` locks the offering's row and counts the places taken in the period
under that lock, so concurrent orders for the last places queue on the lock and the later
ones see the earlier ones' rows (READ COMMITTED takes a new snapshot per statement)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wushe.accounts.roles import Role
from wushe.accounts.scoping import in_scope
from wushe.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from wushe.core.idempotency import fingerprint, idempotent_create
from wushe.residents.models import Resident, ResidentStatus, ResidentTag

from .. import rules
from ..models import (
    ACTION_RESULT,
    HOLDING_STATUSES,
    Audience,
    OrderAction,
    OrderStatus,
    ServiceOffering,
    ServiceOrder,
    period_start,
    transition_target,
)
from ._common import Errors, audit, forbidden, text, user_or_none

ENTITY = "menu.order"


class NotEligible(DomainError):
    status = 403
    code = "menu.order.not_eligible"


class _Replay(Exception):
    """Raised inside the order transaction when a twin under the same key won the lock."""

    def __init__(self, order: ServiceOrder) -> None:
        super().__init__(order.pk)
        self.order = order


def places_taken(offering: ServiceOffering, start: date) -> int:
    return ServiceOrder.objects.filter(
        county_code=offering.county_code,
        offering=offering,
        period_start=start,
        status__in=HOLDING_STATUSES,
    ).count()


def _resident_for(actor: Any, resident_id: int | None, errors: Errors) -> Resident | None:
    """The resident the order is for: the actor's own record, or (for workers) the one named."""
    uid = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    if uid is None:
        raise NotFound()
    if resident_id is None:
        own = list(
            Resident.objects.filter(user_id=uid, status=ResidentStatus.ACTIVE).order_by("pk")[:2]
        )
        if not own:
            errors.add("resident", "resident.required", _("请选择为哪位居民点单。"))
            return None
        return own[0]
    resident = Resident.objects.filter(pk=resident_id, status=ResidentStatus.ACTIVE).first()
    if resident is None:
        raise NotFound()
    if resident.user_id == uid:
        return resident
    if not rules.may_order_for_others(actor, resident.region_id):
        raise NotFound()
    return resident


def _eligible(offering: ServiceOffering, resident: Resident, on: date) -> bool:
    if offering.audience != Audience.TAGGED:
        return True
    return ResidentTag.objects.filter(
        resident_id=resident.pk,
        tag__in=list(offering.eligible_tags),
        start_date__lte=on,
        end_date__isnull=True,
    ).exists()


def order_create(
    *,
    actor: Any,
    offering_id: int,
    service_date: date,
    resident_id: int | None = None,
    note: str = "",
    idempotency_key: str = "",
) -> tuple[ServiceOrder, bool]:
    """Order a menu service for a resident (their own, or on their behalf by a worker).
    Returns (order, created). Raises NotFound (offering or resident out of reach), NotEligible
    (a service for given vulnerable groups), Conflict `menu.order.capacity_full`,
    `menu.order.duplicate`, `menu.order.unavailable`, ValidationFailed."""
    # Who may order at all, before the input is looked at: a caller who may not is refused
    # the same way whatever the body says.
    if not getattr(actor, "is_authenticated", False):
        raise NotFound()
    if not rules.may_order_somewhere(actor):
        raise forbidden(f"{ENTITY}.forbidden", _("请使用居民账号点单。"))
    errors = Errors(ENTITY)
    note = text(note, "note", _("备注"), 500, errors)
    if not isinstance(service_date, date) or isinstance(service_date, datetime):
        errors.add("service_date", "service_date.invalid", _("请选择服务日期。"))
    resident = _resident_for(actor, resident_id, errors)
    errors.raise_if_any()
    assert resident is not None
    offering = (
        ServiceOffering.objects.filter(pk=offering_id).select_related("team", "station").first()
    )
    if offering is None or not rules.on_menu_of(offering.region_id, resident.region_id):
        raise NotFound()
    body = {
        "offering": offering.pk,
        "resident": resident.pk,
        "service_date": service_date,
        "note": note,
    }
    print_ = fingerprint(body)
    if idempotency_key:
        # A retry returns the stored order even when the date has passed or the places
        # are gone since.
        stored = ServiceOrder.objects.filter(
            county_code=resident.county_code,
            ordered_by=user_or_none(actor),
            idempotency_key=idempotency_key,
        ).first()
        if stored is not None:
            if stored.idempotency_fingerprint != print_:
                raise Conflict(
                    _("该幂等键已用于另一项不同内容的提交。"), code="idempotency.key_reused"
                )
            return stored, False
    on_behalf = resident.user_id != actor.pk
    if (
        not on_behalf
        and not in_scope(actor, resident.region_id, {Role.RESIDENT})
        and not rules.may_order_for_others(actor, resident.region_id)
    ):
        raise forbidden(f"{ENTITY}.forbidden", _("请使用居民账号点单。"))
    today = timezone.localdate()
    if service_date < today:
        raise ValidationFailed(
            _("服务日期不能早于今天。"),
            code=f"{ENTITY}.service_date.past",
            fields={"service_date": [str(_("服务日期不能早于今天。"))]},
        )
    if (offering.available_from and service_date < offering.available_from) or (
        offering.available_until and service_date > offering.available_until
    ):
        raise Conflict(_("所选日期不在该服务的提供期内。"), code=f"{ENTITY}.out_of_dates")
    if not _eligible(offering, resident, today):
        raise NotEligible(_("该服务仅面向特定困难群体，您暂不符合条件。"))
    start = period_start(offering.period, service_date)

    def create() -> ServiceOrder:
        # The capacity lock: every order of this offering queues here.
        locked = (
            ServiceOffering.objects.select_for_update()
            .only("pk", "active", "capacity", "price_fen", "subsidy_fen", "county_code")
            .get(county_code=offering.county_code, pk=offering.pk)
        )
        if idempotency_key:
            # A twin with the same key may have committed while this one waited for the lock.
            twin = ServiceOrder.objects.filter(
                county_code=resident.county_code,
                ordered_by=user_or_none(actor),
                idempotency_key=idempotency_key,
            ).first()
            if twin is not None:
                raise _Replay(twin)
        if not locked.active:
            raise Conflict(_("该服务已下架，暂不接受点单。"), code=f"{ENTITY}.unavailable")
        holding = ServiceOrder.objects.filter(
            county_code=offering.county_code,
            offering_id=offering.pk,
            period_start=start,
            status__in=HOLDING_STATUSES,
        )
        if (
            holding.filter(resident_id=resident.pk)
            .exclude(status__in=[OrderStatus.DELIVERED, OrderStatus.RATED])
            .exists()
        ):
            raise Conflict(
                _("您在本周期已点过这项服务，请等待服务完成后再点。"), code=f"{ENTITY}.duplicate"
            )
        if holding.count() >= locked.capacity:
            raise Conflict(
                _("该服务本期名额已满，请选择其他日期或服务。"), code=f"{ENTITY}.capacity_full"
            )
        order = ServiceOrder(
            offering_id=offering.pk,
            resident=resident,
            ordered_by=user_or_none(actor),
            on_behalf=on_behalf,
            service_date=service_date,
            period_start=start,
            note=note,
            price_fen=locked.price_fen,
            subsidy_fen=locked.subsidy_fen,
            idempotency_key=idempotency_key,
            idempotency_fingerprint=print_ if idempotency_key else "",
        )
        order.place(resident.region_id)
        order.save()
        audit(
            "order.placed",
            order,
            actor,
            {
                "offering": offering.pk,
                "service_date": service_date.isoformat(),
                "on_behalf": on_behalf,
                "price_fen": order.price_fen,
            },
        )
        tell(
            order,
            provider_users(offering),
            kind="order_placed",
            title=_("有一张新的点单待确认：%(t)s") % {"t": offering.title},
            actor=actor,
        )
        return order

    try:
        return idempotent_create(
            model=ServiceOrder,
            county_code=resident.county_code,
            actor=actor,
            key=idempotency_key,
            fingerprint=print_,
            create=create,
            actor_field="ordered_by",
        )
    except _Replay as replay:
        if replay.order.idempotency_fingerprint != print_:
            raise Conflict(
                _("该幂等键已用于另一项不同内容的提交。"), code="idempotency.key_reused"
            ) from None
        return replay.order, False


# --- who hears about it ---------------------------------------------------------------------


def provider_users(offering: ServiceOffering) -> list[int]:
    """The users who act for an offering's provider: staff of the organisation (also of the
    organisation running the team or operating the station), the team's leader, the social
    workers of the station."""
    from wushe.accounts.models import RoleGrant
    from wushe.socialworkers.models import SocialWorker

    users: list[int] = []
    orgs: list[int] = []
    if offering.organization_id is not None:
        orgs.append(offering.organization_id)
    team = offering.team
    if team is not None:
        if team.organization_id is not None:
            orgs.append(team.organization_id)
        if team.leader_id is not None:
            leader = team.leader
            if leader is not None and leader.user_id is not None:
                users.append(leader.user_id)
    station = offering.station
    if station is not None:
        if station.operator_id is not None:
            orgs.append(station.operator_id)
        users.extend(
            uid
            for uid in SocialWorker.objects.filter(
                station_id=offering.station_id, user__isnull=False
            ).values_list("user_id", flat=True)
            if uid is not None
        )
    if orgs:
        users.extend(
            RoleGrant.objects.filter(
                role=Role.ORG_STAFF, organization_id__in=orgs, revoked_at__isnull=True
            ).values_list("user_id", flat=True)
        )
    return users


def resident_users(order: ServiceOrder) -> list[int]:
    users = [order.ordered_by_id] if order.ordered_by_id else []
    owner = Resident.objects.filter(pk=order.resident_id).values_list("user_id", flat=True).first()
    if owner:
        users.append(owner)
    return users


def tell(order: ServiceOrder, recipients: list[int], *, kind: str, title: str, actor: Any) -> None:
    """Inbox notifications in the caller's transaction. Titles carry no personal data: the
    service and the community, the rest is behind the link."""
    from django.urls import reverse

    from wushe.notifications.services import notify

    skip = getattr(actor, "pk", None)
    wanted = [uid for uid in dict.fromkeys(recipients) if uid and uid != skip]
    if wanted:
        notify(
            recipients=wanted,
            kind=f"menu.{kind}",
            title=title,
            link=reverse("menu:order_detail", args=[order.pk]),
            region_code=order.region_id,
            target=order,
        )


# --- transitions -----------------------------------------------------------------------------


def _lock(order_id: int, actor: Any) -> ServiceOrder:
    county = ServiceOrder.objects.filter(pk=order_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    order = (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("offering", "offering__team", "offering__station", "resident")
        .get(county_code=county, pk=order_id)
    )
    if not rules.may_view_order(actor, order):
        raise NotFound()
    return order


def _invalid(order: ServiceOrder, action: str) -> Conflict:
    return Conflict(
        _("点单当前为“%(s)s”，不能%(a)s。")
        % {"s": order.get_status_display(), "a": OrderAction(action).label},
        code=f"{ENTITY}.invalid_transition",
    )


# The field each forward action leaves set: an order past that step has had the action done.
DONE_MARK: dict[str, str] = {
    OrderAction.CONFIRM: "confirmed_at",
    OrderAction.SCHEDULE: "scheduled_for",
    OrderAction.DELIVER: "delivered_at",
    OrderAction.RATE: "rated_at",
}


def _already_done(order: ServiceOrder, action: str) -> bool:
    """Whether `action` already happened to the order (a retried request): its status is the
    action's result, or the order went on past it (delivered after confirm …) without being
    cancelled or declined."""
    if order.status == ACTION_RESULT[action]:
        return True
    mark = DONE_MARK.get(action)
    if mark is None or order.status in (OrderStatus.CANCELLED, OrderStatus.DECLINED):
        return False
    return getattr(order, mark) is not None


def _allowed(order_id: int, action: str, actor: Any) -> ServiceOrder:
    """Lock and check the rule: 404 outside the caller's view, 403 without the right. An
    action that takes input checks it only after this, so whoever may not act is refused the
    same way whatever the body says."""
    order = _lock(order_id, actor)
    if not rules.ACTION_RULES[action](actor, order):
        raise forbidden(f"{ENTITY}.forbidden", _("您不能对这张点单执行此操作。"))
    return order


def _target(order: ServiceOrder, action: str) -> str | None:
    """The status the action leads to; None when it already happened (a no-op)."""
    target = transition_target(action, order.status)
    if target is None:
        if _already_done(order, action):
            return None
        raise _invalid(order, action)
    return target


def _begin(order_id: int, action: str, actor: Any) -> tuple[ServiceOrder, str | None]:
    """Lock, check the rule and the state. Returns (order, target); target None means the
    action already happened (a no-op)."""
    order = _allowed(order_id, action, actor)
    return order, _target(order, action)


def _finish(
    order: ServiceOrder,
    action: str,
    target: str,
    actor: Any,
    fields: list[str],
    changes: dict[str, Any] | None = None,
) -> ServiceOrder:
    before = order.status
    order.status = target
    order.save(update_fields=["status", "updated_at", *fields])
    audit(f"order.{action}", order, actor, {"status": [before, target], **(changes or {})})
    title = order.offering.title
    if action in (OrderAction.RATE,) or (
        action == OrderAction.CANCEL and rules.is_order_resident(actor, order)
    ):
        recipients = provider_users(order.offering)
    else:
        recipients = resident_users(order)
    tell(
        order,
        recipients,
        kind=f"order_{action}",
        title=str(NEWS[action]) % {"t": title},
        actor=actor,
    )
    return order


NEWS: dict[str, Any] = {
    OrderAction.CONFIRM: gettext_lazy("您点的服务已确认：%(t)s"),
    OrderAction.DECLINE: gettext_lazy("您点的服务未能安排：%(t)s"),
    OrderAction.SCHEDULE: gettext_lazy("您点的服务已安排时间：%(t)s"),
    OrderAction.DELIVER: gettext_lazy("服务已完成，请评价：%(t)s"),
    OrderAction.RATE: gettext_lazy("居民已评价：%(t)s"),
    OrderAction.CANCEL: gettext_lazy("点单已取消：%(t)s"),
}


def order_confirm(*, order_id: int, actor: Any) -> ServiceOrder:
    """The provider accepts the order (接单)."""
    with transaction.atomic(durable=True):
        order, target = _begin(order_id, OrderAction.CONFIRM, actor)
        if target is None:
            return order
        order.confirmed_at = timezone.now()
        return _finish(order, OrderAction.CONFIRM, target, actor, ["confirmed_at"])


def order_decline(*, order_id: int, actor: Any, reason: str) -> ServiceOrder:
    """The provider cannot serve this order; the place is freed."""
    with transaction.atomic(durable=True):
        order = _allowed(order_id, OrderAction.DECLINE, actor)
        errors = Errors(ENTITY)
        reason = text(reason, "reason", _("原因"), 500, errors, required=True)
        errors.raise_if_any()
        target = _target(order, OrderAction.DECLINE)
        if target is None:
            return order
        order.status_reason = reason
        order.cancelled_at = timezone.now()
        return _finish(order, OrderAction.DECLINE, target, actor, ["status_reason", "cancelled_at"])


def order_schedule(*, order_id: int, actor: Any, when: datetime) -> ServiceOrder:
    """The provider fixes the appointment; scheduling again moves it. The same time again is
    a no-op."""
    with transaction.atomic(durable=True):
        order = _allowed(order_id, OrderAction.SCHEDULE, actor)
        if not isinstance(when, datetime):
            raise ValidationFailed(
                _("请选择服务时间。"),
                code=f"{ENTITY}.scheduled_for.invalid",
                fields={"scheduled_for": [str(_("请选择服务时间。"))]},
            )
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        target = _target(order, OrderAction.SCHEDULE)
        if target is None or (
            order.status == OrderStatus.SCHEDULED and order.scheduled_for == when
        ):
            return order
        before = order.scheduled_for
        order.scheduled_for = when
        return _finish(
            order,
            OrderAction.SCHEDULE,
            target,
            actor,
            ["scheduled_for"],
            {"scheduled_for": [before.isoformat() if before else None, when.isoformat()]},
        )


def order_deliver(*, order_id: int, actor: Any, note: str = "") -> ServiceOrder:
    """The provider signs off the delivery: the service was given (服务完成)."""
    with transaction.atomic(durable=True):
        order = _allowed(order_id, OrderAction.DELIVER, actor)
        errors = Errors(ENTITY)
        note = text(note, "note", _("服务记录"), 500, errors)
        errors.raise_if_any()
        target = _target(order, OrderAction.DELIVER)
        if target is None:
            return order
        order.delivered_at = timezone.now()
        order.delivered_by = user_or_none(actor)
        order.delivery_note = note
        return _finish(
            order,
            OrderAction.DELIVER,
            target,
            actor,
            ["delivered_at", "delivered_by", "delivery_note"],
        )


def order_rate(*, order_id: int, actor: Any, rating: object, comment: str = "") -> ServiceOrder:
    """The resident rates the delivered service (评单): 1–5 and a comment. Rating twice is a
    no-op (the first rating stands)."""
    with transaction.atomic(durable=True):
        order = _allowed(order_id, OrderAction.RATE, actor)
        errors = Errors(ENTITY)
        try:
            value = int(str(rating))
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            errors.add("rating", "rating.invalid", _("请给出 1–5 星的评价。"))
        comment = text(comment, "comment", _("评价"), 500, errors)
        errors.raise_if_any()
        target = _target(order, OrderAction.RATE)
        if target is None:
            return order
        order.rating = value
        order.rating_comment = comment
        order.rated_at = timezone.now()
        return _finish(
            order,
            OrderAction.RATE,
            target,
            actor,
            ["rating", "rating_comment", "rated_at"],
            {"rating": value},
        )


def order_cancel(*, order_id: int, actor: Any, reason: str = "") -> ServiceOrder:
    """Cancel before delivery; the place is freed. Anyone but the resident gives a reason."""
    with transaction.atomic(durable=True):
        order = _allowed(order_id, OrderAction.CANCEL, actor)
        errors = Errors(ENTITY)
        reason = text(reason, "reason", _("原因"), 500, errors)
        errors.raise_if_any()
        target = _target(order, OrderAction.CANCEL)
        if target is None:
            return order
        if not reason and not rules.is_order_resident(actor, order):
            raise ValidationFailed(
                _("请填写取消原因。"),
                code=f"{ENTITY}.reason.required",
                fields={"reason": [str(_("请填写取消原因。"))]},
            )
        order.status_reason = reason
        order.cancelled_at = timezone.now()
        return _finish(order, OrderAction.CANCEL, target, actor, ["status_reason", "cancelled_at"])
