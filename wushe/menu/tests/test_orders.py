"""Order state rules per role, capacity, tag-restricted offerings, scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from wushe.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from wushe.menu import selectors, services
from wushe.menu.models import OrderStatus, ServiceOrder

from .conftest import TODAY, World

pytestmark = pytest.mark.django_db
WHEN = timezone.make_aware(datetime(2026, 3, 4, 9, 30))


def place(world: World, actor: str = "resident", **extra) -> ServiceOrder:
    values = {"offering_id": world.offering.pk, "service_date": TODAY + timedelta(days=2)}
    values.update(extra)
    order, created = services.order_create(actor=world.users[actor], **values)
    assert created
    return order


def walk(world: World, order: ServiceOrder, to: str) -> ServiceOrder:
    staff = world.users["org_staff"]
    steps = ["confirmed", "scheduled", "delivered", "rated"]
    for step in steps[: steps.index(to) + 1]:
        if step == "confirmed":
            services.order_confirm(order_id=order.pk, actor=staff)
        elif step == "scheduled":
            services.order_schedule(order_id=order.pk, actor=staff, when=WHEN)
        elif step == "delivered":
            services.order_deliver(order_id=order.pk, actor=staff, note="已完成助浴")
        else:
            services.order_rate(order_id=order.pk, actor=world.users["resident"], rating=5)
    order.refresh_from_db()
    return order


def test_the_whole_loop_resident_orders_provider_delivers_resident_rates(world):
    order = place(world)
    assert order.status == OrderStatus.PLACED and not order.on_behalf
    order = walk(world, order, "rated")
    assert order.status == OrderStatus.RATED
    assert order.rating == 5
    assert order.scheduled_for == WHEN
    assert order.delivery_note == "已完成助浴"


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("org_staff", "ok"),  # the provider
        ("community_a", "ok"),  # the resident's community worker
        ("township", "ok"),
        ("resident", PermissionDenied),  # the resident cannot confirm their own order
        ("other_org", NotFound),  # another organisation's staff does not see it
        ("community_b", NotFound),  # another community's worker
        ("volunteer", NotFound),
        ("auditor", PermissionDenied),  # sees, cannot act
    ],
)
def test_who_may_confirm(world, actor, expected):
    order = place(world)
    if expected == "ok":
        assert services.order_confirm(order_id=order.pk, actor=world.users[actor]).status == (
            OrderStatus.CONFIRMED
        )
    else:
        with pytest.raises(expected):
            services.order_confirm(order_id=order.pk, actor=world.users[actor])


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("resident", "ok"),
        ("org_staff", PermissionDenied),  # the provider never rates itself
        ("community_a", PermissionDenied),  # did not order on the resident's behalf
        ("other_resident", NotFound),
    ],
)
def test_who_may_rate(world, actor, expected):
    order = walk(world, place(world), "delivered")
    if expected == "ok":
        services.order_rate(order_id=order.pk, actor=world.users[actor], rating=4, comment="好")
        order.refresh_from_db()
        assert order.rating == 4
    else:
        with pytest.raises(expected):
            services.order_rate(order_id=order.pk, actor=world.users[actor], rating=1)


def test_worker_orders_on_behalf_and_records_the_residents_rating(world):
    order = place(world, actor="community_a", resident_id=world.resident.pk)
    assert order.on_behalf and order.ordered_by == world.users["community_a"]
    walk(world, order, "delivered")
    services.order_rate(order_id=order.pk, actor=world.users["community_a"], rating=3)
    order.refresh_from_db()
    assert order.rating == 3


def test_worker_cannot_order_for_a_resident_outside_their_community(world):
    with pytest.raises(NotFound):
        place(world, actor="community_b", resident_id=world.resident.pk)


def test_repeating_a_done_transition_is_a_noop_and_a_forbidden_one_is_409(world):
    order = walk(world, place(world), "rated")
    again = services.order_rate(order_id=order.pk, actor=world.users["resident"], rating=1)
    assert again.rating == 5  # the first rating stands
    services.order_deliver(order_id=order.pk, actor=world.users["org_staff"])
    with pytest.raises(Conflict) as info:
        services.order_cancel(order_id=order.pk, actor=world.users["resident"])
    assert info.value.code == "menu.order.invalid_transition"
    assert info.value.status == 409


def test_rate_before_delivery_is_refused(world):
    order = walk(world, place(world), "confirmed")
    with pytest.raises(Conflict):
        services.order_rate(order_id=order.pk, actor=world.users["resident"], rating=5)


def test_capacity_is_never_exceeded_and_a_cancel_frees_a_place(world):
    users = world.users
    from wushe.testing import NANGUANXIANG, make_user

    from .conftest import resident_record

    orders = []
    for i in range(3):
        user = make_user(f"u_cap_{i}", "resident", NANGUANXIANG)
        resident_record(f"居民{i}", user, [])
        orders.append(
            services.order_create(
                actor=user, offering_id=world.offering.pk, service_date=TODAY + timedelta(days=1)
            )[0]
        )
    with pytest.raises(Conflict) as info:
        place(world)
    assert info.value.code == "menu.order.capacity_full"
    # Next week is another period.
    assert place(world, service_date=TODAY + timedelta(days=7)).status == OrderStatus.PLACED
    services.order_cancel(order_id=orders[0].pk, actor=users["org_staff"], reason="居民住院")
    assert place(world).status == OrderStatus.PLACED
    menu = selectors.community_menu(community=world.resident.region_id, on=TODAY)
    assert menu.get(pk=world.offering.pk).taken == 3


def test_the_same_resident_cannot_hold_two_places_in_one_period(world):
    place(world)
    with pytest.raises(Conflict) as info:
        place(world, service_date=TODAY + timedelta(days=3))
    assert info.value.code == "menu.order.duplicate"


def test_tag_restricted_offering(world):
    offering = world.offer(title="独居老人助餐", audience="tagged", eligible_tags=["alone_elder"])
    order = place(world, offering_id=offering.pk)  # 张阿姨 lives alone
    assert order.status == OrderStatus.PLACED
    with pytest.raises(services.NotEligible) as info:
        place(world, actor="other_resident", offering_id=offering.pk)
    assert info.value.status == 403 and info.value.code == "menu.order.not_eligible"


def test_tagged_offering_needs_tags(world):
    with pytest.raises(ValidationFailed) as info:
        world.offer(title="空", audience="tagged", eligible_tags=[])
    assert info.value.code == "menu.offering.tags.required"


def test_paused_offering_takes_no_orders(world):
    services.offering_pause(offering_id=world.offering.pk, actor=world.users["org_staff"])
    with pytest.raises(Conflict) as info:
        place(world)
    assert info.value.code == "menu.order.unavailable"


def test_offering_of_another_township_is_not_on_the_menu(world):
    from wushe.testing import HAIZHOU

    other = services.offering_create(
        actor=world.users["county"],
        region_code=HAIZHOU,
        provider_kind="organization",
        provider_id=world.organization.pk,
        spec=services.OfferingSpec(category="health", title="义诊"),
    )
    with pytest.raises(NotFound):
        place(world, offering_id=other.pk)


def test_past_dates_are_refused(world):
    with pytest.raises(ValidationFailed):
        place(world, service_date=date(2026, 3, 1))


def test_scope_of_order_lists(world):
    order = place(world)
    mine = place(world, actor="community_a", resident_id=world.other.pk)
    users = world.users

    def seen(key: str) -> set[int]:
        return set(selectors.orders_visible(user=users[key]).values_list("pk", flat=True))

    assert seen("resident") == {order.pk}
    assert seen("other_resident") == {mine.pk}
    assert seen("org_staff") == {order.pk, mine.pk}
    assert seen("other_org") == set()
    assert seen("community_a") == {order.pk, mine.pk}
    assert seen("community_b") == set()
    assert seen("county") == {order.pk, mine.pk}


def test_provider_staff_cannot_put_offerings_outside_their_reach(world):
    from wushe.testing import ZHEJIANG

    with pytest.raises((PermissionDenied, ValidationFailed)):
        world.offer(region=ZHEJIANG)
    other_org = world.users["other_org"].grants.get().organization
    with pytest.raises(PermissionDenied):
        services.offering_create(
            actor=world.users["org_staff"],
            region_code=world.resident.region_id,
            provider_kind="organization",
            provider_id=other_org.pk,
            spec=services.OfferingSpec(category="health", title="义诊"),
        )


def test_satisfaction_is_aggregated(world):
    for rating in (5, 4, 2):
        from wushe.testing import NANGUANXIANG, make_user

        from .conftest import resident_record

        user = make_user(f"u_sat_{rating}", "resident", NANGUANXIANG)
        resident_record(f"评{rating}", user, [])
        order, _ = services.order_create(
            actor=user, offering_id=world.offering.pk, service_date=TODAY
        )
        walk(world, order, "delivered")
        services.order_rate(order_id=order.pk, actor=user, rating=rating)
    s = selectors.satisfaction(ServiceOrder.objects.all())
    assert (s.rated, s.good) == (3, 2)
    assert s.average == pytest.approx(11 / 3)


def test_provider_and_resident_hear_about_each_step(world):
    from wushe.notifications.models import Notification

    def titles(key: str) -> list[str]:
        return list(
            Notification.objects.filter(recipient=world.users[key])
            .order_by("pk")
            .values_list("title", flat=True)
        )

    order = place(world)
    assert titles("org_staff") == ["有一张新的点单待确认：上门助浴"]
    assert titles("other_org") == []
    walk(world, order, "delivered")
    assert titles("resident") == [
        "您点的服务已确认：上门助浴",
        "您点的服务已安排时间：上门助浴",
        "服务已完成，请评价：上门助浴",
    ]
    services.order_rate(order_id=order.pk, actor=world.users["resident"], rating=5)
    assert titles("org_staff")[-1] == "居民已评价：上门助浴"
    assert len(titles("resident")) == 3  # nobody is told about their own step
