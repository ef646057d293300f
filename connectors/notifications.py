"""Notifications to connectors: written as outbox rows with the change they report, delivered after commit.

Delivery is at least once (`connectors/outbound.py`, shared with hook calls): each notification
carries an idempotency key that stays the same across retries, and notifications of one order
are delivered in the order they were written.
"""

import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction

from . import outbound
from .contract import ContractError, response_body
from .models import Connector, Notification, NotificationAttempt

PROCESSING_RESULT_PATH = "/order-integration/notification/processing-result"


def notification_url(*, endpoint: str, account_name: str) -> str:
    """Join the connector's endpoint with the processing-result path, keeping its own query string.

    `https://c.example/api/vtex?x=1` → `https://c.example/api/vtex/order-integration/notification/
    processing-result?x=1&an=ACCOUNT`, as the contract's reference connector builds it.
    """
    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/") + PROCESSING_RESULT_PATH
    query = "&".join(filter(None, [parts.query, urlencode({"an": account_name})]))
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def notification_enqueue(
    *,
    connector: Connector,
    account_name: str,
    flow: str,
    code: str,
    marketplace_order_id: str,
    operation_id: str,
    order=None,
    intake=None,
    errors: list[ContractError] | None = None,
    main_order_id: str | None = None,
    franchise_order_id: str | None = None,
    message: str | None = None,
) -> Notification:
    """Write a notification in the current transaction; it is delivered once that commits."""
    body = response_body(
        code=code,
        flow=flow,
        account_name=account_name,
        marketplace_order_id=marketplace_order_id,
        operation_id=operation_id,
        errors=errors,
        main_order_id=main_order_id,
        franchise_order_id=franchise_order_id,
        message=message,
    )
    notification = Notification.objects.create(
        account_id=connector.account_id,
        connector=connector,
        order=order,
        intake=intake,
        marketplace_order_id=marketplace_order_id,
        flow=flow,
        code=code,
        body=body,
        url=notification_url(endpoint=connector.endpoint, account_name=account_name),
    )
    NOTIFICATIONS.enqueue(notification.pk)
    return notification


NOTIFICATIONS = outbound.Channel(
    name="Notification",
    model=Notification,
    attempt_model=NotificationAttempt,
    attempt_parent="notification",
    task="connectors.tasks.deliver_notification",
    settings_prefix="NOTIFICATION",
    # An order's notifications go out in the order they were written.
    sequence_fields=("order_id",),
)


def retry_delay(attempt_count: int) -> timedelta:
    """Growing delays between tries: base × 2^(n−1), capped, with a little jitter."""
    return outbound.retry_delay(NOTIFICATIONS, attempt_count)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification_deliver(*, notification_id: int) -> str:
    """Try to deliver one notification now; return "delivered", "retry", "failed" or "skipped"."""
    notification = outbound.claim(NOTIFICATIONS, notification_id)
    if notification is None:
        return "skipped"
    payload = json.dumps(notification.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": str(notification.idempotency_key),
        "X-Notification-Attempt": str(notification.attempt_count + 1),
    }
    if notification.connector.has_secret:
        headers["X-Signature-SHA256"] = sign(payload, notification.connector.signing_secret)
    answer = outbound.post(NOTIFICATIONS, notification.url, payload=payload, headers=headers)
    return outbound.record(NOTIFICATIONS, notification, answer)


@transaction.atomic
def notification_resend(*, notification: Notification) -> bool:
    """Send a failed notification again from its first try; False when it is not failed."""
    return outbound.resend(NOTIFICATIONS, notification)


def notifications_requeue_due(*, grace: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Queue again the pending notifications whose task was lost (broker down, worker killed)."""
    return outbound.requeue_due(NOTIFICATIONS, grace=grace, limit=limit)
