"""Requests generated from the app's own OpenAPI document, for every operation: no 5xx, answers as documented.

Schemathesis reads `/api/schema` and generates requests for each operation, valid ones and
broken ones. Each answer must be documented (status, content type, body schema), never a
server error, and every 4xx must have the error body of its API family. The requests carry
real credentials and `an=acme`, and about half name a real order, so they reach the code behind
the checks. `SCHEMATHESIS_MAX_EXAMPLES` (default 3) sets the examples per operation and
`SCHEMATHESIS_PHASES` (default `examples,fuzzing`) the phases; generation is derandomized, so
every run sends the same requests. A deeper run, a few minutes long:

    SCHEMATHESIS_PHASES=examples,coverage,fuzzing SCHEMATHESIS_MAX_EXAMPLES=25 bin/test tests/reliability
"""

import os
import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from authorization.services import rule_replace, token_issue
from tests.factories import band
from tests.orders.payloads import order_body
from tests.reliability.shapes import error_shape_problems, family

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "3"))
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing").split(",")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema", get_wsgi_application())
schema.config.phases.update(phases=PHASES)
schema.config.generation.update(
    max_examples=MAX_EXAMPLES, deterministic=True, with_security_parameters=False, database="none"
)


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
    """An account with a rule, an integrated order and a held one, and the credentials of both APIs.

    A hook's ping reaches no generated URL on the internet (the ping has its own tests).
    """
    monkeypatch.setattr("connectors.feed.hook_ping", lambda **ping: None)
    rule_replace(
        account=shop.account,
        bands=[band(0, 10, "authorize"), band(10, 100, "manual", ["owner@acme.example"])],
        actor=owner,
    )
    mkp.place(order_body())
    mkp.place(order_body(marketplaceOrderId="held", marketplacePaymentValue=2571))
    return {
        "connector": {
            "X-VTEX-API-AppKey": shop.credentials.app_key,
            "X-VTEX-API-AppToken": shop.credentials.app_token,
        },
        "seller": {"Authorization": f"Token {token_issue(user=owner)}"},
        "unauthenticated_tried": False,
    }


def shape_problems(case, response) -> list[str]:
    content_type = (response.headers.get("content-type") or [""])[0]
    body = response.json() if content_type.startswith("application/json") else None
    return error_shape_problems(case.path, content_type, body)


REAL_IDS = {"order_id": "MKP-123456789", "main_order_id": "MKP-held"}


def aim(case) -> None:
    """Point the case at the test account and, for about half the generated ids, at a real order."""
    case.query = {**(case.query or {}), "an": "acme"}
    for name, real in REAL_IDS.items():
        value = (case.path_parameters or {}).get(name)
        if value is not None and zlib.crc32(str(value).encode()) % 2 == 0:
            case.path_parameters[name] = real


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None, database=None)
def test_every_operation_answers_as_documented(case, world):
    aim(case)
    headers = world["connector" if family(case.path) != "seller" else "seller"]
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    if 400 <= response.status_code < 500:
        assert shape_problems(case, response) == [], response.text
    if not world["unauthenticated_tried"]:
        world["unauthenticated_tried"] = True
        anonymous = case.call()
        assert anonymous.status_code == 401, anonymous.text
        case.validate_response(anonymous, checks=CHECKS)
        assert shape_problems(case, anonymous) == [], anonymous.text
