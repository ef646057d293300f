"""Logs that can be followed: each request's id, in its answer and its log line, with the account,
connector and order it was about; readable text by default, JSON lines with LOG_FORMAT=json.

That the request id goes on into the worker's lines is shown with a real worker
(tests/worker_lane/test_logs.py)."""

import json
import logging
import subprocess
import sys

import pytest

from kit.logs import log_context
from tests.orders.payloads import order_body
from tests.support.app_process import app_environment
from tests.support.clients import api_client_for


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="kit.logs")
    return lambda: [record for record in caplog.records if record.name == "kit.logs"]


def test_a_request_without_an_id_is_given_one_and_answered_with_it(client, db, request_lines):
    first, second = client.get("/admin/login/"), client.get("/admin/login/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    assert [line.request_id for line in request_lines()] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert request_lines()[0].getMessage().startswith("GET /admin/login/ 200 ")


@pytest.mark.parametrize("sent", ["4bf92f3577b34da6a3ce929d0e0e4736", "lb-1.trace:7", "0a1b-c2d3"])
def test_a_sane_request_id_sent_is_kept(client, db, sent):
    assert client.get("/admin/login/", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent", ["x" * 65, "two words", "line\nbreak", '{"json": 1}', "-starts-with-a-dash", "ação"]
)
def test_any_other_request_id_sent_is_replaced(client, db, sent, request_lines):
    answer = client.get("/admin/login/", HTTP_X_REQUEST_ID=sent)
    assert answer["X-Request-ID"] != sent and len(answer["X-Request-ID"]) == 32
    assert request_lines()[0].request_id == answer["X-Request-ID"]


def test_a_connectors_order_post_logs_the_connector_account_and_marketplace_order(mkp, shop, request_lines):
    answer = mkp.place(order_body())
    (line,) = request_lines()
    assert (line.request_id, line.status, line.method) == (answer["X-Request-ID"], 200, "POST")
    assert (line.connector_id, line.account_id) == (shop.connector.pk, shop.account.pk)
    assert line.marketplace_order_id == "123456789"


def test_a_seller_api_call_logs_the_account(owner, account, request_lines):
    answer = api_client_for(owner).get("/api/orders")
    (line,) = request_lines()
    assert (answer.status_code, line.status, line.account_id) == (200, 200, account.pk)


def test_a_request_line_names_the_url_pattern_not_a_path_that_may_hold_a_credential(
    client, db, request_lines
):
    client.get("/decide/a-decision-links-secret-token")
    (line,) = request_lines()
    assert line.path == "/decide/<str:token>"
    assert "secret" not in line.getMessage()


def test_nothing_of_a_request_stays_in_the_context_after_it(client, db):
    client.get("/admin/login/", HTTP_X_REQUEST_ID="finished-request")
    assert dict(log_context()) == {}


LOG_A_LINE = """
import logging, django
django.setup()
from kit.logs import log_context_start
log_context_start(request_id="r-1", account_id=7, marketplace_order_id="MKP-1")
logging.getLogger("orders").info("Order %s held", "MKP-1")
"""


def log_line(tmp_path, **variables) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", LOG_A_LINE],
        cwd=tmp_path,
        env=app_environment(**variables),
        capture_output=True,
        text=True,
    )


def test_log_lines_are_readable_text_by_default(tmp_path):
    written = log_line(tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stderr.strip().endswith(" INFO orders Order MKP-1 held")


def test_log_format_json_writes_one_object_a_line_with_the_context(tmp_path):
    written = log_line(tmp_path, LOG_FORMAT="json")
    assert written.returncode == 0, written.stderr
    (line,) = written.stderr.strip().splitlines()
    found = json.loads(line)
    assert found.pop("time").endswith("+00:00")
    assert found == {
        "level": "INFO",
        "logger": "orders",
        "message": "Order MKP-1 held",
        "request_id": "r-1",
        "account_id": 7,
        "marketplace_order_id": "MKP-1",
    }


def test_log_level_still_chooses_what_is_written(tmp_path):
    written = log_line(tmp_path, LOG_FORMAT="json", LOG_LEVEL="WARNING")
    assert (written.returncode, written.stderr) == (0, "")


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    written = log_line(tmp_path, LOG_FORMAT="xml")
    assert written.returncode != 0
    assert "LOG_FORMAT is 'xml': it is text or json." in written.stderr
