"""Connector credentials: read once while nothing changes, refused at once when something does.

A web process keeps the credentials it accepted, so that a connector posting orders costs no
query per request; every change to a connector, in any process, reaches the others through
Redis before its answer, so a rotated token or a deactivated connector stops working at once.
"""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connector_api import authentication
from connectors.services import connector_rotate_token
from kit.redis import redis_forget
from tests.factories import connector
from tests.support.clients import connector_headers
from tests.worker import ROOT, database_url, require_services

URL = "/api/order-integration/orders?an=acme"


@pytest.fixture(autouse=True)
def fresh_process():
    """Each test starts as a process that has accepted nothing yet."""
    authentication.forget_accepted()
    redis_forget()
    yield
    authentication.forget_accepted()
    redis_forget()


@pytest.fixture
def marketplace(account):
    require_services()
    return connector(account, name="SkyHub")


def post(client, credentials):
    """Post a body the contract refuses: 400 once authenticated, 401 when not; nothing is stored."""
    return client.post(
        URL,
        data=json.dumps({}),
        content_type="application/json",
        **connector_headers(credentials),
    )


def connector_reads(client, credentials) -> tuple[int, int]:
    """Post once; return the answer's status and how many times the connector was read."""
    with CaptureQueriesContext(connection) as queries:
        status = post(client, credentials).status_code
    return status, sum('FROM "connectors_connector"' in query["sql"] for query in queries)


def in_another_process(code: str) -> None:
    """Run `code` in a process of its own on this test's database and Redis, as another web process."""
    from django.conf import settings

    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL},
        check=True,
        capture_output=True,
    )


def test_a_connector_posting_again_is_not_read_again(client, marketplace):
    _, credentials = marketplace
    assert connector_reads(client, credentials) == (400, 1)
    assert connector_reads(client, credentials) == (400, 0)
    assert connector_reads(client, credentials) == (400, 0)


def test_a_token_rotated_in_this_process_stops_working_at_once(client, marketplace):
    marketplace_connector, old = marketplace
    assert connector_reads(client, old) == (400, 1)
    new = connector_rotate_token(connector=marketplace_connector)
    assert post(client, old).status_code == 401
    assert post(client, new).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_token_rotated_in_another_process_stops_working_at_once(client, marketplace):
    marketplace_connector, old = marketplace
    assert connector_reads(client, old) == (400, 1)
    assert connector_reads(client, old) == (400, 0)  # trusted without reading it
    in_another_process(
        "from connectors.models import Connector; from connectors.services import connector_rotate_token; "
        f"connector_rotate_token(connector=Connector.objects.get(pk={marketplace_connector.pk}))"
    )
    response = post(client, old)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid X-VTEX-API-AppKey or X-VTEX-API-AppToken."


@pytest.mark.django_db(transaction=True)
def test_a_connector_deactivated_in_another_process_is_refused_at_once(client, marketplace):
    marketplace_connector, credentials = marketplace
    assert connector_reads(client, credentials) == (400, 1)
    in_another_process(
        "from connectors.models import Connector; "
        f"c = Connector.objects.get(pk={marketplace_connector.pk}); c.active = False; "
        "c.save(update_fields=['active'])"
    )
    response = post(client, credentials)
    assert response.status_code == 401
    assert response.json()["message"] == "This connector is deactivated."


def test_a_change_redis_never_heard_of_holds_no_longer_than_the_configured_time(
    client, marketplace, settings, monkeypatch
):
    # A change that could not reach Redis: the database changed, nothing told this process.
    marketplace_connector, credentials = marketplace
    now = [1000.0]
    # The cache's clock is the monotonic one, which time-machine leaves alone: it is stood in for
    # in this module only, where the rest of the process (the client, the drivers) cannot see it.
    monkeypatch.setattr(authentication, "time", SimpleNamespace(monotonic=lambda: now[0]))
    assert connector_reads(client, credentials) == (400, 1)
    type(marketplace_connector).objects.filter(pk=marketplace_connector.pk).update(active=False)
    now[0] += settings.CONNECTOR_AUTH_CACHE_SECONDS - 0.1
    assert post(client, credentials).status_code == 400
    now[0] += 0.2
    assert post(client, credentials).status_code == 401


def test_without_redis_every_request_reads_the_connector(client, marketplace, settings):
    settings.REDIS_URL = ""
    _, credentials = marketplace
    assert connector_reads(client, credentials) == (400, 1)
    assert connector_reads(client, credentials) == (400, 1)


def test_while_redis_does_not_answer_every_request_reads_the_connector(client, marketplace, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    _, credentials = marketplace
    assert connector_reads(client, credentials) == (400, 1)
    assert connector_reads(client, credentials) == (400, 1)


def test_a_wrong_token_is_refused_even_after_the_right_one_was_accepted(client, marketplace):
    _, credentials = marketplace
    assert connector_reads(client, credentials) == (400, 1)
    wrong = type(credentials)(app_key=credentials.app_key, app_token="not-the-token")
    assert post(client, wrong).status_code == 401
