"""A worker delivers its own batch's few notifications right after its commit, briefly; the rest,
and every connector that answers late or not at all, go by the delivery queue.

What the connector receives is read from the test connector server; the delivery tasks queued
are recorded instead of run (`queued`), so each test says which rows went by the queue.
"""

import pytest

from connectors import notifications
from connectors.models import Notification
from connectors.notifications import INLINE_AT_MOST
from tests.factories import OrderFactory
from tests.orders.payloads import order_body
from tests.support.notifications import Queued, write


def written(shop, count: int, capture, *, here: bool = True) -> list[Notification]:
    """Write `count` notifications of no order in one transaction, as the intake's write stage does."""
    return write(shop, *[None] * count, capture=capture, deliver_here=here)


def states(rows) -> list[tuple]:
    return list(
        Notification.objects.filter(pk__in=[row.pk for row in rows])
        .order_by("pk")
        .values_list("state", "attempt_count")
    )


def test_an_order_placed_is_notified_by_the_worker_that_processed_it_without_a_second_task(
    mkp, shop, connector_server, queued
):
    mkp.place(order_body())
    (received,) = connector_server.wait_for(1)
    assert received.body["code"] == "SOI001"
    assert queued == []  # no delivery task: the processing task delivered it itself
    assert states(Notification.objects.all()) == [("delivered", 1)]


def test_a_few_notifications_are_delivered_in_passing_and_more_go_by_the_queue(
    shop, connector_server, queued, capture
):
    few = written(shop, INLINE_AT_MOST, capture)
    assert len(connector_server.wait_for(INLINE_AT_MOST)) == INLINE_AT_MOST
    assert states(few) == [("delivered", 1)] * INLINE_AT_MOST and queued == []

    many = written(shop, INLINE_AT_MOST + 1, capture)
    assert states(many) == [("pending", 0)] * (INLINE_AT_MOST + 1)
    assert queued == [Queued("many", [row.pk for row in many], None)]


@pytest.mark.parametrize("here", [True, False])
def test_only_the_worker_s_own_batch_and_only_when_switched_on(
    shop, connector_server, queued, capture, settings, here
):
    settings.NOTIFICATION_INLINE_SECONDS = 0 if here else 0.25
    rows = written(shop, 2, capture, here=here)
    assert states(rows) == [("pending", 0)] * 2
    assert queued == [Queued("many", [row.pk for row in rows], None)]


def test_a_connector_that_does_not_answer_in_time_gets_the_try_again_at_once_from_the_queue_and_is_paused(
    shop, connector_server, queued, capture, settings
):
    settings.NOTIFICATION_INLINE_SECONDS = 0.2
    connector_server.respond_with("hang")
    first, second = written(shop, 2, capture)
    # The first try waited no longer than what was left of the time; the second was not tried.
    attempt = first.attempts.get()
    assert (attempt.http_status, attempt.error) == (None, "Timed out after 0.2 s")
    assert states([first, second]) == [("pending", 1), ("pending", 0)]
    # Both go by the queue at once (the connector was not at fault: no retry delay), with its whole timeout.
    assert queued == [Queued("one", first.pk, 0.0), Queued("many", [second.pk], 0.0)]
    connector_server.release()

    # Paused for this process: the next notifications to this connector go by the queue.
    queued.clear()
    later = written(shop, 1, capture)
    assert states(later) == [("pending", 0)]
    assert queued == [Queued("one", later[0].pk, None)]


def test_a_paused_connector_is_delivered_to_in_passing_again_once_its_pause_ends(
    shop, connector_server, queued, capture, monkeypatch
):
    notifications._inline_paused[shop.connector.pk] = 100.0
    monkeypatch.setattr(notifications.time, "monotonic", lambda: 99.9)
    assert notifications._inline(shop.connector.pk, 1) is False
    monkeypatch.setattr(notifications.time, "monotonic", lambda: 100.0)
    assert notifications._inline(shop.connector.pk, 1) is True


@pytest.mark.parametrize(("answer", "first_state"), [(500, ("pending", 1)), (410, ("failed", 1))])
def test_a_later_notification_of_an_order_is_not_sent_before_the_earlier_one_is_delivered(
    shop, connector_server, queued, capture, answer, first_state
):
    order = OrderFactory(connector=shop.connector)
    assert connector_server.codes() == ["SOI001"]  # the order's own, delivered
    connector_server.respond_with(answer)
    first, second = write(shop, order, order, capture=capture, code="SOI002", deliver_here=True)
    tried = connector_server.wait_for(2)[1:]
    assert [r.headers["Idempotency-Key"] for r in tried] == [str(first.idempotency_key)]
    assert states([first, second]) == [first_state, ("pending", 0)]
    assert Notification.objects.get(pk=second.pk).lease_until is None  # given back, for any task
    if answer == 500:  # the retry of the first queues the second once it is delivered
        assert queued == [Queued("one", first.pk, queued[0].countdown)] and queued[0].countdown > 0
    else:  # failed for good: the second is next at once
        assert queued == [Queued("one", second.pk, None)]
