"""Notifications to connectors: written as outbox rows with the change they report, delivered after commit.

Delivery is at least once: each notification carries an idempotency key that stays the same
across retries, and notifications of one order are delivered in the order they were written.
"""

import hashlib
import hmac
import json
import logging
import random
import time
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config.celery import enqueue_on_commit

from .contract import ContractError, response_body
from .models import Connector, Notification, NotificationAttempt

logger = logging.getLogger(__name__)

PROCESSING_RESULT_PATH = "/order-integration/notification/processing-result"
RETRYABLE_STATUSES = frozenset({408, 429})
LEASE = timedelta(seconds=60)
# A retry whose task arrives a little before its time is sent anyway: being early by a second harms no one.
EARLY_TOLERANCE = timedelta(seconds=1)


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
    from .tasks import deliver_notification

    enqueue_on_commit(deliver_notification, notification.pk)
    return notification


def retry_delay(attempt_count: int) -> timedelta:
    """Growing delays between tries: base × 2^(n−1), capped, with a little jitter."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempt_count - 1, 0), settings.NOTIFICATION_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _claim(notification_id: int, now) -> Notification | None:
    claimed = (
        Notification.objects.filter(
            pk=notification_id, state=Notification.State.PENDING, next_attempt_at__lte=now + EARLY_TOLERANCE
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    if not claimed:
        return None
    return Notification.objects.select_related("connector").get(pk=notification_id)


def _waits_for_an_earlier_one(notification: Notification) -> bool:
    if notification.order_id is None:
        return False
    return Notification.objects.filter(
        order_id=notification.order_id, state=Notification.State.PENDING, pk__lt=notification.pk
    ).exists()


def notification_deliver(*, notification_id: int) -> str:
    """Try to deliver one notification now; return "delivered", "retry", "failed", "waiting" or "skipped"."""
    now = timezone.now()
    notification = _claim(notification_id, now)
    if notification is None:
        return "skipped"
    if _waits_for_an_earlier_one(notification):
        # Delivered after the earlier one: its delivery (or final failure) queues this one.
        Notification.objects.filter(pk=notification.pk).update(lease_until=None)
        return "waiting"

    payload = json.dumps(notification.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": str(notification.idempotency_key),
        "X-Notification-Attempt": str(notification.attempt_count + 1),
    }
    if notification.connector.has_secret:
        headers["X-Signature-SHA256"] = sign(payload, notification.connector.signing_secret)

    started = time.monotonic()
    http_status, error = None, ""
    try:
        response = requests.post(
            notification.url,
            data=payload,
            headers=headers,
            timeout=settings.NOTIFICATION_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        http_status = response.status_code
    except requests.Timeout:
        error = f"Timed out after {settings.NOTIFICATION_TIMEOUT_SECONDS} s"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    duration_ms = int((time.monotonic() - started) * 1000)

    delivered = http_status is not None and 200 <= http_status < 300
    retryable = http_status is None or http_status in RETRYABLE_STATUSES or http_status >= 500
    if not delivered and not error:
        error = f"HTTP {http_status}"
    return _record(
        notification,
        http_status=http_status,
        error=error,
        duration_ms=duration_ms,
        delivered=delivered,
        retryable=retryable,
    )


@transaction.atomic
def _record(notification, *, http_status, error, duration_ms, delivered, retryable) -> str:
    now = timezone.now()
    NotificationAttempt.objects.create(
        notification=notification,
        attempted_at=now,
        http_status=http_status,
        error="" if delivered else error,
        duration_ms=duration_ms,
    )
    attempts = notification.attempt_count + 1
    updates = {"attempt_count": F("attempt_count") + 1, "lease_until": None, "last_status": http_status}
    if delivered:
        outcome = "delivered"
        updates.update(state=Notification.State.DELIVERED, delivered_at=now, last_error="")
    elif retryable and attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
        outcome = "retry"
        delay = retry_delay(attempts)
        updates.update(next_attempt_at=now + delay, last_error=error)
        from .tasks import deliver_notification

        enqueue_on_commit(deliver_notification, notification.pk, countdown=delay.total_seconds())
    else:
        outcome = "failed"
        updates.update(state=Notification.State.FAILED, last_error=error)
        logger.warning("Notification %s to %s failed for good: %s", notification.pk, notification.url, error)
    Notification.objects.filter(pk=notification.pk).update(**updates)
    if outcome != "retry":
        _queue_next_of_order(notification)
    return outcome


def _queue_next_of_order(notification: Notification) -> None:
    if notification.order_id is None:
        return
    following = (
        Notification.objects.filter(
            order_id=notification.order_id, state=Notification.State.PENDING, pk__gt=notification.pk
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        from .tasks import deliver_notification

        enqueue_on_commit(deliver_notification, following)


@transaction.atomic
def notification_resend(*, notification: Notification) -> bool:
    """Send a failed notification again from its first try; False when it is not failed."""
    changed = Notification.objects.filter(pk=notification.pk, state=Notification.State.FAILED).update(
        state=Notification.State.PENDING, attempt_count=0, next_attempt_at=timezone.now(), lease_until=None
    )
    if changed:
        from .tasks import deliver_notification

        enqueue_on_commit(deliver_notification, notification.pk)
    return bool(changed)


def notifications_requeue_due(*, grace: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Queue again the pending notifications whose task was lost (broker down, worker killed)."""
    from .tasks import deliver_notification

    now = timezone.now()
    due = list(
        Notification.objects.filter(state=Notification.State.PENDING, next_attempt_at__lte=now - grace)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in due:
        try:
            deliver_notification.apply_async((notification_id,), retry=False)
        except Exception:
            logger.warning("Broker unavailable; %s notifications wait for the next sweep.", len(due))
            return 0
    return len(due)
