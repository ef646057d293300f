"""Nothing accepted is lost, nothing is done twice, nothing is left half-done."""

from datetime import timedelta
from unittest import mock

import psycopg
import pytest
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from catalog.models import Stock
from orders.intake import write
from orders.intake.pipeline import intake_process, intakes_process
from orders.models import IntakeRecord, Order
from orders.reservations import reservations_expire
from orders.tasks import process_intake, process_intakes, sweep_intake
from tests.orders.payloads import order_body
from tests.support.clients import connector_headers
from tests.support.concurrency import at_once
from tests.support.orders import ANA, place_held
from tests.worker import database_url


def backoff_over(monkeypatch):
    """Let pass the seconds during which a process leaves a broker that just failed alone."""
    import kit.redis

    monkeypatch.setattr(kit.redis, "BACKOFF_SECONDS", 0)


def test_with_the_broker_down_the_order_is_accepted_and_the_sweep_processes_it(
    mkp, shop, connector_server, monkeypatch
):
    with mock.patch.object(process_intakes, "apply_async", side_effect=BrokerDown("connection refused")):
        response = mkp.place(order_body())
    assert response.status_code == 200
    assert response.json()["code"] == "SOI003"
    intake = IntakeRecord.objects.get()
    assert intake.status == "received"
    assert connector_server.codes() == []
    backoff_over(monkeypatch)
    IntakeRecord.objects.filter(pk=intake.pk).update(received_at=timezone.now() - timedelta(minutes=1))
    with mkp.capture(execute=True):
        assert sweep_intake() == 1
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    assert Order.objects.count() == 1


def test_submissions_waiting_get_one_batch_from_the_sweep_not_a_task_each(mkp, shop):
    with mock.patch.object(process_intakes, "apply_async"):  # asked for, and waiting behind others
        for number in range(3):
            mkp.place(order_body(marketplaceOrderId=str(number)))
    with (
        mock.patch.object(process_intakes, "apply_async") as batch,
        mock.patch.object(process_intake, "apply_async") as single,
    ):
        assert sweep_intake() == 0  # received moments ago: their batch is surely on its way
        IntakeRecord.objects.update(received_at=timezone.now() - timedelta(minutes=1))
        assert sweep_intake() == 1
    assert batch.call_count == 1
    assert single.call_count == 0


def test_during_a_broker_outage_requests_do_not_each_wait_for_the_broker(
    mkp, shop, connector_server, monkeypatch
):
    with mock.patch.object(
        process_intakes, "apply_async", side_effect=BrokerDown("connection refused")
    ) as send:
        first = mkp.place(order_body(marketplaceOrderId="1"))
        second = mkp.place(order_body(marketplaceOrderId="2"))
    assert [first.json()["code"], second.json()["code"]] == ["SOI003", "SOI003"]
    assert send.call_count == 1  # the second request left the broker alone: the sweep queues both
    assert list(IntakeRecord.objects.values_list("status", flat=True)) == ["received", "received"]
    backoff_over(monkeypatch)
    with mock.patch.object(process_intakes, "apply_async") as send:
        mkp.place(order_body(marketplaceOrderId="3"))
    assert send.call_count == 1  # and tries it again once the backoff is over


@pytest.mark.django_db(transaction=True)
def test_a_submission_another_worker_is_processing_is_passed_over_and_free_the_moment_that_worker_dies(
    mkp, shop, connector_server
):
    with mock.patch.object(process_intakes, "apply_async"):  # no worker has taken it yet
        mkp.place(order_body())
    intake = IntakeRecord.objects.get()
    # A worker mid-processing: its claim is the row lock of its processing transaction.
    worker = psycopg.connect(database_url())
    worker.execute(f"SELECT 1 FROM {IntakeRecord._meta.db_table} WHERE id = %s FOR UPDATE", [intake.pk])
    with mkp.capture(execute=True):
        assert intake_process(intake_id=intake.pk) is None  # passed over, not waited for
        assert intakes_process(limit=10) == 0
    assert connector_server.codes() == []
    worker.close()  # it dies: its transaction goes with it, and nothing has to run out
    with mkp.capture(execute=True):
        assert intake_process(intake_id=intake.pk) == "integrated"
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    intake.refresh_from_db()
    assert (intake.status, intake.attempts, Order.objects.count()) == ("integrated", 1, 1)


def test_a_submission_left_processing_under_a_lease_is_taken_up_by_the_sweep_once_it_runs_out(
    mkp, shop, connector_server
):
    with mock.patch.object(process_intakes, "apply_async"):
        mkp.place(order_body())
    intake = IntakeRecord.objects.get()
    # What a claim was before it became the processing transaction's lock, as an upgrade finds it.
    IntakeRecord.objects.filter(pk=intake.pk).update(
        status="processing",
        attempts=1,
        lease_until=timezone.now() + timedelta(seconds=30),  # half of the minute a lease lasted
        received_at=timezone.now() - timedelta(minutes=1),
    )
    with mkp.capture(execute=True):
        assert sweep_intake() == 0  # the lease still holds
    IntakeRecord.objects.filter(pk=intake.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    with mkp.capture(execute=True):
        assert sweep_intake() == 1
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    intake.refresh_from_db()
    assert (intake.status, intake.attempts, Order.objects.count()) == ("integrated", 2, 1)


def test_processing_twice_changes_nothing(mkp, shop, connector_server):
    mkp.place(order_body())
    connector_server.wait_for(1)
    intake = IntakeRecord.objects.get()
    with mkp.capture(execute=True):
        assert intake_process(intake_id=intake.pk) is None
    shop.stock.refresh_from_db()
    assert (Order.objects.count(), shop.stock.reserved, connector_server.codes()) == (1, 1, ["SOI001"])


def test_a_crash_mid_processing_leaves_nothing_half_done(mkp, shop, connector_server):
    # The order's items, its last write, fail: after the order, its events and the stock.
    with mock.patch.object(write, "order_items_build", side_effect=RuntimeError("disk full")):
        mkp.place(order_body())
    intake = IntakeRecord.objects.get()
    assert (intake.status, intake.last_error) == ("failed", "RuntimeError: disk full")
    shop.stock.refresh_from_db()
    assert (Order.objects.count(), shop.stock.reserved, connector_server.codes()) == (0, 0, [])
    with mkp.capture(execute=True):
        process_intake.apply_async((intake.pk,))
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1


def test_reservations_run_out_with_lock_ttl(shop, owner, approver):
    order = place_held(shop.connector, approvers=[ANA], logistics={"lockTTL": "2d"})
    assert timedelta(days=2) - (order.reservation_expires_at - order.created_at) < timedelta(seconds=5)
    assert reservations_expire(now=timezone.now() + timedelta(days=1)) == 0
    assert reservations_expire(now=timezone.now() + timedelta(days=3)) == 1
    order.refresh_from_db()
    shop.stock.refresh_from_db()
    assert (order.reservation_expired, shop.stock.reserved) == (True, 0)
    assert order.events.filter(kind="reservation").last().note == "The stock reservation ran out (lockTTL)."
    assert reservations_expire(now=timezone.now() + timedelta(days=3)) == 0


@pytest.mark.django_db(transaction=True)
def test_identical_requests_racing_make_one_submission_and_one_order(shop, connector_server):
    from tests.worker import require_services

    require_services()
    headers = connector_headers(shop.credentials)
    body = order_body()

    def post():
        return Client().post(
            "/api/order-integration/orders?an=acme", data=body, content_type="application/json", **headers
        )

    responses = at_once([post] * 8)
    assert [response.status_code for response in responses] == [200] * 8
    assert IntakeRecord.objects.count() == 1
    connector_server.wait_for(1)
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_orders_racing_for_the_last_units_never_reserve_more_than_there_is(shop, connector_server):
    from tests.worker import require_services

    require_services()
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=3)
    headers = connector_headers(shop.credentials)

    def post(number):
        return lambda: Client().post(
            "/api/order-integration/orders?an=acme",
            data=order_body(marketplaceOrderId=f"race-{number}"),
            content_type="application/json",
            **headers,
        )

    at_once([post(number) for number in range(10)])
    connector_server.wait_for(10)
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 3
    assert sorted(connector_server.codes()).count("SOI001") == 3
    assert Order.objects.count() == 3
