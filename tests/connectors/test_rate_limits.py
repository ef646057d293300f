"""Connector request rates: over its rate a connector is answered 429 with Retry-After, in its
API's error body, having written nothing; another connector is not; an order it placed before
is answered as usual; every process counts in the same place (Redis); without Redis nothing is
refused.

The rates are a few requests a minute, so that no test depends on how fast it runs.
"""

import logging
import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings as django_settings
from django.core.checks import Error

from connector_api import rate_limit
from connectors.checks import rate_limit_setting_check
from orders.models import IntakeRecord
from tests import factories
from tests.connector_client import ConnectorClient
from tests.orders.payloads import order_body
from tests.support.clients import connector_headers
from tests.support.connector_admin import add_form
from tests.worker import ROOT, database_url, require_services

RATE = "3/min"


@pytest.fixture(autouse=True)
def counts_cleared(settings):
    """Start each test with no request counted, and the setting at a few requests a minute."""
    require_services()
    settings.CONNECTOR_RATE_LIMIT = RATE
    client = redis.Redis.from_url(django_settings.REDIS_URL)

    def clear():
        for key in client.scan_iter(f"{django_settings.REDIS_KEY_PREFIX}{rate_limit.KEY_PREFIX}*"):
            client.delete(key)

    clear()
    yield
    clear()


@pytest.fixture
def other(client, account, connector_server, django_capture_on_commit_callbacks):
    """A second connector of the shop's account, placing orders too."""
    _, credentials = factories.connector(
        account, name="Other", affiliate_id="OTH", endpoint=connector_server.url
    )
    return ConnectorClient(client, credentials, django_capture_on_commit_callbacks)


def place_until_refused(mkp, first: int = 1) -> tuple[list[int], dict, object]:
    """Place new orders until one is refused; return the statuses and that order's body and answer."""
    statuses = []
    for number in range(first, first + 10):
        body = order_body(marketplaceOrderId=f"RL-{number}")
        response = mkp.place(body)
        statuses.append(response.status_code)
        if response.status_code == 429:
            return statuses, body, response
    raise AssertionError(f"never refused: {statuses}")


def test_over_its_rate_a_connector_gets_429_with_retry_after_in_the_contract_body(mkp):
    statuses, body, refused = place_until_refused(mkp)

    assert statuses == [200, 200, 200, 429]
    assert 1 <= int(refused["Retry-After"]) <= 60
    answer = refused.json()
    assert answer == {
        "marketplaceOrderId": None,
        "accountName": None,
        "code": "EOI001",
        "flow": "PlaceOrder",
        "success": False,
        "operationId": None,
        "fields": None,
        "errors": [{"source": "Order Integration", "code": "RATE_LIMIT", "description": answer["message"]}],
        "message": answer["message"],
    }
    assert answer["message"].startswith("Request was throttled.")
    # Nothing of the refused order was written: the connector sends it again, and nothing is lost.
    assert not IntakeRecord.objects.filter(marketplace_order_id=body["marketplaceOrderId"]).exists()
    assert IntakeRecord.objects.count() == 3


def test_another_connector_is_not_refused_while_one_is_over_its_rate(mkp, other):
    place_until_refused(mkp)

    accepted = other.place(order_body(marketplaceOrderId="OTHER-1"))

    assert accepted.status_code == 200
    assert accepted.json()["code"] == "SOI003"
    assert mkp.place(order_body(marketplaceOrderId="RL-late")).status_code == 429


def test_an_order_placed_before_is_answered_as_usual_over_the_rate(mkp):
    placed = order_body(marketplaceOrderId="RL-1")
    place_until_refused(mkp)  # RL-1, RL-2, RL-3 accepted, RL-4 refused

    again = mkp.place(placed)
    changed = mkp.place({**placed, "openTextField": "sent again, changed"})

    # The same body: the submission already there; another body under the same id: a submission
    # of its own, whose notification says EOI007 as ever. Neither is a 429.
    assert (again.status_code, again.json()["code"]) == (200, "SOI003")
    assert (changed.status_code, changed.json()["code"]) == (200, "SOI003")
    assert IntakeRecord.objects.filter(marketplace_order_id="RL-1").count() == 2
    assert mkp.place(order_body(marketplaceOrderId="RL-new")).status_code == 429


def test_a_request_is_counted_in_the_window_limits_reads(shop):
    """The hit is sent as `limits` would send it, under its key: limits' own reading of the window,
    which Retry-After comes from, sees it."""
    hit = rate_limit.rate_hit(shop.connector)
    client = redis.Redis.from_url(django_settings.REDIS_URL)

    hit.send(client)

    stats = rate_limit._limiter_on(client).get_window_stats(hit.item, hit.identifier)
    assert stats.remaining == hit.item.amount - 1


def test_every_process_counts_in_the_same_place(mkp, shop):
    """Two requests counted by another process leave this one a single request of the three."""
    code = (
        "from types import SimpleNamespace; from connector_api.rate_limit import rate_limit_wait; "
        f"connector = SimpleNamespace(pk={shop.connector.pk}, rate_limit='{RATE}'); "
        "print([rate_limit_wait(connector) for _ in range(2)])"
    )
    other_process = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": django_settings.REDIS_URL},
        check=True,
        capture_output=True,
        text=True,
    )
    assert other_process.stdout.strip().splitlines()[-1] == "[None, None]"

    statuses, _, _ = place_until_refused(mkp)

    assert statuses == [200, 429]


def test_the_connectors_own_rate_replaces_the_setting(mkp, shop, settings):
    connector = shop.connector
    connector.rate_limit = "0"
    connector.save(update_fields=["rate_limit"])  # as the admin saves it: every process reads it again
    for number in range(6):
        assert mkp.place(order_body(marketplaceOrderId=f"NONE-{number}")).status_code == 200

    settings.CONNECTOR_RATE_LIMIT = "0"
    connector.rate_limit = "1/h"
    connector.save(update_fields=["rate_limit"])

    statuses, _, refused = place_until_refused(mkp)

    assert statuses == [200, 429]
    assert 1 <= int(refused["Retry-After"]) <= 3600


def test_the_oms_api_answers_429_in_its_own_body(client, shop):
    headers = connector_headers(shop.credentials)
    answers = [client.get("/api/oms/pvt/orders/MKP-0", **headers) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 429]
    refused = answers[-1]
    assert refused.json() == {
        "error": {"code": "OMS008", "message": refused.json()["error"]["message"], "exception": None}
    }
    assert int(refused["Retry-After"]) >= 1


def test_the_fulfillment_protocol_answers_429_in_its_own_body(client, shop):
    url = "/api/checkout/pub/orderForms/simulation?affiliateId=MKP"
    headers = connector_headers(shop.credentials)
    answers = [client.post(url, data="{}", content_type="application/json", **headers) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [400, 400, 400, 429]
    body = answers[-1].json()
    assert body["error"]["code"] == "EOI001"
    assert body["errors"] == [
        {"source": "Order Integration", "code": "RATE_LIMIT", "description": body["error"]["message"]}
    ]
    assert int(answers[-1]["Retry-After"]) >= 1


def test_without_redis_no_order_is_refused_and_a_warning_says_so_once(mkp, settings, caplog):
    settings.CONNECTOR_RATE_LIMIT = "1/h"
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there

    with caplog.at_level(logging.WARNING):
        statuses = [
            mkp.place(order_body(marketplaceOrderId=f"DOWN-{number}")).status_code for number in range(3)
        ]

    assert statuses == [200, 200, 200]
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.name for record in warnings] == ["kit.redis"]
    assert "redis://127.0.0.1:9/0 did not answer" in warnings[0].getMessage()


@pytest.mark.parametrize("value", ["fast", "200", "200/x", "-1/s", "0/s", "200 / s", ""])
def test_a_setting_that_is_no_rate_fails_the_system_check(settings, value):
    settings.CONNECTOR_RATE_LIMIT = value

    problems = rate_limit_setting_check()

    assert [(type(problem), problem.id) for problem in problems] == [(Error, "connectors.E002")]
    assert "CONNECTOR_RATE_LIMIT" in problems[0].msg


@pytest.mark.parametrize("value", ["200/s", "12000/min", "3600/h", "0"])
def test_a_rate_passes_the_system_check(settings, value):
    settings.CONNECTOR_RATE_LIMIT = value

    assert rate_limit_setting_check() == []


def test_a_bad_rate_in_the_admin_is_a_form_error_in_the_readers_language(client, owner, account):
    connector, _ = factories.connector(account)
    client.force_login(owner)
    form = add_form(account, name=connector.name, type=connector.type, affiliate_id=connector.affiliate_id)
    url = f"/admin/connectors/connector/{connector.pk}/change/"

    refused = client.post(url, {**form, "rate_limit": "lots"}, headers={"accept-language": "pt-br"})
    client.post(url, {**form, "rate_limit": "12000/min"})

    assert refused.status_code == 200
    assert "lots não é um limite de requisições" in refused.content.decode()
    connector.refresh_from_db()
    assert connector.rate_limit == "12000/min"
