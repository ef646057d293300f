"""The order status table and the one function that moves an order through it (PRODUCT.md §7)."""

import itertools

import pytest

from orders.events import SYSTEM, Actor
from orders.models import Order
from orders.services import TransitionRefused, _transition, order_transition
from orders.statuses import OrderStatus, can_transition, status_after_authorization
from tests.factories import OrderFactory

S = OrderStatus

# The product's table: on from approval to invoicing, and canceled from anything not invoiced.
ALLOWED = {
    (S.WAITING_FOR_MANUAL_AUTHORIZATION, S.PAYMENT_PENDING),
    (S.WAITING_FOR_MANUAL_AUTHORIZATION, S.READY_FOR_HANDLING),
    (S.WAITING_FOR_MANUAL_AUTHORIZATION, S.CANCELED),
    (S.PAYMENT_PENDING, S.READY_FOR_HANDLING),
    (S.PAYMENT_PENDING, S.CANCELED),
    (S.READY_FOR_HANDLING, S.HANDLING),
    (S.READY_FOR_HANDLING, S.CANCELED),
    (S.HANDLING, S.INVOICED),
    (S.HANDLING, S.CANCELED),
}


def test_the_table_allows_exactly_the_products_transitions():
    for from_status, to_status in itertools.product(S.values, repeat=2):
        assert can_transition(from_status, to_status) is ((from_status, to_status) in ALLOWED), (
            from_status,
            to_status,
        )


def test_a_status_the_table_does_not_know_goes_nowhere():
    assert can_transition("new", S.PAYMENT_PENDING) is False
    assert can_transition(S.PAYMENT_PENDING, "new") is False


def test_an_authorized_order_goes_on_to_handling_once_the_marketplace_approved_it():
    assert status_after_authorization(marketplace_approved=True) == S.READY_FOR_HANDLING
    assert status_after_authorization(marketplace_approved=False) == S.PAYMENT_PENDING


@pytest.fixture
def pending(shop):
    """The example order, integrated without divergence and waiting for the marketplace's payment."""
    order = OrderFactory(connector=shop.connector)
    assert order.status == S.PAYMENT_PENDING
    return order


def status_events(order):
    return list(
        order.events.filter(from_status__gt="").values_list(
            "kind", "from_status", "to_status", "actor_label", "note"
        )
    )


def test_a_transition_changes_the_status_and_writes_its_event_in_one_go(pending, owner):
    before = pending.updated_at
    moved = order_transition(
        order=Order.objects.get(pk=pending.pk),
        to_status=S.READY_FOR_HANDLING,
        actor=Actor.of_user(owner),
        note="Paid.",
        data={"payment": "confirmed"},
        extra_updates={"marketplace_approved": True},
    )
    stored = Order.objects.get(pk=pending.pk)
    assert (stored.status, stored.marketplace_approved) == (S.READY_FOR_HANDLING, True)
    assert stored.updated_at > before
    # The caller's order shows what was written.
    assert (moved.status, moved.marketplace_approved, moved.updated_at) == (
        S.READY_FOR_HANDLING,
        True,
        stored.updated_at,
    )
    event = stored.events.get(to_status=S.READY_FOR_HANDLING)
    assert (event.kind, event.from_status, event.actor, event.actor_label, event.note, event.data) == (
        "status",
        S.PAYMENT_PENDING,
        owner,
        "owner@acme.example",
        "Paid.",
        {"payment": "confirmed"},
    )


def test_a_transition_may_be_recorded_as_a_decision(pending):
    order_transition(order=pending, to_status=S.CANCELED, actor=SYSTEM, kind="decision", note="Denied.")
    assert status_events(pending)[-1] == ("decision", S.PAYMENT_PENDING, S.CANCELED, "system", "Denied.")


def test_a_transition_the_table_refuses_changes_nothing(pending, shop):
    events_before = list(pending.events.values_list("pk", flat=True))
    with pytest.raises(TransitionRefused) as refused:
        order_transition(order=pending, to_status=S.INVOICED, actor=SYSTEM)
    assert (
        str(refused.value) == f"Order {pending.main_order_id} is payment pending; it cannot become invoiced."
    )
    assert (refused.value.order, refused.value.to_status, refused.value.current_status) == (
        pending,
        S.INVOICED,
        S.PAYMENT_PENDING,
    )
    assert Order.objects.get(pk=pending.pk).status == S.PAYMENT_PENDING
    assert list(pending.events.values_list("pk", flat=True)) == events_before
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1


# `order_transition` locks the order and reads it again, so the table judges the status it has
# now; `_transition`, for callers already holding the lock, refuses a stale read by its
# compare-and-set on the status.
@pytest.mark.parametrize("move", [order_transition, _transition])
def test_an_order_read_before_another_moved_it_is_refused_with_the_status_it_has_now(pending, move):
    read_before = Order.objects.get(pk=pending.pk)
    order_transition(order=pending, to_status=S.CANCELED, actor=SYSTEM)
    with pytest.raises(TransitionRefused) as refused:
        move(order=read_before, to_status=S.READY_FOR_HANDLING, actor=SYSTEM)
    assert str(refused.value) == (
        f"Order {pending.main_order_id} is canceled; it cannot become ready for handling."
    )
    assert refused.value.current_status == S.CANCELED
    assert Order.objects.get(pk=pending.pk).status == S.CANCELED
    assert [event[2] for event in status_events(pending)] == [S.CANCELED]


def test_a_writer_holding_an_order_deleted_since_is_told_it_is_gone(pending):
    read_before = Order.objects.get(pk=pending.pk)
    Order.objects.filter(pk=pending.pk).delete()
    with pytest.raises(TransitionRefused) as refused:
        _transition(order=read_before, to_status=S.READY_FOR_HANDLING, actor=SYSTEM)
    assert (
        str(refused.value) == f"Order {pending.main_order_id} is gone; it cannot become ready for handling."
    )
    assert not Order.objects.filter(pk=pending.pk).exists()


def test_canceling_gives_the_reserved_stock_back(pending, shop):
    order_transition(order=pending, to_status=S.CANCELED, actor=SYSTEM)
    shop.stock.refresh_from_db()
    assert (shop.stock.quantity, shop.stock.reserved) == (10, 0)
    stored = Order.objects.get(pk=pending.pk)
    assert stored.reservation_released_at is not None
    release = stored.events.get(kind="reservation")
    assert (release.note, release.data) == ("Order canceled.", {"released": [{"sku": "1", "quantity": 1}]})


def test_moving_on_keeps_the_reservation(pending, shop):
    order_transition(order=pending, to_status=S.READY_FOR_HANDLING, actor=SYSTEM)
    shop.stock.refresh_from_db()
    assert (shop.stock.quantity, shop.stock.reserved) == (10, 1)
    stored = Order.objects.get(pk=pending.pk)
    assert stored.reservation_released_at is None
    assert not stored.events.filter(kind="reservation").exists()


def test_a_transition_moves_that_order_only(pending, shop):
    other = OrderFactory(connector=shop.connector)
    order_transition(order=pending, to_status=S.READY_FOR_HANDLING, actor=SYSTEM)
    assert Order.objects.get(pk=other.pk).status == S.PAYMENT_PENDING
    assert status_events(other) == []
