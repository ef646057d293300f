"""Everything the app sends a connector with a signing secret is signed, and the signature verifies.

Checked as a connector would: HMAC-SHA256 of the exact bytes received, under the secret, compared
in constant time. A tampered body or another secret does not verify.
"""

import hashlib
import hmac
import json

import pytest

from connectors.services import connector_set_secret
from tests.orders.payloads import order_body
from tests.support.orders import ANA, place_held

SECRET = "a-long-connector-signing-secret-2b7e"


def verifies(received, secret: str) -> bool:
    """The connector's check: its own HMAC of the raw body against the X-Signature-SHA256 header."""
    expected = "sha256=" + hmac.new(secret.encode(), received.raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers.get("X-Signature-SHA256", ""), expected)


@pytest.fixture
def hooked(mkp, shop, connector_server, settings):
    """The shop's connector with a secret, its hook on the same test server as its notifications."""
    settings.HOOK_RETRY_BASE_SECONDS = 0.01
    settings.HOOK_TIMEOUT_SECONDS = 2

    def configure():
        with mkp.capture(execute=True):
            response = mkp.client.post(
                "/api/orders/hook/config",
                data=json.dumps({"hook": {"url": connector_server.url + "/hook"}}),
                content_type="application/json",
                **mkp.headers(),
            )
        assert response.status_code == 200, response.content

    return configure


def test_every_call_of_an_orders_life_is_signed_and_verifies(
    hooked, mkp, shop, connector_server, owner, approver, second_approver, api_client_for
):
    connector_set_secret(connector=shop.connector, secret=SECRET)
    hooked()
    connector_server.respond_with(500)  # the first hook call is answered 500, and signed again when retried
    place_held(shop.connector, approvers=[ANA])
    mkp.approve("123456789")
    with mkp.capture(execute=True):
        decided = api_client_for(approver).post(
            "/api/orders/MKP-123456789/approve?an=acme", {}, format="json"
        )
    assert decided.status_code == 200

    received = connector_server.wait_for(7)
    kinds = {
        ("ping" if r.body == {"hookConfig": "ping"} else r.body.get("code") or r.body.get("State"))
        for r in received
    }
    assert {
        "ping",
        "SOI001",
        "EOI011",
        "SOI002",
        "waiting-for-manual-authorization",
        "ready-for-handling",
    } <= kinds
    assert [r.body.get("State") for r in received].count("waiting-for-manual-authorization") == 2
    assert [r.path for r in received if not verifies(r, SECRET)] == []
    tampered = received[-1]
    tampered.raw = tampered.raw.replace(b"MKP-123456789", b"MKP-123456780") + b" "
    assert not verifies(tampered, SECRET)
    assert not any(verifies(r, "another-secret") for r in received)


def test_after_the_secret_changes_calls_verify_with_the_new_one_only(hooked, mkp, shop, connector_server):
    connector_set_secret(connector=shop.connector, secret=SECRET)
    hooked()
    connector_set_secret(connector=shop.connector, secret="the-next-secret")
    mkp.place(order_body())
    after = connector_server.wait_for(3)[1:]
    assert after and all(verifies(r, "the-next-secret") and not verifies(r, SECRET) for r in after)


def test_without_a_secret_nothing_carries_a_signature(hooked, mkp, connector_server):
    hooked()
    mkp.place(order_body())
    assert all("X-Signature-SHA256" not in r.headers for r in connector_server.wait_for(3))
