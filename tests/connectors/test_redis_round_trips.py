"""What an order posted asks of Redis, once the process knows its connector: one round trip before
the view (the credentials' generation, the request counted against the connector's rate, and a
look at the waiting batch's mark), and one after the commit (the batch's mark) only when no batch
was waiting to take the order.

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
from operations.metrics import submissions_received
from orders.intake import pipeline
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


def received() -> float:
    return submissions_received.labels("PlaceOrder")._value.get()


@pytest.mark.django_db(transaction=True)  # the order API's own commit, as in production
def test_an_order_accepted_with_no_batch_waiting_costs_two_round_trips_to_redis(client, credentials):
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
def test_an_order_accepted_while_a_batch_waits_costs_one_round_trip(client, credentials):
    """The batch asked for by the order before, not started yet, takes this one too."""
    once_started(KICK)
    with mock.patch.object(process_intakes, "apply_async") as publish:
        assert place(client, credentials, "RT-1").status_code == 200  # asks for a batch
        counted_before = received()
        with redis_round_trips() as trips:
            answer = place(client, credentials, "RT-2")

    assert (answer.status_code, answer.json()["code"]) == (200, "SOI003")
    assert IntakeRecord.objects.filter(marketplace_order_id="RT-2").exists()
    assert trips.count == 1
    assert publish.call_count == 1  # RT-1's batch, no other
    assert received() == counted_before + 1
    assert once_started(KICK) is not None  # the batch will claim again after the grace
    assert once_started(KICK) is None  # which the next batch need not


@pytest.mark.django_db(transaction=True)
def test_an_order_committed_after_the_grace_asks_after_its_commit(client, credentials, monkeypatch):
    monkeypatch.setattr(pipeline, "KICK_GRACE_SECONDS", 0.0)  # any commit comes too late
    once_started(KICK)
    with mock.patch.object(process_intakes, "apply_async") as publish:
        assert place(client, credentials, "RT-1").status_code == 200
        with redis_round_trips() as trips:
            assert place(client, credentials, "RT-2").status_code == 200

    assert trips.count == 2  # the mark set again after the commit, found there: no second batch
    assert publish.call_count == 1
    once_started(KICK)


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


@pytest.mark.django_db(transaction=True)
def test_credentials_never_accepted_leave_the_waiting_batch_alone(client, credentials, settings):
    """Only a connector this process accepted may rely on the waiting batch, which then claims
    again after the grace: a stranger's requests change nothing the workers do."""
    once_started(KICK)
    with mock.patch.object(process_intakes, "apply_async"):
        assert place(client, credentials, "RT-1").status_code == 200  # asks for a batch
    mark = redis.Redis.from_url(settings.REDIS_URL).get(settings.REDIS_KEY_PREFIX + KICK)
    stranger = {**connector_headers(credentials), "HTTP_X_VTEX_API_APPTOKEN": "not-the-token"}
    for _ in range(3):
        answer = client.post(
            URL,
            data=json.dumps(order_body(marketplaceOrderId="RT-X")),
            content_type="application/json",
            **stranger,
        )
        assert answer.status_code == 401

    assert redis.Redis.from_url(settings.REDIS_URL).get(settings.REDIS_KEY_PREFIX + KICK) == mark == b"0"
    assert once_started(KICK) is None  # nobody relied on it: no claim again
