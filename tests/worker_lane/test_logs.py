"""Logs that can be followed: one connector's POST, through a real worker writing JSON lines, to
the notification it led to, all under the request id the POST was answered with."""

import contextlib
import json
import logging

import pytest

from tests.orders.payloads import order_body
from tests.worker import require_services, stop_worker
from tests.worker_lane.lane import start_lane_worker

pytestmark = pytest.mark.real_worker


@pytest.fixture(scope="module")
def worker_log(tmp_path_factory):
    return tmp_path_factory.mktemp("worker") / "stderr.log"


@pytest.fixture(scope="module")
def lane_worker(_migrated_rows_restored, worker_log):
    """The lane's worker, logging JSON lines at INFO into a file the test reads."""
    require_services()
    with worker_log.open("w") as stderr:
        process = start_lane_worker(loglevel="INFO", stderr=stderr, LOG_FORMAT="json")
    yield process
    stop_worker(process)


def json_lines(path) -> list[dict]:
    lines = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # Celery's banner comes before its logging
            lines.append(json.loads(line))
    return lines


def test_a_posted_orders_request_id_is_in_the_web_line_and_the_workers_delivery_line(
    marketplace, worker_shop, connector_server, worker_log, caplog
):
    caplog.set_level(logging.INFO, logger="kit.logs")
    answer = marketplace.place(order_body(), HTTP_X_REQUEST_ID="order-post-42")
    assert answer["X-Request-ID"] == "order-post-42"
    connector_server.wait_for(1, timeout=30)

    (web_line,) = [record for record in caplog.records if record.name == "kit.logs"]
    assert (web_line.request_id, web_line.connector_id) == ("order-post-42", worker_shop.connector.pk)
    assert (web_line.marketplace_order_id, web_line.status) == ("123456789", 200)

    delivered = [
        line
        for line in json_lines(worker_log)
        if line["logger"] == "connectors.notifications" and line["message"].startswith("Notification ")
    ]
    assert len(delivered) == 1
    assert delivered[0]["request_id"] == "order-post-42"
    assert delivered[0]["marketplace_order_id"] == "123456789"
    assert delivered[0]["main_order_id"] == "MKP-123456789"
    assert delivered[0]["connector_id"] == worker_shop.connector.pk
    assert delivered[0]["task"] == "orders.tasks.process_intakes"
    assert " try 1: 200 in " in delivered[0]["message"]
