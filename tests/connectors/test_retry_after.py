"""A connector that answers 429 or 503 with Retry-After is tried again when it asked, within bounds,
and those tries do not use up the attempts; the broker keeps a retry's task long enough."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors import outbound
from connectors.checks import retry_delays_check
from connectors.models import HookDelivery, Notification
from connectors.notifications import NOTIFICATIONS, notification_deliver, notifications_deliver
from tests.connectors.oms_support import hook_url
from tests.orders.payloads import order_body
from tests.support.notifications import write


@pytest.fixture
def bounds(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 600
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    return settings


def answering(connector_server, *statuses, retry_after=None):
    connector_server.respond_with(*statuses)
    connector_server.answer_headers = {"Retry-After": retry_after} if retry_after is not None else {}


def deliver(row, capture) -> str:
    with capture(execute=True):
        return notification_deliver(notification_id=row.pk)


def due_again(row) -> None:
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=datetime.now(UTC))


def waits(row) -> float:
    return (Notification.objects.get(pk=row.pk).next_attempt_at - datetime.now(UTC)).total_seconds()


def test_retry_after_in_seconds_or_as_a_date_is_read_and_anything_else_is_not():
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert outbound.retry_after_seconds("120", now=now) == 120
    assert (
        outbound.retry_after_seconds(format_datetime(now + timedelta(minutes=3), usegmt=True), now=now) == 180
    )
    assert (
        outbound.retry_after_seconds(format_datetime(now - timedelta(minutes=3), usegmt=True), now=now) == 0
    )
    for unreadable in ("", "soon", "-5", "1.5", "Sun, 06 Dec 2026 12:03:00"):
        assert outbound.retry_after_seconds(unreadable, now=now) is None


@pytest.mark.parametrize("status", [429, 503])
def test_a_connector_asking_to_wait_is_tried_again_then_and_the_try_is_not_counted(
    status, shop, queued, capture, connector_server, bounds
):
    (row,) = write(shop, None, capture=capture)
    answering(connector_server, status, status, status, 500, 500, retry_after="120")
    # Three deferrals and one failure: with two attempts allowed, still pending.
    for _ in range(4):
        assert deliver(row, capture) == "retry"
        due_again(row)
    stored = Notification.objects.get(pk=row.pk)
    assert (stored.state, stored.attempt_count, stored.deferred_count) == ("pending", 4, 3)
    # The second failure of its own is the last the budget allows.
    assert deliver(row, capture) == "failed"
    assert [a.http_status for a in stored.attempts.order_by("pk")] == [status, status, status, 500, 500]
    assert stored.attempts.order_by("pk").first().error == f"HTTP {status}, asked to try again in 120 s"


def test_the_wait_is_what_was_asked_never_shorter_than_the_first_retry_nor_longer_than_the_last(
    shop, queued, capture, connector_server, bounds
):
    (row,) = write(shop, None, capture=capture)
    for asked, expected in (("120", 120), ("0", 10), ("86400", 600)):
        answering(connector_server, 429, retry_after=asked)
        deliver(row, capture)
        assert expected - 2 < waits(row) <= expected
        assert queued[-1].countdown == pytest.approx(expected, abs=1)
        due_again(row)


def test_without_retry_after_the_usual_back_off_applies_and_counts(
    shop, queued, capture, connector_server, bounds
):
    (row,) = write(shop, None, capture=capture)
    answering(connector_server, 503, 503)
    assert deliver(row, capture) == "retry"
    assert 8 < waits(row) < 12  # the first retry delay, with its jitter
    due_again(row)
    assert deliver(row, capture) == "failed"
    assert Notification.objects.get(pk=row.pk).deferred_count == 0


def test_the_rest_of_a_batch_waits_as_long_as_the_connector_asked(
    shop, queued, capture, connector_server, bounds
):
    rows = write(shop, None, None, None, capture=capture)
    answering(connector_server, 429, retry_after="300")
    with capture(execute=True):
        counts = notifications_deliver(notification_ids=[row.pk for row in rows])
    assert (counts["retry"], counts["deferred"]) == (1, 2)
    assert len(connector_server.received) == 1  # the others were not sent into the refusal
    assert queued[-1].countdown == pytest.approx(300, abs=1)


def test_a_hook_call_asked_to_wait_is_deferred_too(oms, mkp, connector_server, settings):
    settings.HOOK_MAX_ATTEMPTS = 1
    settings.HOOK_RETRY_BASE_SECONDS = 10
    configured = oms.post(
        "/api/orders/hook/config",
        {
            "filter": {"type": "FromWorkflow", "status": ["payment-pending"]},
            "hook": {"url": hook_url(connector_server)},
        },
    )
    assert configured.status_code == 200, configured.json()
    answering(connector_server, 200, 429, retry_after="60")  # the SOI001 goes first, then the hook
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count, delivery.deferred_count) == ("pending", 1, 1)
    assert 55 < (delivery.next_attempt_at - datetime.now(UTC)).total_seconds() <= 60


def test_the_broker_keeps_a_retry_to_one_worker_for_longer_than_the_longest_delay(settings):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("the file broker has no visibility timeout")
    longest = max(settings.NOTIFICATION_RETRY_MAX_SECONDS, settings.HOOK_RETRY_MAX_SECONDS)
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest * 1.1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "visibility_timeout": 3600,
    }
    errors = retry_delays_check()
    assert [error.id for error in errors] == ["connectors.E001"]
    assert "delivered twice" in errors[0].msg


def test_notifications_channel_bounds_are_its_settings(bounds):
    assert outbound.asked_delay(NOTIFICATIONS, 5).total_seconds() == 10
    assert outbound.asked_delay(NOTIFICATIONS, 10**6).total_seconds() == 600
