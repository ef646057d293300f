"""The load generator and the connector receiver that the benchmarks and fault tests drive."""

import gc
import json
import time

import pytest
import requests

from bench.harness_processes import free_port
from bench.load import OrderBodies, OrderTarget, main, post_orders
from bench.load_receiver import ConnectorReceiver


@pytest.fixture
def receiver():
    with ConnectorReceiver() as running:
        yield running


def target_of(receiver) -> OrderTarget:
    # The receiver answers 200 to any POST: it stands in for the server here.
    return OrderTarget(f"http://127.0.0.1:{receiver.port}", "acme", "key", "token")


def test_every_order_is_the_example_with_an_id_of_its_own_paying_its_sku():
    bodies = OrderBodies(prefix="T-", skus=3)
    first, third = json.loads(bodies(0)), json.loads(bodies(2))
    assert first["marketplaceOrderId"] == "T-0" and third["marketplaceOrderId"] == "T-2"
    assert first["items"] == [{"id": "1", "price": 975, "quantity": 1}]
    assert first["marketplacePaymentValue"] == 3025  # 975 + freight 2050, as the contract's example
    assert third["items"] == [{"id": "3", "price": 1175, "quantity": 1}]
    assert third["marketplacePaymentValue"] == 1175 + 2050
    assert first["clientProfileData"]["firstName"] == "John"


def test_a_closed_loop_posts_count_orders_and_records_each(receiver):
    load = post_orders(target_of(receiver), count=40, concurrency=4, bodies=OrderBodies(prefix="C-"))

    assert load.accepted == 40 and load.statuses() == {200: 40}
    assert sorted(load.accepted_ids()) == sorted(f"C-{i}" for i in range(40))
    assert all(sent.latency > 0 for sent in load.sent)
    assert receiver.wait_for(load.accepted_ids(), timeout=5)
    (arrival,) = [a for a in receiver.received() if a.order_id == "C-7"]
    assert arrival.path == "/api/order-integration/orders"


def test_an_open_loop_sends_on_schedule_and_stops_after_its_seconds(receiver):
    started = time.monotonic()
    load = post_orders(target_of(receiver), seconds=1.0, rate=40, bodies=OrderBodies(prefix="R-"))

    assert time.monotonic() - started < 5
    assert len(load.sent) == 40
    dues = [sent.due - load.started for sent in load.sent]
    assert dues[:3] == pytest.approx([0, 0.025, 0.05])


def test_the_sender_collects_only_what_the_load_made(receiver):
    """A full collection walking all the benchmark's process holds (Django, the seeded rows)
    stopped the sender for 300 ms, late for 300 ms of orders: that is frozen out during a load."""
    frozen = []

    class Watched(OrderBodies):
        def __call__(self, index: int) -> bytes:
            frozen.append(gc.get_freeze_count())
            return super().__call__(index)

    load = post_orders(target_of(receiver), count=20, concurrency=2, bodies=Watched(prefix="G-"))

    assert load.accepted == 20
    assert min(frozen) > 1000  # Django's objects among them
    assert gc.get_freeze_count() == 0  # and given back afterwards


def test_a_refused_connection_is_recorded_not_raised():
    target = OrderTarget(f"http://127.0.0.1:{free_port()}", "acme", "key", "token")  # nothing listens
    load = post_orders(target, count=3, concurrency=1, request_timeout=2)

    assert load.accepted == 0 and load.statuses() == {None: 3}
    assert all(sent.error for sent in load.sent)


def test_a_load_runs_from_a_thread_whose_event_loop_is_running():
    """As in a test suite where Playwright's synchronous API keeps a loop running."""
    import asyncio

    target = OrderTarget(f"http://127.0.0.1:{free_port()}", "acme", "key", "token")

    def load():
        return post_orders(target, count=2, concurrency=1, request_timeout=2)

    async def inside_a_loop():
        return load()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        assert asyncio.run(inside_a_loop()).statuses() == {None: 2}
    else:  # after the browser tests, whose loop runs in this thread already
        assert load().statuses() == {None: 2}


def test_load_goes_to_this_machine_only():
    with pytest.raises(ValueError, match="this machine only"):
        post_orders(OrderTarget("http://10.0.0.1", "acme", "k", "t"), count=1, concurrency=1)


def notify(receiver, order_id, key, code="SOI001"):
    url = f"{receiver.endpoint}/order-integration/notification/processing-result?an=acme"
    body = {"marketplaceOrderId": order_id, "code": code}
    requests.post(url, json=body, headers={"Idempotency-Key": key}, timeout=5).raise_for_status()


def test_the_tally_tells_retries_from_duplicates_and_names_the_missing(receiver):
    notify(receiver, "A", "k1")
    notify(receiver, "A", "k1")  # a retry: same key
    notify(receiver, "B", "k2")
    notify(receiver, "B", "k3", code="EOI007")  # a second notification of B: a duplicate
    notify(receiver, "Z", "k4")

    tally = receiver.tally(expected=["A", "B", "C"])

    assert tally.notifications == 5 and tally.retries == 1 and tally.orders == 3
    assert tally.by_code == {"SOI001": 3, "EOI007": 1}
    assert tally.duplicated == ("B",)
    assert tally.missing == ("C",) and tally.unexpected == ("Z",)
    assert not tally.exactly_once
    assert not receiver.wait_for(["C"], timeout=0.2)


def test_the_command_line_posts_and_says_how_fast(receiver, capsys):
    url = f"http://127.0.0.1:{receiver.port}"
    args = ["--url", url, "--account", "acme", "--app-key", "k", "--app-token", "t"]

    assert main([*args, "--concurrency", "2", "--count", "5"]) == 0

    assert capsys.readouterr().out.startswith("5 orders (2 connections) in ")
    assert len(receiver.received()) == 5


@pytest.mark.django_db
def test_production_serves_no_baseline(client, settings):
    assert "bench.baseline" not in settings.INSTALLED_APPS
    assert client.post("/bench/baseline/orders", {}, content_type="application/json").status_code == 404
