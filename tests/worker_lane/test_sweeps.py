"""The sweeps, run by the worker's beat: work whose task the broker lost is picked up and done.

The test's process loses the task as the app does when the broker drops the connection while it
publishes (it logs, and leaves the work to the sweeps); the rows are then made as old as the
sweep waits for (a sweep leaves young rows to the task that may still come).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.models import Notification
from orders.models import IntakeRecord, Order
from tests.orders.payloads import order_body
from tests.worker_lane.lane import decide_in_admin, drop_publishing, notified

pytestmark = pytest.mark.real_worker


def test_a_submission_whose_task_was_lost_is_processed_by_the_sweep_and_notified_once(
    monkeypatch, marketplace, worker_shop, connector_server
):
    from orders.tasks import process_intakes

    drop_publishing(monkeypatch, process_intakes)
    assert marketplace.place(order_body()).json()["code"] == "SOI003"  # the connector is answered
    notified(connector_server, 0)  # a sweep came and went: the submission is too young for it
    assert IntakeRecord.objects.get().status == "received"

    IntakeRecord.objects.update(received_at=timezone.now() - timedelta(seconds=25))
    (received,) = notified(connector_server, 1)
    assert received.body["code"] == "SOI001"
    assert IntakeRecord.objects.get().status == "integrated"
    assert Order.objects.get().status == "payment-pending"
    worker_shop.stock.refresh_from_db()
    assert worker_shop.stock.reserved == 1


def test_a_decisions_notification_whose_task_was_lost_is_delivered_by_the_sweep(
    monkeypatch, client, held_order, approver, connector_server
):
    from connectors.tasks import deliver_notification

    drop_publishing(monkeypatch, deliver_notification)
    decide_in_admin(client, approver, held_order, "approve")
    notified(connector_server, 2)  # SOI001 and EOI011 from before; SOI002 waits in the outbox
    pending = Notification.objects.get(code="SOI002")
    assert (pending.state, pending.attempt_count) == ("pending", 0)

    Notification.objects.filter(pk=pending.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=40))
    received = notified(connector_server, 3)
    assert received[2].body["code"] == "SOI002"
    pending.refresh_from_db()
    assert (pending.state, pending.attempt_count) == ("delivered", 1)
    assert Order.objects.get().status == "ready-for-handling"
