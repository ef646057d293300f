"""The happy path, a retried notification and a duplicate, processed by a real worker on Redis and PostgreSQL."""

import contextlib
import json

import pytest

from orders.models import Order
from tests.connector_client import ConnectorClient
from tests.orders.payloads import order_body

pytestmark = pytest.mark.worker


@pytest.fixture
def connector_client(client, worker_shop):
    # No capturing: requests commit for real and the worker picks the tasks up from Redis.
    return ConnectorClient(client, worker_shop.credentials, lambda execute: contextlib.nullcontext())


def test_happy_path_with_a_real_worker(connector_client, worker_shop, connector_server):
    assert connector_client.place(order_body()).status_code == 200
    (received,) = connector_server.wait_for(1, timeout=90)
    assert received.body["code"] == "SOI001"
    assert Order.objects.get().status == "payment-pending"


def test_a_retried_notification_with_a_real_worker(connector_client, worker_shop, connector_server):
    connector_server.respond_with(503, 200)
    connector_client.place(order_body())
    received = connector_server.wait_for(2, timeout=90)
    assert [r.body["code"] for r in received] == ["SOI001", "SOI001"]
    assert received[0].headers["Idempotency-Key"] == received[1].headers["Idempotency-Key"]


def test_a_duplicate_with_a_real_worker(connector_client, worker_shop, connector_server):
    connector_client.place(order_body())
    connector_server.wait_for(1, timeout=90)
    connector_client.place(order_body())  # an exact replay: nothing new
    connector_client.place(order_body(openTextField="another body"))
    received = connector_server.wait_for(2, timeout=90)
    assert [r.body["code"] for r in received] == ["SOI001", "EOI007"]
    assert Order.objects.count() == 1
    assert json.loads(received[1].raw)["errors"][0]["code"] == "FMT009"
