"""The outbound delivery at its edges: the lease, what is due, the order of a sequence, the
retry's delay and its last try, what each try leaves behind, the sweep and a batch's time.

Tasks are not run here but recorded as they are queued (`queued`), so that each test can say
exactly which row is sent next, and when; what the connector receives is read from the test
connector server; the rows and their attempts are what the admin shows.
"""

import json
import threading
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from connectors import notifications, outbound
from connectors.hook import hook_deliver, hook_delivery_resend
from connectors.models import HookDelivery, Notification
from connectors.notifications import (
    NOTIFICATIONS,
    notification_deliver,
    notifications_deliver,
    notifications_requeue_due,
)
from connectors.services import connector_set_secret
from connectors.signals import deliveries_attempted
from connectors.signing import sign
from connectors.tasks import deliver_hook, deliver_notification
from tests.connectors.oms_support import hook_url
from tests.factories import OrderFactory
from tests.orders.payloads import order_body
from tests.support.notifications import Queued, write

REFUSED_ERROR = "Not sent: the URL or its address is not public (outbound address policy)."


@pytest.fixture
def settings_fast(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    return settings


def deliver(row, capture) -> str:
    with capture(execute=True):
        return notification_deliver(notification_id=row.pk)


def stored(row) -> Notification:
    return Notification.objects.get(pk=row.pk)


def standing(row) -> tuple:
    """What the admin shows of a row: state, tries, last status and error, and whether it is leased."""
    now = stored(row)
    return (now.state, now.attempt_count, now.last_status, now.last_error, now.lease_until)


def due_now(row) -> None:
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


def seconds_from_now(moment) -> float:
    return (moment - timezone.now()).total_seconds()


# The lease ---------------------------------------------------------------------------------------


def test_a_claimed_row_is_held_for_a_minute_against_every_other_task(shop, queued, capture, connector_server):
    (row,) = write(shop, None, capture=capture)
    claimed = outbound.claim(NOTIFICATIONS, row.pk)
    assert claimed == row and claimed.connector == shop.connector
    assert 58 <= seconds_from_now(stored(row).lease_until) <= 61
    assert outbound.claim(NOTIFICATIONS, row.pk) is None
    assert outbound.claim_many(NOTIFICATIONS, [row.pk]) == []
    assert notification_deliver(notification_id=row.pk) == "skipped"
    # The task holding it was lost: once the lease has run out, another task takes the row.
    Notification.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert deliver(row, capture) == "delivered"
    assert [r.body["marketplaceOrderId"] for r in connector_server.wait_for(1)] == ["none-0"]


def test_claiming_several_rows_leases_each_and_returns_them_in_the_order_written(shop, queued, capture):
    rows = write(shop, None, None, None, capture=capture)
    ids = [row.pk for row in rows]
    outbound.claim(NOTIFICATIONS, ids[1])  # another task holds the second
    claimed = outbound.claim_many(NOTIFICATIONS, list(reversed(ids)))
    assert claimed == [rows[0], rows[2]]
    assert claimed[0].connector == shop.connector
    for row in (rows[0], rows[2]):
        assert 58 <= seconds_from_now(stored(row).lease_until) <= 61
    outbound.release(NOTIFICATIONS, claimed)
    assert [stored(row).lease_until is None for row in rows] == [True, False, True]


@pytest.mark.django_db(transaction=True)
def test_a_row_another_task_has_locked_is_passed_over_without_waiting(shop, queued, capture):
    rows = write(shop, None, None, capture=capture)
    locked, finished = threading.Event(), threading.Event()

    def hold_the_first():  # another worker, between reading the row and leasing it
        with transaction.atomic():
            list(Notification.objects.select_for_update().filter(pk=rows[0].pk))
            locked.set()
            finished.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_first)
    holder.start()
    assert locked.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting for the lock would fail the claim
        claimed = outbound.claim_many(NOTIFICATIONS, [row.pk for row in rows])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        finished.set()
        holder.join()
    assert claimed == [rows[1]]
    assert [stored(row).lease_until is None for row in rows] == [True, False]


@pytest.mark.parametrize(("due_in", "sent"), [(-5, True), (0.5, True), (2.5, False)])
def test_a_row_due_within_a_second_is_sent_and_a_later_one_waits(shop, queued, capture, due_in, sent):
    (row,) = write(shop, None, capture=capture)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() + timedelta(seconds=due_in))
    assert (outbound.claim(NOTIFICATIONS, row.pk) is not None) is sent
    assert (stored(row).lease_until is not None) is sent


# The order of a sequence ---------------------------------------------------------------------------


@pytest.fixture
def two_orders(shop, connector_server):
    """Two orders placed, their first notifications (SOI001) delivered."""
    first, second = OrderFactory(connector=shop.connector), OrderFactory(connector=shop.connector)
    assert connector_server.codes() == ["SOI001", "SOI001"]
    return first, second


def test_a_later_row_of_an_order_waits_for_the_earlier_and_is_queued_when_it_is_delivered(
    shop, two_orders, queued, capture, connector_server
):
    first, second = two_orders
    a1, b1, a2, a3, loose = write(shop, first, second, first, first, None, capture=capture, code="SOI002")
    # Rewritten, a2 is stored after a3 now: the next is still the earliest written.
    Notification.objects.filter(pk=a2.pk).update(last_error="")
    queued.clear()
    assert outbound.claim(NOTIFICATIONS, a2.pk) is None  # behind a1
    assert outbound.claim_many(NOTIFICATIONS, [a2.pk, a3.pk]) == []
    assert deliver(a1, capture) == "delivered"
    # Only the next of a1's order is queued: not the one after it, nor another order's.
    assert queued == [Queued("one", a2.pk, None)]
    assert outbound.claim(NOTIFICATIONS, a3.pk) is None  # behind a2 now
    assert [r.body["marketplaceOrderId"] for r in connector_server.wait_for(3)[2:]] == [
        first.marketplace_order_id
    ]
    # Rows of another order, or of none, never waited; a delivered row is never taken again.
    assert outbound.claim_many(NOTIFICATIONS, [b1.pk, loose.pk]) == [b1, loose]
    assert outbound.claim(NOTIFICATIONS, a1.pk) is None


def test_a_final_failure_queues_the_next_of_its_order_and_a_retry_does_not(
    shop, two_orders, queued, capture, connector_server, settings_fast
):
    first, _ = two_orders
    a1, a2 = write(shop, first, first, capture=capture, code="SOI002")
    queued.clear()
    connector_server.respond_with(503, 404)
    assert deliver(a1, capture) == "retry"
    assert [(q.task, q.ids) for q in queued] == [("one", a1.pk)]  # its own retry only
    queued.clear()
    due_now(a1)
    assert deliver(a1, capture) == "failed"
    assert queued == [Queued("one", a2.pk, None)]


def test_a_batch_delivering_the_first_of_two_orders_queues_the_next_of_each(
    shop, two_orders, queued, capture, connector_server
):
    first, second = two_orders
    a1, b1, a2, b2 = write(shop, first, second, first, second, capture=capture, code="SOI002")
    queued.clear()
    connector_server.respond_with(200, 204)
    with capture(execute=True):
        counts = notifications_deliver(notification_ids=[a1.pk, b1.pk, a2.pk, b2.pk])
    assert counts == {"delivered": 2, "retry": 0, "failed": 0, "deferred": 0, "skipped": 2}
    assert sorted(q.ids for q in queued) == [a2.pk, b2.pk] and {q.task for q in queued} == {"one"}
    assert [(stored(r).state, stored(r).last_status) for r in (a1, b1)] == [
        ("delivered", 200),
        ("delivered", 204),
    ]


# What a try leaves behind -------------------------------------------------------------------------


def test_a_retry_keeps_the_try_and_is_queued_for_its_delay_which_doubles(
    shop, queued, capture, connector_server, settings_fast
):
    (row,) = write(shop, None, capture=capture)
    queued.clear()
    connector_server.respond_with(503, 500)
    for attempt, (status, low, high) in enumerate([(503, 9, 11), (500, 18, 22)], start=1):
        due_now(row)
        assert deliver(row, capture) == "retry"
        assert standing(row) == ("pending", attempt, status, f"HTTP {status}", None)
        (retry,) = queued
        assert (retry.task, retry.ids) == ("one", row.pk)
        assert low <= retry.countdown <= high
        assert abs(seconds_from_now(stored(row).next_attempt_at) - retry.countdown) < 1
        queued.clear()
    assert list(row.attempts.values_list("http_status", "error")) == [(503, "HTTP 503"), (500, "HTTP 500")]
    assert [r.headers["X-Notification-Attempt"] for r in connector_server.wait_for(2)] == ["1", "2"]


def test_the_last_try_fails_the_row_for_good_and_says_so_in_the_log(
    shop, queued, capture, connector_server, settings_fast, caplog
):
    settings_fast.NOTIFICATION_MAX_ATTEMPTS = 2
    (row,) = write(shop, None, capture=capture)
    queued.clear()
    connector_server.respond_with(500, 502)
    assert deliver(row, capture) == "retry"
    due_now(row)
    assert deliver(row, capture) == "failed"
    assert standing(row) == ("failed", 2, 502, "HTTP 502", None)
    assert [q.ids for q in queued] == [row.pk]  # the first retry; nothing after the last try
    assert f"Notification {row.pk} to {row.url} failed for good: HTTP 502" in caplog.messages


def test_a_delivery_after_a_failed_try_clears_the_error_and_keeps_both_tries(
    shop, queued, capture, connector_server, settings_fast
):
    (row,) = write(shop, None, capture=capture)
    connector_server.respond_with(500, 200)
    deliver(row, capture)
    due_now(row)
    before = timezone.now()
    assert deliver(row, capture) == "delivered"
    assert standing(row) == ("delivered", 2, 200, "", None)
    assert before <= stored(row).delivered_at <= timezone.now()
    assert list(row.attempts.values_list("http_status", "error")) == [(500, "HTTP 500"), (200, "")]
    assert all(attempt.attempted_at <= stored(row).delivered_at for attempt in row.attempts.all())


@pytest.mark.parametrize("status", [300, 302, 400, 410])
def test_an_answer_neither_2xx_nor_worth_retrying_fails_at_once(
    shop, queued, capture, connector_server, settings_fast, status
):
    (row,) = write(shop, None, capture=capture)
    connector_server.respond_with(status)
    assert deliver(row, capture) == "failed"
    assert (stored(row).state, stored(row).last_error) == ("failed", f"HTTP {status}")
    assert list(row.attempts.values_list("http_status", "error")) == [(status, f"HTTP {status}")]


def test_an_address_the_policy_refuses_fails_at_once_without_a_call(
    shop, queued, capture, connector_server, settings_fast
):
    (row,) = write(shop, None, capture=capture)
    # A user name in the URL is refused by its text, whatever the setting on private addresses.
    Notification.objects.filter(pk=row.pk).update(url=connector_server.url.replace("//", "//user@"))
    queued.clear()
    assert deliver(row, capture) == "failed"
    assert (stored(row).attempt_count, stored(row).last_status, stored(row).last_error) == (
        1,
        None,
        REFUSED_ERROR,
    )
    assert list(row.attempts.values_list("http_status", "error")) == [(None, REFUSED_ERROR)]
    assert queued == []
    assert connector_server.received == []


def test_a_try_that_timed_out_is_kept_with_how_long_it_waited(
    shop, queued, capture, connector_server, settings_fast
):
    settings_fast.NOTIFICATION_TIMEOUT_SECONDS = 0.3
    (row,) = write(shop, None, capture=capture)
    connector_server.respond_with("hang")
    assert deliver(row, capture) == "retry"
    (attempt,) = row.attempts.all()
    assert (attempt.http_status, attempt.error) == (None, "Timed out after 0.3 s")
    assert 300 <= attempt.duration_ms < 5000
    connector_server.release()


def test_what_the_connector_receives_is_the_compact_json_of_the_body_with_its_headers(
    shop, queued, capture, connector_server
):
    (row,) = write(shop, None, capture=capture, message="Pedido recusado: preço")
    assert deliver(row, capture) == "delivered"
    (received,) = connector_server.wait_for(1)
    assert received.raw == json.dumps(stored(row).body, separators=(",", ":"), ensure_ascii=False).encode()
    assert "preço" in received.raw.decode()
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Accept"] == "application/json"
    assert received.headers["Idempotency-Key"] == str(stored(row).idempotency_key)
    assert received.headers["X-Notification-Attempt"] == "1"
    assert "X-Signature-SHA256" not in received.headers


def test_a_signed_batch_signs_each_notification_with_the_connectors_secret(
    shop, queued, capture, connector_server
):
    connector_set_secret(connector=shop.connector, secret="s3cret")
    rows = write(shop, None, None, capture=capture)
    with capture(execute=True):
        notifications_deliver(notification_ids=[row.pk for row in rows])
    for received in connector_server.wait_for(2):
        assert received.headers["X-Signature-SHA256"] == sign(received.raw, "s3cret")
        assert received.headers["webhook-id"] == received.headers["Idempotency-Key"]


# Resend and the sweep -----------------------------------------------------------------------------


def test_a_resend_starts_a_failed_row_from_its_first_try_and_refuses_any_other(
    shop, queued, capture, connector_server
):
    failed, pending, other = write(shop, None, None, None, capture=capture)
    Notification.objects.filter(pk__in=[failed.pk, other.pk]).update(
        state="failed",
        attempt_count=4,
        next_attempt_at=timezone.now() - timedelta(days=1),
        last_error="HTTP 404",
    )
    queued.clear()
    with capture(execute=True):
        assert notifications.notification_resend(notification=failed) is True
        assert notifications.notification_resend(notification=pending) is False
    now = stored(failed)
    assert (now.state, now.attempt_count, now.lease_until) == ("pending", 0, None)
    assert abs(seconds_from_now(now.next_attempt_at)) < 5
    assert (stored(other).state, stored(other).attempt_count) == ("failed", 4)  # only the one asked
    assert queued == [Queued("one", failed.pk, None)]


def test_the_sweep_queues_rows_due_over_thirty_seconds_ago_and_not_leased_oldest_first(shop, queued, capture):
    rows = write(shop, None, None, None, None, None, None, capture=capture)
    queued.clear()
    now = timezone.now()
    ago = [45, 29.5, 30.5, 60, 120, 200]
    for row, seconds in zip(rows, ago, strict=True):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=now - timedelta(seconds=seconds))
    Notification.objects.filter(pk=rows[3].pk).update(lease_until=now + timedelta(seconds=30))  # being tried
    Notification.objects.filter(pk=rows[4].pk).update(lease_until=now - timedelta(seconds=1))  # lost
    Notification.objects.filter(pk=rows[5].pk).update(state="delivered")
    assert notifications_requeue_due() == 3
    assert [q.ids for q in queued] == [rows[4].pk, rows[0].pk, rows[2].pk]
    queued.clear()
    assert outbound.requeue_due(NOTIFICATIONS, grace=timedelta(seconds=30), limit=2) == 2
    assert [q.ids for q in queued] == [rows[4].pk, rows[0].pk]


def test_the_sweep_counts_nothing_when_the_broker_fails_midway(shop, queued, capture, caplog):
    rows = write(shop, None, None, capture=capture)
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    with mock.patch.object(
        deliver_notification, "apply_async", side_effect=[None, OSError("broker down")]
    ) as sent:
        assert notifications_requeue_due() == 0
    assert sent.call_count == 2
    assert "Broker unavailable; 2 Notification rows wait for the next sweep." in caplog.messages


def test_the_sweep_queues_a_thousand_rows_at_most(shop, queued, capture):
    write(shop, *[None] * 1001, capture=capture)
    queued.clear()
    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert notifications_requeue_due() == 1000
    assert len(queued) == 1000


# Writing and batches -----------------------------------------------------------------------------


def test_rows_written_together_go_out_in_tasks_of_a_batch_each_and_one_row_alone(
    shop, queued, capture, monkeypatch
):
    monkeypatch.setattr(notifications, "DELIVERY_BATCH", 2)
    rows = write(shop, None, None, None, None, None, capture=capture)
    ids = [row.pk for row in rows]
    assert all(ids) and Notification.objects.filter(pk__in=ids).count() == 5
    assert [(q.task, q.ids) for q in queued] == [("many", ids[0:2]), ("many", ids[2:4]), ("many", ids[4:5])]
    queued.clear()
    (alone,) = write(shop, None, capture=capture)
    assert queued == [Queued("one", alone.pk, None)]


class Clock:
    """`time` for connectors.notifications: what monotonic() answers, one value a call."""

    def __init__(self, *readings):
        self.readings = list(readings)

    def monotonic(self):
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


@pytest.mark.parametrize(("elapsed", "deferred"), [(30, 0), (30.01, 2)])
def test_a_batch_that_took_half_its_lease_gives_the_rest_back_to_be_sent_at_once(
    shop, queued, capture, connector_server, monkeypatch, elapsed, deferred
):
    rows = write(shop, None, None, None, capture=capture)
    queued.clear()
    # Started at 0; the first row is tried at once, the next ones `elapsed` seconds later.
    monkeypatch.setattr(notifications, "time", SimpleNamespace(monotonic=Clock(0, 0, elapsed).monotonic))
    with capture(execute=True):
        counts = notifications_deliver(notification_ids=[row.pk for row in rows])
    assert counts == {"delivered": 3 - deferred, "retry": 0, "failed": 0, "deferred": deferred, "skipped": 0}
    assert len(connector_server.wait_for(3 - deferred)) == 3 - deferred
    if deferred:
        assert queued == [Queued("many", [rows[1].pk, rows[2].pk], 0.0)]
        assert [(stored(r).state, stored(r).lease_until) for r in rows[1:]] == [("pending", None)] * 2
    else:
        assert queued == []


def test_a_refused_row_in_a_batch_fails_alone_and_the_rest_are_sent(
    shop, queued, capture, connector_server, settings_fast
):
    refused, *rest = write(shop, None, None, None, capture=capture)
    Notification.objects.filter(pk=refused.pk).update(url=connector_server.url.replace("//", "//user@"))
    queued.clear()
    with capture(execute=True):
        counts = notifications_deliver(notification_ids=[refused.pk, *(row.pk for row in rest)])
    assert counts == {"delivered": 2, "retry": 0, "failed": 1, "deferred": 0, "skipped": 0}
    assert len(connector_server.wait_for(2)) == 2
    assert [stored(r).state for r in (refused, *rest)] == ["failed", "delivered", "delivered"]
    assert queued == []


def test_every_try_kept_is_published_once_with_its_outcome(
    shop, queued, capture, connector_server, settings_fast
):
    published = []

    def listen(*, channel, outcomes, **signal):
        published.extend((channel, outcome) for outcome in outcomes)

    rows = write(shop, None, None, None, capture=capture)
    connector_server.respond_with(200, 503, 404)
    deliveries_attempted.connect(listen, dispatch_uid="test.listen")
    try:
        with capture(execute=True):
            counts = notifications_deliver(notification_ids=[row.pk for row in rows])
    finally:
        deliveries_attempted.disconnect(dispatch_uid="test.listen")
    assert counts == {"delivered": 1, "retry": 1, "failed": 1, "deferred": 0, "skipped": 0}
    assert sorted(published) == [
        ("notification", "delivered"),
        ("notification", "failed"),
        ("notification", "retry"),
    ]


def test_when_nothing_answers_the_rest_of_a_batch_waits_one_first_retry_delay(
    shop, queued, capture, connector_server, settings_fast, closed_port
):
    rows = write(shop, None, None, None, capture=capture)
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
        url=f"http://127.0.0.1:{closed_port}/api/vtex/order-integration/notification/processing-result"
    )
    queued.clear()
    with capture(execute=True):
        counts = notifications_deliver(notification_ids=[row.pk for row in rows])
    assert counts == {"delivered": 0, "retry": 1, "failed": 0, "deferred": 2, "skipped": 0}
    retry, rest = queued
    assert (retry.task, retry.ids, rest.task, rest.ids) == (
        "one",
        rows[0].pk,
        "many",
        [rows[1].pk, rows[2].pk],
    )
    assert 9 <= rest.countdown <= 11


def test_a_connector_that_does_not_answer_holds_back_its_own_rows_and_no_other_s(
    shop, queued, capture, connector_server, settings_fast, closed_port
):
    """A batch's rows belong to several accounts' connectors: one that is down is not called
    again by the batch, and the others' rows after it are still delivered."""
    from tests.factories import AccountFactory, connector

    other_account = AccountFactory(name="other-shop")
    other_connector, _ = connector(other_account, name="Other", endpoint=connector_server.url)
    down = write(shop, None, None, capture=capture)  # the shop's connector, which does not answer
    Notification.objects.filter(pk__in=[r.pk for r in down]).update(
        url=f"http://127.0.0.1:{closed_port}/api/vtex/order-integration/notification/processing-result"
    )
    answering = write(SimpleNamespace(connector=other_connector), None, None, capture=capture)
    rows = [down[0], answering[0], down[1], answering[1]]
    queued.clear()

    with capture(execute=True):
        counts = notifications_deliver(notification_ids=[row.pk for row in rows])

    assert counts == {"delivered": 2, "retry": 1, "failed": 0, "deferred": 1, "skipped": 0}
    assert [standing(row)[0] for row in answering] == ["delivered", "delivered"]
    assert len(connector_server.received) == 2
    retry, rest = queued
    assert (retry.task, retry.ids, rest.task, rest.ids) == ("one", down[0].pk, "many", [down[1].pk])
    assert 9 <= rest.countdown <= 11  # the down connector's rest wait one first retry delay


@pytest.mark.parametrize(("draw", "seconds"), [(min, 9), (max, 11)])
def test_the_jitter_moves_a_delay_by_a_tenth_at_most(settings_fast, monkeypatch, draw, seconds):
    monkeypatch.setattr(outbound.random, "uniform", lambda low, high: draw(low, high))
    assert outbound.retry_delay(NOTIFICATIONS, 1) == timedelta(seconds=seconds)


def test_a_batch_keeps_each_delivered_try_and_clears_an_earlier_error(
    shop, queued, capture, connector_server, settings_fast, monkeypatch
):
    tried, fresh = write(shop, None, None, capture=capture)
    connector_server.respond_with(500, 200, 204)
    deliver(tried, capture)  # a first try failed
    due_now(tried)
    # Each try's start and end, as the outbound module's clock reads them: 1.5 s, then 2.5 s.
    monkeypatch.setattr(outbound, "time", SimpleNamespace(monotonic=Clock(0, 1.5, 2, 4.5).monotonic))
    before = timezone.now()
    with capture(execute=True):
        counts = notifications_deliver(notification_ids=[tried.pk, fresh.pk])
    assert counts["delivered"] == 2
    assert [standing(tried), standing(fresh)] == [
        ("delivered", 2, 200, "", None),
        ("delivered", 1, 204, "", None),
    ]
    for row in (tried, fresh):
        assert before <= stored(row).delivered_at <= timezone.now()
        last = row.attempts.last()
        assert (last.http_status, last.error) == (stored(row).last_status, "")
        assert before <= last.attempted_at <= stored(row).delivered_at
    assert list(tried.attempts.values_list("http_status", flat=True)) == [500, 200]
    assert [tried.attempts.last().duration_ms, fresh.attempts.last().duration_ms] == [1500, 2500]


# A hook's deliveries: the same outbox, tried at the URL the hook has when each try is made ------


HOOK_CONFIG = "/api/orders/hook/config"


def hook_at(oms, server):
    response = oms.post(
        HOOK_CONFIG,
        {
            "filter": {"type": "FromWorkflow", "status": ["payment-pending"]},
            "hook": {"url": hook_url(server)},
        },
    )
    assert response.status_code == 200, response.json()


def test_a_hook_delivery_is_kept_at_the_url_of_each_try_and_resent_to_the_hook_as_it_is_now(
    oms, mkp, other_server, connector_server, settings, caplog
):
    settings.HOOK_RETRY_BASE_SECONDS = 60  # the retry waits: the test moves it
    settings.HOOK_MAX_ATTEMPTS = 3
    first, second = hook_url(other_server), hook_url(connector_server)
    hook_at(oms, other_server)
    other_server.respond_with(500)
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    hook_at(oms, connector_server)  # the connector moves its hook before the retry
    connector_server.respond_with(404)
    HookDelivery.objects.update(next_attempt_at=timezone.now())
    with oms.capture(execute=True):
        assert hook_deliver(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.url, delivery.last_error) == ("failed", second, "HTTP 404")
    assert list(delivery.attempts.values_list("url", "http_status")) == [(first, 500), (second, 404)]
    assert f"Hook delivery {delivery.pk} to {second} failed for good: HTTP 404" in caplog.messages
    hook_at(oms, other_server)  # and back
    with mock.patch.object(deliver_hook, "apply_async") as resent_task, oms.capture(execute=True):
        assert hook_delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    # Resent, and not tried yet: the admin shows it pending, to the hook's URL of now.
    assert (delivery.state, delivery.url, delivery.attempt_count) == ("pending", first, 0)
    (queued_resend,) = resent_task.call_args_list
    assert queued_resend.args[0] == (delivery.pk,)
    with oms.capture(execute=True):
        assert hook_deliver(delivery_id=delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.url, delivery.attempt_count) == ("delivered", first, 1)
    _ping, tried, _ping_again, resent = other_server.received
    assert (tried.headers["X-Hook-Attempt"], resent.headers["X-Hook-Attempt"]) == ("1", "1")
    assert resent.headers["X-Event-Id"] == tried.headers["X-Event-Id"] == delivery.event_uid
