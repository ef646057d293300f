"""GET /metrics, as Prometheus and an operator's dashboard read it."""

import json
import math
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from connectors import contract
from connectors.models import Notification
from connectors.notifications import notification_build, notifications_enqueue
from operations import metrics
from operations.heartbeats import BEAT, WORKER_PREFIX, heartbeat_stamp
from orders.intake.receive import intake_receive
from orders.models import IntakeRecord, Order
from tests.factories import band
from tests.orders.payloads import order_body
from tests.support.notifications import write
from tests.support.orders import rule_set

pytestmark = pytest.mark.django_db

P = metrics.PREFIX
BANDS = [band(0, 10, "authorize"), band(10, 20, "manual", ["ana@acme.example"]), band(20, 100, "deny")]
HELD = 2571  # 15.01 % below the example seller's 3025
DENIED = 2000  # 33.88 % below
DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") and not os.environ.get("REQUIRE_SERVICES"),
    reason="the counters of what workers do are kept on Redis",
)


@pytest.fixture(autouse=True)
def fresh_scrapes(settings, monkeypatch):
    """Every scrape reads the database and Redis again."""
    settings.METRICS_CACHE_SECONDS = 0
    monkeypatch.setattr(metrics, "_cached", None)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


def scrape_text(client, **headers) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def parsed(text: str) -> dict:
    """{(sample name, frozenset of labels): value}, through prometheus_client's own parser."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **headers) -> dict:
    return parsed(scrape_text(client, **headers))


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


def test_the_scrape_parses_and_holds_every_figure(client):
    names = families(scrape_text(client))
    assert {
        P + "http_requests",
        P + "http_request_duration_seconds",
        P + "manual_queue_orders",
        P + "manual_queue_oldest_wait_seconds",
        P + "intake_backlog_submissions",
        P + "intake_oldest_submission_age_seconds",
        P + "outbox_due",
        P + "outbox_oldest_due_seconds",
        P + "heartbeat_age_seconds",
        P + "workers_alive",
        P + "metrics_source_up",
    } <= names


@needs_redis
def test_the_counters_kept_on_redis_are_in_the_scrape(client):
    samples = scrape(client)
    assert value(samples, P + "metrics_source_up", source="redis") == 1
    assert (P + "submissions_received_total", frozenset({("flow", "PlaceOrder")})) in samples
    assert (
        P + "delivery_attempts_total",
        frozenset({("channel", "hook"), ("result", "failed")}),
    ) in samples


def test_the_token_is_asked_for_when_set(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert P not in refused.content.decode()
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-and-more").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Token s3cret-token").status_code == 401
    assert P + "manual_queue_orders" in scrape_text(client, HTTP_AUTHORIZATION="Bearer s3cret-token")


def test_prometheus_scrapes_by_address_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["orders.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/metrics", HTTP_HOST="10.9.8.7")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    assert client.post("/metrics").status_code == 405


def test_requests_are_counted_by_view_name_and_status_never_by_path(client):
    before = scrape(client)
    statuses = {
        client.get(path).status_code for path in ("/decide/a-credential-in-a-path", "/decide/another-one")
    }
    client.get("/no/such/page")
    client.get("/health/live")  # the probes are not counted
    after_text = scrape_text(client)
    after = parsed(after_text)
    counted = P + "http_requests_total"
    decide = {"view": "decide", "method": "GET"}
    assert len(statuses) == 1
    status = str(statuses.pop())
    assert (
        value(after, counted, **decide, status=status) - value(before, counted, **decide, status=status) == 2
    )
    assert (
        value(after, counted, view="unmatched", method="GET", status="404")
        - value(before, counted, view="unmatched", method="GET", status="404")
        == 1
    )
    timed = P + "http_request_duration_seconds_count"
    assert value(after, timed, **decide) - value(before, timed, **decide) == 2
    assert "credential" not in after_text and "another-one" not in after_text and "/no/such" not in after_text
    assert value(after, counted, view="unmatched", method="GET", status="200") == value(
        before, counted, view="unmatched", method="GET", status="200"
    )


@needs_redis
def test_orders_received_decided_and_refused_move_as_a_connector_posts(client, mkp, shop, owner, approver):
    rule_set(shop.account, BANDS)
    before = scrape(client)
    assert mkp.place(order_body(marketplaceOrderId="held-1", marketplacePaymentValue=HELD)).status_code == 200
    assert (
        mkp.place(order_body(marketplaceOrderId="denied-1", marketplacePaymentValue=DENIED)).status_code
        == 200
    )
    assert mkp.place(order_body(marketplaceOrderId="fine-1")).status_code == 200
    after = scrape(client)

    def moved(name, **labels):
        return value(after, P + name, **labels) - value(before, P + name, **labels)

    assert moved("submissions_received_total", flow="PlaceOrder") == 3
    assert moved("submissions_decided_total", outcome="manual", band="10.00-20.00") == 1
    assert moved("submissions_decided_total", outcome="deny", band="20.00-100.00") == 1
    assert moved("submissions_decided_total", outcome="no-divergence", band="none") == 1
    code = IntakeRecord.objects.get(marketplace_order_id="denied-1").code
    assert code.startswith("EOI")
    assert moved("submissions_refused_total", code=code) == 1
    assert value(after, P + "manual_queue_orders") == 1


@needs_redis
def test_a_replay_and_a_rolled_back_submission_are_not_counted(client, mkp, shop, owner, approver):
    rule_set(shop.account, BANDS)
    body = order_body(marketplaceOrderId="once")
    mkp.place(body)
    before = scrape(client)
    mkp.place(body)  # the exact same body again: a replay, which stores nothing
    with pytest.raises(RuntimeError), transaction.atomic():
        intake_receive(
            connector=shop.connector,
            flow=contract.PLACE_ORDER,
            body=order_body(marketplaceOrderId="rolled-back"),
            body_digest="rolled-back",
        )
        raise RuntimeError
    after = scrape(client)
    received = P + "submissions_received_total"
    assert value(after, received, flow="PlaceOrder") == value(before, received, flow="PlaceOrder")


@needs_redis
def test_delivery_attempts_are_counted_by_result(client, mkp, shop, connector_server):
    before = scrape(client)
    connector_server.respond_with(500, 404)  # tried again (at once, tasks running inline), then refused
    notification = write(shop, None, capture=mkp.capture)[0]
    connector_server.wait_for(2)
    after_failure = scrape(client)
    notification.refresh_from_db()
    assert notification.state == Notification.State.FAILED

    def moved(samples, result):
        attempts = P + "delivery_attempts_total"
        return value(samples, attempts, channel="notification", result=result) - value(
            before, attempts, channel="notification", result=result
        )

    assert [moved(after_failure, result) for result in ("retry", "failed", "delivered")] == [1, 1, 0]
    write(shop, None, capture=mkp.capture, code="SOI002")
    connector_server.wait_for(3)
    assert [moved(scrape(client), result) for result in ("retry", "failed", "delivered")] == [1, 1, 1]


def test_the_intake_backlog_and_its_oldest_submission(client, shop):
    received = scrape(client)
    assert value(received, P + "intake_backlog_submissions", status="received") == 0
    assert value(received, P + "intake_oldest_submission_age_seconds", status="received") == 0
    body = order_body(marketplaceOrderId="waiting")
    intake, _ = intake_receive(  # its processing is queued after a commit that never comes here
        connector=shop.connector,
        flow=contract.PLACE_ORDER,
        body=body,
        body_digest=contract.body_digest(body),
    )
    IntakeRecord.objects.filter(pk=intake.pk).update(received_at=timezone.now() - timedelta(minutes=7))
    samples = scrape(client)
    assert value(samples, P + "intake_backlog_submissions", status="received") == 1
    assert 419 < value(samples, P + "intake_oldest_submission_age_seconds", status="received") < 480


def test_the_manual_queue_and_its_oldest_wait(client, held_order):
    Order.objects.filter(pk=held_order.pk).update(created_at=timezone.now() - timedelta(hours=2))
    samples = scrape(client)
    assert value(samples, P + "manual_queue_orders") == 1
    assert 7199 < value(samples, P + "manual_queue_oldest_wait_seconds") < 7300


def test_the_outbox_due_rows_and_how_long_the_oldest_has_been_due(client, shop):
    samples = scrape(client)
    assert value(samples, P + "outbox_due", channel="notification") == 0
    written = notifications_enqueue(  # their delivery is queued after a commit that never comes here
        [
            notification_build(
                connector=shop.connector,
                account_name="acme",
                flow="PlaceOrder",
                code="SOI001",
                marketplace_order_id=f"due-{number}",
                operation_id=f"op-{number}",
            )
            for number in range(2)
        ]
    )
    Notification.objects.filter(pk=written[0].pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=3)
    )
    Notification.objects.filter(pk=written[1].pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=3)
    )
    samples = scrape(client)
    assert value(samples, P + "outbox_due", channel="notification") == 1  # the other is not due yet
    assert 179 < value(samples, P + "outbox_oldest_due_seconds", channel="notification") < 240
    assert value(samples, P + "outbox_due", channel="hook") == 0


def test_heartbeat_ages(client, settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE = 60
    samples = scrape(client)
    assert math.isinf(value(samples, P + "heartbeat_age_seconds", process="beat"))
    heartbeat_stamp(WORKER_PREFIX + "celery@a", at=timezone.now() - timedelta(seconds=30))
    heartbeat_stamp(WORKER_PREFIX + "celery@gone", at=timezone.now() - timedelta(hours=1))
    heartbeat_stamp(BEAT, at=timezone.now() - timedelta(seconds=5))
    samples = scrape(client)
    assert 29 < value(samples, P + "heartbeat_age_seconds", process="worker") < 60
    assert 4 < value(samples, P + "heartbeat_age_seconds", process="beat") < 30
    assert value(samples, P + "workers_alive") == 1


def test_a_redis_that_does_not_answer_leaves_its_counters_out_and_says_so(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    samples = scrape(client)
    assert value(samples, P + "metrics_source_up", source="redis") == 0
    assert value(samples, P + "metrics_source_up", source="database") == 1
    assert not any(name.startswith(P + "submissions_decided") for name, _ in samples)


def test_a_scrape_is_kept_for_a_few_seconds(client, settings, held_order):
    settings.METRICS_CACHE_SECONDS = 60
    assert value(scrape(client), P + "manual_queue_orders") == 1
    held_order.delete()
    assert value(scrape(client), P + "manual_queue_orders") == 1
    settings.METRICS_CACHE_SECONDS = 0
    assert value(scrape(client), P + "manual_queue_orders") == 0


SERVE_REQUESTS = """
import sys
import django
django.setup()
from django.test import Client
client = Client()
for _ in range(int(sys.argv[1])):
    assert client.get("/no/such/page").status_code == 404
"""


def test_the_web_processes_of_a_host_add_up(client, tmp_path, monkeypatch):
    """Two processes writing into one PROMETHEUS_MULTIPROC_DIR, as gunicorn's workers do: a
    scrape of any process counts both."""
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    for requests in (3, 4):
        subprocess.run(
            [sys.executable, "-c", SERVE_REQUESTS, str(requests)],
            env=environment,
            cwd=django_settings.BASE_DIR,
            check=True,
            timeout=120,
        )
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file a process
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    client.get("/no/such/page")  # this process does not write there: it started without the folder
    samples = scrape(client)
    assert value(samples, P + "http_requests_total", view="unmatched", method="GET", status="404") == 7
    assert value(samples, P + "http_request_duration_seconds_count", view="unmatched", method="GET") == 7
    assert value(samples, P + "manual_queue_orders") == 0  # the figures read at scrape time are there too


@needs_redis
def test_every_metric_the_dashboard_queries_is_scraped(client):
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    assert expressions
    queried = {name for expr in expressions for name in re.findall(r"\b(" + P + r"[a-z_]+)", expr)}
    text = scrape_text(client)
    scraped = {name for name, _ in parsed(text)} | families(text)
    assert queried and queried <= scraped, queried - scraped


def across_targets_documented() -> dict[str, str]:
    """{metric: how docs/operations.md says to add it up over targets}, from its table."""
    operations = (Path(django_settings.BASE_DIR) / "docs" / "operations.md").read_text()
    documented = {}
    for line in operations.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        how = re.match(r"`(\w+)`", cells[3])
        for name in re.findall(r"`([a-z_]+)`", cells[0]):
            documented[name] = how.group(1) if how else cells[3]
    return documented


def test_the_dashboard_adds_up_each_metric_over_targets_as_the_docs_say():
    """A figure each process keeps is summed over targets; one read from a shared source (Redis,
    the database) is the same at every target, so summing it would count it once a target."""
    documented = across_targets_documented()
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    aggregated = [
        (how, re.sub(r"_bucket$", "", name))
        for expression in expressions
        for how, name in re.findall(
            r"\b(sum|max|min|avg)\b(?: by \([^)]*\))?\s*\((?:rate\()?" + P + r"([a-z_]+)", expression
        )
    ]
    assert len(aggregated) >= len(expressions)
    assert [(how, name) for how, name in aggregated if documented.get(name) != how] == []
