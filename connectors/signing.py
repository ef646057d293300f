"""How every call to a connector is signed, when the connector has a signing secret.

Two signatures over the exact bytes sent, so that any receiver can check one:
- ours, `X-Signature-SHA256: sha256=<hex HMAC-SHA256 of the body>` under the secret;
- Standard Webhooks' (`webhook-id`, `webhook-timestamp`, `webhook-signature`), made by the
  `standardwebhooks` library with the secret's UTF-8 bytes as the key: a receiver verifies with
  the same library given `whsec_` + base64 of the secret (`standard_webhooks_secret`).
The id is the call's own and stays the same on every try of it, so a receiver can drop repeats.
"""

import base64
import hashlib
import hmac
from datetime import datetime

from django.utils import timezone
from standardwebhooks import Webhook

SIGNATURE_HEADER = "X-Signature-SHA256"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_webhooks_secret(secret: str) -> str:
    """The secret as the Standard Webhooks libraries take it."""
    return "whsec_" + base64.b64encode(secret.encode()).decode()


def signature_headers(body: bytes, secret: str, *, message_id: str, at: datetime | None = None) -> dict:
    """The headers that sign `body`; none without a secret."""
    if not secret:
        return {}
    at = at or timezone.now()
    return {
        SIGNATURE_HEADER: sign(body, secret),
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret.encode()).sign(message_id, at, body),
    }
