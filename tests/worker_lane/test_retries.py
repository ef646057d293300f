"""Retries of a notification by a real worker: the connector answers 500, the worker tries again
after its countdown, and an order's notifications still arrive in the order they were written."""

from datetime import timedelta
from itertools import pairwise

import pytest

from connectors.models import Notification
from orders.models import Order
from tests.orders.payloads import order_body
from tests.worker_lane.lane import RETRY_BASE_SECONDS

pytestmark = pytest.mark.real_worker


def test_a_notification_answered_500_is_tried_again_after_each_countdown(marketplace, connector_server):
    connector_server.respond_with(500, 503, 200)
    marketplace.place(order_body())
    received = connector_server.wait_for(3, timeout=30)
    assert [r.body["code"] for r in received] == ["SOI001"] * 3
    assert [r.headers["X-Notification-Attempt"] for r in received] == ["1", "2", "3"]
    assert len({r.headers["Idempotency-Key"] for r in received}) == 1
    notification = Notification.objects.get()
    assert (notification.state, notification.attempt_count) == ("delivered", 3)
    attempts = list(notification.attempts.order_by("pk").values_list("attempted_at", "http_status"))
    assert [status for _, status in attempts] == [500, 503, 200]
    # Each countdown is the base, doubled each time, give or take a tenth (the jitter); a retry
    # sent without one would come at once, and one left to the sweep half a minute later.
    for n, ((before, _), (after, _)) in enumerate(pairwise(attempts)):
        countdown = RETRY_BASE_SECONDS * 2**n
        assert timedelta(seconds=0.9 * countdown) <= after - before < timedelta(seconds=countdown + 2)


def test_a_retry_keeps_an_orders_notifications_in_the_order_they_were_written(marketplace, connector_server):
    connector_server.respond_with(500)
    marketplace.place(order_body(marketplaceOrderStatus="approved"))  # SOI001, then SOI002
    received = connector_server.wait_for(3, timeout=30)
    assert [(r.body["code"], r.headers["X-Notification-Attempt"]) for r in received] == [
        ("SOI001", "1"),
        ("SOI001", "2"),
        ("SOI002", "1"),
    ]
    assert Order.objects.get().status == "ready-for-handling"
    assert list(Notification.objects.order_by("pk").values_list("code", "state", "attempt_count")) == [
        ("SOI001", "delivered", 2),
        ("SOI002", "delivered", 1),
    ]
