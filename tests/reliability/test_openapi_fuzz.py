"""Requests generated from the app's own OpenAPI document, for every operation: the document and the code agree.

Schemathesis reads `/api/schema` and generates requests for each operation, ones the document
takes and ones it refuses, in its examples, coverage and fuzzing phases, and runs every check on
each answer: no 5xx; status, content type, headers and body as documented; what the document
refuses is refused and what it takes is taken; a request without credentials is a 401; an
unlisted method is a 405. Every 4xx must also have the error body of its API family. It is the lighter run of
bin/fuzz-api, with the same settings (tests/reliability/schemathesis.toml): the requests carry
real credentials and, about half the time, name a real order.

`SCHEMATHESIS_MAX_EXAMPLES` (default 5) sets the examples per operation and phase; generation is
derandomized, so every run sends the same requests. A deeper run against a real server:
`bin/fuzz-api` (docs/reliability.md).
"""

import os
from pathlib import Path

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.models import ApiToken
from accounts.services import token_digest, token_issue
from connector_api.authentication import forget_accepted
from connectors.services import app_token_digest
from tests.factories import OrderFactory, band
from tests.reliability.shapes import error_shape_problems
from tests.support.orders import place_held

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
CONFIG = Path(__file__).with_name("schemathesis.toml")

# The credentials schemathesis.toml reads, given to the test's connector and owner in `world`.
CREDENTIALS = {
    "FUZZ_APP_KEY": "fuzz-app-key",
    "FUZZ_APP_TOKEN": "fuzz-app-token-of-the-openapi-run",
    "FUZZ_SELLER_TOKEN": "Token fuzz-seller-token-of-the-openapi-run",
    "FUZZ_AFFILIATE_ID": "MKP",
    "FUZZ_HOOK_URL": "http://set-by-the-world-fixture.invalid/",  # a name that never resolves
}
for _name, _value in CREDENTIALS.items():
    os.environ.setdefault(_name, _value)

config = SchemathesisConfig.from_path(CONFIG)
schema = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application(), config=config)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
schema.config.checks.update(included_check_names=["all"])
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")


@pytest.fixture
def same_connection(monkeypatch):
    """Keep the test's database connection across the in-process requests, as Django's test client does.

    Schemathesis calls the WSGI application directly, whose start and end-of-request signals
    would close the connection holding the test's transaction.
    """
    from django.db import connection

    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)


@pytest.fixture
def world(mkp, shop, owner, connector_server, same_connection, monkeypatch):
    """An account with a rule, an integrated order and a held one, and the credentials schemathesis.toml reads.

    Hooks are pinged at the connector's test server (tests/reliability/fuzz_hooks.py).
    """
    monkeypatch.setenv("FUZZ_HOOK_URL", connector_server.url)
    place_held(
        shop.connector,
        bands=[band(0, 10, "authorize"), band(10, 100, "manual", ["owner@acme.example"])],
        marketplaceOrderId="held",
    )
    OrderFactory(connector=shop.connector, marketplace_order_id="123456789")
    connector = shop.connector
    connector.app_key = os.environ["FUZZ_APP_KEY"]
    connector.app_token_digest = app_token_digest(os.environ["FUZZ_APP_TOKEN"])
    connector.save(update_fields=["app_key", "app_token_digest"])
    token_issue(user=owner)
    ApiToken.objects.filter(user=owner).update(
        key_digest=token_digest(os.environ["FUZZ_SELLER_TOKEN"].removeprefix("Token "))
    )
    forget_accepted()


def shape_problems(case, response) -> list[str]:
    content_type = response.headers.get("content-type") or ""
    if isinstance(content_type, list):
        content_type = content_type[0]
    body = response.json() if content_type.startswith("application/json") else None
    return error_shape_problems(case.path, content_type, body)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None, database=None)
def test_every_operation_answers_as_documented(case, world):
    response = case.call_and_validate()
    if 400 <= response.status_code < 500:
        assert shape_problems(case, response) == [], response.text
