"""Notifications to the connector: where they go, retries, final failures, resend, signature, order."""

import hashlib
import hmac
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from connectors.models import Notification
from connectors.notifications import (
    notification_resend,
    notification_url,
    notifications_requeue_due,
    retry_delay,
)
from tests.orders.payloads import order_body
from tests.support.on_commit import lose_queued


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (
            "https://c.example/api/vtex",
            "https://c.example/api/vtex/order-integration/notification/processing-result?an=acme",
        ),
        (
            "https://c.example/api/vtex/?token=abc",
            "https://c.example/api/vtex/order-integration/notification/processing-result?token=abc&an=acme",
        ),
        ("https://c.example", "https://c.example/order-integration/notification/processing-result?an=acme"),
    ],
)
def test_the_url_keeps_the_endpoints_own_query_string(endpoint, expected):
    assert notification_url(endpoint=endpoint, account_name="acme") == expected


def test_delays_grow_between_tries(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    delays = [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 12)]
    assert 9 <= delays[0] <= 11 and 18 <= delays[1] <= 22 and 36 <= delays[2] <= 44 and 72 <= delays[3] <= 88
    assert delays[4] <= 3600 * 1.1


@pytest.mark.parametrize("transient", [500, 502, 503, 408, 429])
def test_transient_failures_are_retried_with_the_same_idempotency_key(mkp, shop, connector_server, transient):
    connector_server.respond_with(transient, transient, 200)
    mkp.place(order_body())
    received = connector_server.wait_for(3)
    assert [r.body["code"] for r in received] == ["SOI001"] * 3
    assert len({r.headers["Idempotency-Key"] for r in received}) == 1
    assert [r.headers["X-Notification-Attempt"] for r in received] == ["1", "2", "3"]
    notification = Notification.objects.get()
    assert (notification.state, notification.attempt_count) == ("delivered", 3)
    assert list(notification.attempts.values_list("http_status", flat=True)) == [transient, transient, 200]


def test_a_timeout_is_retried(mkp, shop, connector_server, settings):
    settings.NOTIFICATION_INLINE_SECONDS = 0  # by the queue only: the try waits the whole timeout
    connector_server.respond_with("hang", 200)
    mkp.place(order_body())
    connector_server.wait_for(2)
    notification = Notification.objects.get()
    assert notification.state == "delivered"
    first = notification.attempts.first()
    assert (first.http_status, first.error) == (None, "Timed out after 2 s")  # eager_tasks' timeout


def test_a_connection_error_is_retried(mkp, shop, connector_server, settings, closed_port):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    shop.connector.endpoint = f"http://127.0.0.1:{closed_port}/api/vtex"
    shop.connector.save()
    mkp.place(order_body())
    notification = Notification.objects.get()
    assert (notification.state, notification.attempt_count) == ("failed", 2)
    assert notification.attempts.first().error == "No answer: the connection could not be made."


def test_other_4xx_are_final_and_a_resend_delivers(mkp, shop, connector_server):
    connector_server.respond_with(404)
    mkp.place(order_body())
    connector_server.wait_for(1)
    notification = Notification.objects.get()
    assert (notification.state, notification.attempt_count, notification.last_error) == (
        "failed",
        1,
        "HTTP 404",
    )
    with mkp.capture(execute=True):
        assert notification_resend(notification=notification)
    connector_server.wait_for(2)
    notification.refresh_from_db()
    assert notification.state == "delivered"
    assert notification_resend(notification=notification) is False


def test_after_the_last_try_the_notification_is_failed(mkp, shop, connector_server, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    connector_server.respond_with(500, 500, 500, 500)
    mkp.place(order_body())
    connector_server.wait_for(3)
    notification = Notification.objects.get()
    assert (notification.state, notification.attempt_count) == ("failed", 3)


def test_notifications_are_signed_when_the_connector_has_a_secret(mkp, shop, connector_server):
    from connectors.services import connector_set_secret

    connector_set_secret(connector=shop.connector, secret="s3cret")
    mkp.place(order_body())
    (received,) = connector_server.wait_for(1)
    expected = "sha256=" + hmac.new(b"s3cret", received.raw, hashlib.sha256).hexdigest()
    assert received.headers["X-Signature-SHA256"] == expected


def test_what_a_connector_answered_one_call_is_not_sent_back_on_the_next(mkp, shop, connector_server):
    # Connections to the connector are kept open between notifications; cookies are not kept.
    connector_server.answer_headers["Set-Cookie"] = "session=first-answer; Path=/"
    mkp.place(order_body(marketplaceOrderId="1"))
    mkp.place(order_body(marketplaceOrderId="2"))
    first, second = connector_server.wait_for(2)
    assert "Cookie" not in first.headers and "Cookie" not in second.headers
    assert second.body["marketplaceOrderId"] == "2"


def test_notifications_of_an_order_arrive_in_order(mkp, shop, connector_server):
    connector_server.respond_with(500, 200, 200)
    mkp.place(order_body(marketplaceOrderStatus="approved"))
    assert [r.body["code"] for r in connector_server.wait_for(3)] == ["SOI001", "SOI001", "SOI002"]


def test_the_sweep_queues_notifications_whose_task_was_lost(
    shop, connector_server, eager_tasks, django_capture_on_commit_callbacks
):
    from connectors.notifications import notification_enqueue

    notification = notification_enqueue(
        connector=shop.connector,
        account_name="acme",
        flow="PlaceOrder",
        code="SOI001",
        marketplace_order_id="1",
        operation_id="op",
    )
    assert lose_queued() == 1  # its task is never sent, as if the broker had been down
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_requeue_due() == 1
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"


def written_together(shop, count: int) -> list[Notification]:
    """Write `count` processing results of as many orders in one go, as a batch of orders does."""
    from connectors.notifications import notification_build, notifications_enqueue

    return notifications_enqueue(
        [
            notification_build(
                connector=shop.connector,
                account_name="acme",
                flow="PlaceOrder",
                code="SOI001",
                marketplace_order_id=str(number),
                operation_id=f"op-{number}",
            )
            for number in range(count)
        ]
    )


def test_notifications_written_together_go_out_in_one_task_each_tried_and_kept_on_its_own(
    shop, connector_server, eager_tasks, django_capture_on_commit_callbacks
):
    from connectors.notifications import notifications_deliver

    connector_server.respond_with(200, 500, 200)
    capture = django_capture_on_commit_callbacks
    with mock.patch("connectors.tasks.deliver_notifications.apply_async") as queued, capture(execute=True):
        written = written_together(shop, 3)
    ids = [notification.pk for notification in written]
    assert [call.args[0] for call in queued.call_args_list] == [(ids,)]  # one task for the three

    with mock.patch("connectors.tasks.deliver_notification.apply_async") as retried, capture(execute=True):
        counts = notifications_deliver(notification_ids=ids)
    assert counts == {"delivered": 2, "retry": 1, "failed": 0, "deferred": 0, "skipped": 0}
    assert [r.body["marketplaceOrderId"] for r in connector_server.wait_for(3)] == ["0", "1", "2"]
    states = {
        n.marketplace_order_id: (
            n.state,
            n.attempt_count,
            n.last_status,
            list(n.attempts.values_list("http_status", flat=True)),
        )
        for n in Notification.objects.all()
    }
    assert states == {
        "0": ("delivered", 1, 200, [200]),
        "1": ("pending", 1, 500, [500]),
        "2": ("delivered", 1, 200, [200]),
    }
    assert [call.args[0] for call in retried.call_args_list] == [(ids[1],)]  # its retry, alone, later
    # Delivered ones are not sent again, whoever asks.
    assert notifications_deliver(notification_ids=[ids[0], ids[2]])["skipped"] == 2


def test_when_the_connector_does_not_answer_the_rest_of_a_batch_waits_instead_of_timing_out_each(
    shop, connector_server, eager_tasks, settings, django_capture_on_commit_callbacks
):
    from connectors.notifications import notifications_deliver

    connector_server.respond_with("hang")
    with mock.patch("connectors.tasks.deliver_notifications.apply_async"):
        written = written_together(shop, 4)
    ids = [notification.pk for notification in written]
    capture = django_capture_on_commit_callbacks
    with (
        mock.patch("connectors.tasks.deliver_notifications.apply_async") as queued,
        mock.patch("connectors.tasks.deliver_notification.apply_async") as retried,
        capture(execute=True),
    ):
        counts = notifications_deliver(notification_ids=ids)
    assert counts == {"delivered": 0, "retry": 1, "failed": 0, "deferred": 3, "skipped": 0}
    assert [call.args[0] for call in retried.call_args_list] == [(ids[0],)]
    # The three left untried are given back, untouched, and queued together for after the first retry delay.
    untried = Notification.objects.filter(pk__in=ids[1:])
    assert list(untried.values_list("state", "attempt_count", "lease_until")) == [("pending", 0, None)] * 3
    (call,) = queued.call_args_list
    assert call.args[0] == (ids[1:],)
    assert call.kwargs["countdown"] >= 0.9 * settings.NOTIFICATION_RETRY_BASE_SECONDS
