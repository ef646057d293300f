"""A worker killed mid-task (SIGKILL: no shutdown, its connections cut) loses nothing: the
task's message stays on the broker unacknowledged (acks_late), what it had written is rolled
back with the claim it held, and the sweep of another worker processes the order — decided,
reserved and notified once."""

import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Stock
from insight.models import DecisionRecord
from orders.models import IntakeRecord, Order
from tests.orders.payloads import order_body
from tests.worker import database_url, stop_worker
from tests.worker_lane.lane import kill_hard, notified, start_lane_worker, unacknowledged

pytestmark = pytest.mark.real_worker


def others(condition: str = "true") -> int:
    """How many other sessions on the test database match `condition` (pg_stat_activity)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            f" AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND {condition}"
        )
        return cursor.fetchone()[0]


def wait_until(check, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


@pytest.fixture
def replacement():
    """Start another worker, as a supervisor would; it is stopped after the test."""
    started = []
    yield lambda: started.append(start_lane_worker())
    for process in started:
        stop_worker(process)


def test_a_worker_killed_while_placing_an_order_leaves_it_to_the_sweep_and_it_is_notified_once(
    lane_worker, replacement, marketplace, worker_shop, connector_server
):
    # The stock row held by another transaction: the worker, placing the order, waits to reserve.
    with psycopg.connect(database_url()) as holder:
        holder.execute(
            f"SELECT 1 FROM {Stock._meta.db_table} WHERE id = %s FOR UPDATE", [worker_shop.stock.pk]
        )
        marketplace.place(order_body())
        wait_until(lambda: others("wait_event_type = 'Lock'") == 1, "the worker waits on the stock row")
        kill_hard(lane_worker)
        assert unacknowledged() == ["orders.tasks.process_intakes"]
    wait_until(lambda: others() == 0, "the killed worker's sessions have ended")

    assert notified(connector_server, 0) == []
    assert IntakeRecord.objects.get().status == "received"  # its claim went with its transaction
    assert Order.objects.count() == DecisionRecord.objects.count() == 0  # rolled back
    worker_shop.stock.refresh_from_db()
    assert worker_shop.stock.reserved == 0

    # Free at once; the sweep gives a batch to submissions waiting over 20 s.
    IntakeRecord.objects.update(received_at=timezone.now() - timedelta(seconds=21))
    replacement()
    (received,) = notified(connector_server, 1)
    assert received.body["code"] == "SOI001"
    intake = IntakeRecord.objects.get()
    assert (intake.status, intake.attempts) == ("integrated", 1)  # the attempt that died wrote nothing
    order = Order.objects.get()
    assert list(order.events.order_by("pk").values_list("kind", flat=True)) == ["created", "decision"]
    assert DecisionRecord.objects.count() == 1
    worker_shop.stock.refresh_from_db()
    assert worker_shop.stock.reserved == 1
