"""Notifications to connectors: written as outbox rows with the change they report, delivered after commit.

Delivery is at least once (`connectors/outbound.py`, shared with hook calls): each notification
carries an idempotency key that stays the same across retries, and notifications of one order
are delivered in the order they were written.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction

from kit.enqueue import enqueue_on_commit

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


def notification_build(
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
    """A notification to the connector, not saved yet: `notifications_enqueue` writes it."""
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
    return Notification(
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


def notification_enqueue(**fields) -> Notification:
    """Write a notification (`notification_build`'s fields) in the current transaction; it is
    delivered once that commits."""
    return notifications_enqueue([notification_build(**fields)])[0]


# Notifications written together are delivered by one task for each this many, in turn, over
# the same connection: a task and a claim a notification cost as much as its POST on loopback.
DELIVERY_BATCH = 50


def notifications_enqueue(notifications: list[Notification]) -> list[Notification]:
    """Write notifications in one statement in the current transaction; they are delivered once
    that commits, a task for each `DELIVERY_BATCH` of them."""
    Notification.objects.bulk_create(notifications)
    if len(notifications) == 1:
        NOTIFICATIONS.enqueue(notifications[0].pk)
        return notifications
    from .tasks import deliver_notifications

    ids = [notification.pk for notification in notifications]
    for start in range(0, len(ids), DELIVERY_BATCH):
        enqueue_on_commit(deliver_notifications, ids[start : start + DELIVERY_BATCH])
    return notifications


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
    return outbound.record(NOTIFICATIONS, notification, _post(notification))


def notifications_deliver(*, notification_ids: list[int]) -> dict[str, int]:
    """Try to deliver several notifications now, one after the other over the same connection;
    return how many were delivered, are to be retried, failed, were deferred, or were skipped
    (not claimable: delivered, leased by another task, or behind an earlier one of their order).

    When a connector does not answer at all (down, or hanging until the timeout), the rest would
    wait as long each: they are deferred, given back and queued again after the first retry
    delay, as they are when the batch has taken half the time its claim lasts.
    """
    claimed = outbound.claim_many(NOTIFICATIONS, notification_ids)
    started, tries, rest, delay = time.monotonic(), [], [], 0.0
    for position, notification in enumerate(claimed):
        if time.monotonic() - started > outbound.LEASE.total_seconds() / 2:
            rest = claimed[position:]
            break
        answer = _post(notification)
        tries.append((notification, answer))
        if answer.http_status is None and not answer.refused:
            rest, delay = claimed[position + 1 :], retry_delay(1).total_seconds()
            break
    counts = {"delivered": 0, "retry": 0, "failed": 0, "deferred": len(rest)}
    counts["skipped"] = len(notification_ids) - len(claimed)
    for outcome in outbound.record_many(NOTIFICATIONS, tries):
        counts[outcome] += 1
    if rest:
        from .tasks import deliver_notifications

        outbound.release(NOTIFICATIONS, rest)
        enqueue_on_commit(
            deliver_notifications,
            [notification.pk for notification in rest],
            countdown=delay,
        )
    return counts


def _post(notification: Notification) -> outbound.Answer:
    payload = json.dumps(notification.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": str(notification.idempotency_key),
        "X-Notification-Attempt": str(notification.attempt_count + 1),
    }
    if notification.connector.has_secret:
        headers["X-Signature-SHA256"] = sign(payload, notification.connector.signing_secret)
    return outbound.post(NOTIFICATIONS, notification.url, payload=payload, headers=headers)


@transaction.atomic
def notification_resend(*, notification: Notification) -> bool:
    """Send a failed notification again from its first try; False when it is not failed."""
    return outbound.resend(NOTIFICATIONS, notification)


def notifications_requeue_due(*, grace: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Queue again the pending notifications whose task was lost (broker down, worker killed)."""
    return outbound.requeue_due(NOTIFICATIONS, grace=grace, limit=limit)
