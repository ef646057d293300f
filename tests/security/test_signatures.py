"""Everything the app sends a connector with a signing secret is signed, and both signatures verify.

Checked as a connector would: HMAC-SHA256 of the exact bytes received, under the secret, compared
in constant time; and the Standard Webhooks headers, by that standard's own library given
`whsec_` + base64 of the secret. A tampered body or another secret verifies with neither.
"""

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from connectors.services import connector_set_secret
from tests.orders.payloads import order_body
from tests.support.orders import ANA, place_held

SECRET = "a-long-connector-signing-secret-2b7e"


def verifies(received, secret: str) -> bool:
    """The connector's check: its own HMAC of the raw body against the X-Signature-SHA256 header."""
    expected = "sha256=" + hmac.new(secret.encode(), received.raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers.get("X-Signature-SHA256", ""), expected)


def verifies_standard(received, secret: str) -> bool:
    """A receiver's check with the Standard Webhooks library, the key given as it documents."""
    key = "whsec_" + base64.b64encode(secret.encode()).decode()
    try:
        Webhook(key).verify(received.raw, dict(received.headers), json_parse=False)
    except WebhookVerificationError:
        return False
    return True


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
    # The SOI001 goes first; the first hook call after it is answered 500, and signed again when retried.
    connector_server.respond_with(200, 500)
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
    assert [r.path for r in received if not verifies_standard(r, SECRET)] == []
    # The message id is the call's own, the same on each try: a receiver drops repeats by it.
    notifications = [r for r in received if "Idempotency-Key" in r.headers and "X-Event-Id" not in r.headers]
    assert notifications and all(
        r.headers["webhook-id"] == r.headers["Idempotency-Key"] for r in notifications
    )
    hook_calls = [r for r in received if "X-Event-Id" in r.headers]
    assert all(r.headers["webhook-id"] == r.headers["X-Event-Id"] for r in hook_calls)
    retried = [r.headers["webhook-id"] for r in hook_calls]
    assert len(retried) > len(set(retried)), "the hook call answered 500 is tried again under its own id"
    tampered = received[-1]
    tampered.raw = tampered.raw.replace(b"MKP-123456789", b"MKP-123456780") + b" "
    assert not verifies(tampered, SECRET)
    assert not verifies_standard(tampered, SECRET)
    assert not any(verifies(r, "another-secret") or verifies_standard(r, "another-secret") for r in received)


def test_after_the_secret_changes_calls_verify_with_the_new_one_only(hooked, mkp, shop, connector_server):
    connector_set_secret(connector=shop.connector, secret=SECRET)
    hooked()
    connector_set_secret(connector=shop.connector, secret="the-next-secret")
    mkp.place(order_body())
    after = connector_server.wait_for(3)[1:]
    assert after and all(verifies(r, "the-next-secret") and not verifies(r, SECRET) for r in after)
    assert all(verifies_standard(r, "the-next-secret") and not verifies_standard(r, SECRET) for r in after)


def test_without_a_secret_nothing_carries_a_signature(hooked, mkp, connector_server):
    hooked()
    mkp.place(order_body())
    received = connector_server.wait_for(3)
    assert all("X-Signature-SHA256" not in r.headers for r in received)
    assert all(not any(name.lower().startswith("webhook-") for name in r.headers) for r in received)


def documented_receiver():
    """The receiver docs/api.md shows, as a connector would copy it."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    (block,) = [
        text for text in re.findall(r"```python\n(.*?)```", page, re.DOTALL) if "standardwebhooks" in text
    ]
    namespace = {}
    exec(block, namespace)
    return namespace["verified"]


def test_the_documented_receiver_verifies_what_the_app_sends_and_refuses_a_forgery(
    hooked, mkp, shop, connector_server
):
    verified = documented_receiver()
    connector_set_secret(connector=shop.connector, secret=SECRET)
    hooked()
    mkp.place(order_body())
    received = connector_server.wait_for(3)
    assert all(verified(r.raw, r.headers, SECRET) for r in received)
    with pytest.raises(WebhookVerificationError):
        verified(received[-1].raw + b" ", received[-1].headers, SECRET)
    with pytest.raises(WebhookVerificationError):
        verified(received[-1].raw, received[-1].headers, "another-secret")
