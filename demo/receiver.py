"""The demo connector's receiver: what a connector would do with the app's calls, kept for the admin.

`bin/run` turns it on (DEMO_RECEIVER) and `load_demo` points the demo connector's endpoint at
it, so the demo's notifications and hook calls are delivered on this machine and can be read in
the admin instead of retrying against nothing. Every call is kept and answered 200, its
signatures checked as a connector should (`connectors/signing.py`): `X-Signature-SHA256`, the
HMAC-SHA256 of the body under the connector's signing secret, and the Standard Webhooks headers,
by that standard's own library.
"""

import hmac
import json

from standardwebhooks import Webhook, WebhookVerificationError

from connectors.hook import PING_BODY
from connectors.models import Connector
from connectors.notifications import PROCESSING_RESULT_PATH
from connectors.signing import SIGNATURE_HEADER, sign, standard_webhooks_secret

from .models import CallKind, ReceivedCall
from .names import ACCOUNT, CONNECTOR_NAME


def demo_connector() -> Connector | None:
    return Connector.objects.filter(account__name=ACCOUNT, name=CONNECTOR_NAME).first()


def signature_valid(connector: Connector | None, body: bytes, headers) -> bool:
    """Whether both of the connector's signatures over `body` are in `headers`; never, without a
    connector or a secret."""
    if connector is None or not connector.has_secret or not headers.get(SIGNATURE_HEADER):
        return False
    try:
        secret = connector.signing_secret
    except ValueError:  # encrypted under another FIELD_ENCRYPTION_KEY: nothing to check against
        return False
    if not hmac.compare_digest(headers[SIGNATURE_HEADER].encode(), sign(body, secret).encode()):
        return False
    try:
        Webhook(standard_webhooks_secret(secret)).verify(body, dict(headers.items()), json_parse=False)
    except WebhookVerificationError:
        return False
    return True


def kind_of(path: str, body) -> str:
    if path.split("?", 1)[0].rstrip("/").endswith(PROCESSING_RESULT_PATH):
        return CallKind.NOTIFICATION
    if body == PING_BODY:
        return CallKind.PING
    if isinstance(body, dict) and "OrderId" in body:
        return CallKind.HOOK
    return CallKind.OTHER


def _text(value, limit: int) -> str:
    return "" if value is None else str(value)[:limit]


def _attempt(headers) -> int | None:
    value = headers.get("X-Notification-Attempt") or headers.get("X-Hook-Attempt") or ""
    return int(value) if value.isdigit() and len(value) < 10 else None


def received_call_record(*, path: str, headers, body: bytes) -> ReceivedCall:
    """Keep one call to the receiver: its path (with the query), headers that matter, and body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body.decode(errors="replace")
    fields = parsed if isinstance(parsed, dict) else {}
    connector = demo_connector()
    return ReceivedCall.objects.create(
        account_id=connector.account_id if connector else None,
        kind=kind_of(path, parsed),
        path=_text(path, 1000),
        code=_text(fields.get("code") or fields.get("State"), 40),
        order=_text(fields.get("marketplaceOrderId") or fields.get("OrderId"), 100),
        idempotency_key=_text(headers.get("Idempotency-Key"), 100),
        attempt=_attempt(headers),
        signature_valid=signature_valid(connector, body, headers),
        body=parsed,
    )
