"""What an order posted asks of Redis, once the process knows its connector: one round trip before
the view (the credentials' generation, and the request counted against the connector's rate) and
one after the commit (the batch's mark, and the metrics' count of submissions received).

Every command Redis answers costs the order API a round trip a request, so a new one shows here
before it shows in `bench/run intake`.
"""

import json
from unittest import mock

import pytest
import redis

from connector_api import authentication
from kit.enqueue import once_started
from kit.redis import redis_forget
from operations.metrics import RECEIVED, counters_read
from orders.intake.pipeline import KICK
from orders.models import IntakeRecord
from orders.tasks import process_intakes
from tests.factories import connector
from tests.orders.payloads import order_body
from tests.support.clients import connector_headers
from tests.support.round_trips import redis_round_trips
from tests.worker import require_services

URL = "/api/order-integration/orders?an=acme"


@pytest.fixture
def credentials(account, settings):
    require_services()
    settings.CONNECTOR_RATE_LIMIT = "200/s"
    authentication.forget_accepted()
    redis_forget()
    yield connector(account, name="SkyHub")[1]
    authentication.forget_accepted()


def place(client, credentials, order_id: str):
    body = order_body(marketplaceOrderId=order_id)
    return client.post(
        URL, data=json.dumps(body), content_type="application/json", **connector_headers(credentials)
    )


def received() -> int:
    counts = counters_read() or {}
    return sum(count for (name, _), count in counts.items() if name == RECEIVED)


@pytest.mark.django_db(transaction=True)  # the order API's own commit, as in production
def test_an_order_accepted_costs_two_round_trips_to_redis(client, credentials):
    assert place(client, credentials, "RT-1").status_code == 200  # the process learns the connector
    once_started(KICK)  # no batch asked for yet
    counted_before = received()

    with mock.patch.object(process_intakes, "apply_async") as publish, redis_round_trips() as trips:
        answer = place(client, credentials, "RT-2")

    assert (answer.status_code, answer.json()["code"]) == (200, "SOI003")
    assert IntakeRecord.objects.filter(marketplace_order_id="RT-2").exists()
    assert trips.count == 2
    assert publish.call_count == 1  # the batch was asked for
    assert received() == counted_before + 1  # and the submission counted


@pytest.mark.django_db(transaction=True)
def test_after_a_change_elsewhere_a_request_is_still_counted_once(client, credentials, settings):
    """Another process changed some connector: this one reads its connector again, and the
    request counted ahead, against the same rate, is not counted a second time."""
    settings.CONNECTOR_RATE_LIMIT = "3/min"
    client_of_redis = redis.Redis.from_url(settings.REDIS_URL)
    for key in client_of_redis.scan_iter(f"{settings.REDIS_KEY_PREFIX}connector-rates*"):
        client_of_redis.delete(key)
    statuses = [place(client, credentials, "ONCE-1").status_code]
    client_of_redis.set(settings.REDIS_KEY_PREFIX + authentication.GENERATION_KEY, "changed elsewhere")

    statuses += [place(client, credentials, f"ONCE-{number}").status_code for number in range(2, 5)]

    assert statuses == [200, 200, 200, 429]
