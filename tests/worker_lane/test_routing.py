"""The three queues and the queue-once marks, through the broker: a worker started for
`deliveries` only sends what is owed to connectors; intake waits in `celery` until a worker
takes that queue; a burst of orders queues one batch, and an order that comes once the batch
has started queues another."""

import pytest

from config.celery import app
from connectors.models import Notification
from kit.enqueue import once_started
from orders.intake.pipeline import KICK
from orders.models import IntakeRecord, Order
from tests.orders.payloads import order_body
from tests.worker import messages_waiting
from tests.worker_lane.lane import consume, notified, stop_consuming

pytestmark = pytest.mark.real_worker


@pytest.fixture(scope="module")
def worker_queues():
    return "deliveries"


@pytest.fixture(autouse=True)
def _deliveries_only_again(lane_worker):
    """What a test adds to the worker's queues, and leaves waiting in them, ends with it."""
    yield
    stop_consuming("celery")
    app.control.purge()
    once_started(KICK)  # the purged batch's mark: the next test's first order queues one


def test_a_deliveries_worker_sends_notifications_and_leaves_intake_waiting_for_a_worker_of_celery(
    client, marketplace, owner, connector_server
):
    connector_server.respond_with(404)  # the first notification fails for good: the Owner resends it
    marketplace.place(order_body())
    notified(connector_server, 0)  # the sweeps came and went: they wait in `upkeep`, taken by no one
    assert IntakeRecord.objects.get().status == "received"
    assert (messages_waiting("celery"), Order.objects.count()) == (1, 0)
    assert messages_waiting("upkeep") >= 1

    consume("celery")  # a worker for it: the order is processed, its notification sent
    assert connector_server.wait_for(1, timeout=30)[0].body["code"] == "SOI001"
    failed = Notification.objects.get()
    assert failed.state == "failed"

    stop_consuming("celery")
    marketplace.place(order_body(marketplaceOrderId="2"))
    client.force_login(owner)
    client.post(f"/admin/connectors/notification/{failed.pk}/resend/")
    received = connector_server.wait_for(2, timeout=30)
    assert [(r.body["code"], r.body["marketplaceOrderId"]) for r in received] == [("SOI001", "123456789")] * 2
    failed.refresh_from_db()
    assert failed.state == "delivered"
    assert messages_waiting("celery") == 1  # the second order still waits
    assert IntakeRecord.objects.get(marketplace_order_id="2").status == "received"


def test_a_burst_queues_one_batch_and_an_order_after_it_started_queues_another(marketplace, connector_server):
    for number in range(1, 6):
        marketplace.place(order_body(marketplaceOrderId=str(number)))
    assert messages_waiting("celery") == 1

    consume("celery")
    assert [r.body["code"] for r in connector_server.wait_for(5, timeout=30)] == ["SOI001"] * 5

    stop_consuming("celery")
    for number in range(6, 8):
        marketplace.place(order_body(marketplaceOrderId=str(number)))
    assert messages_waiting("celery") == 1  # the batch started, so a write after it asks again

    consume("celery")
    connector_server.wait_for(7, timeout=30)
    assert Order.objects.count() == 7
    assert set(IntakeRecord.objects.values_list("status", flat=True)) == {"integrated"}
