"""Notifications to connectors: written as outbox rows with the change they report, delivered after commit.

Delivery is at least once (`connectors/outbound.py`, shared with hook calls): each notification
carries an idempotency key that stays the same across retries, and notifications of one order
are delivered in the order they were written.
"""

import json
import logging
import time
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kit.enqueue import enqueue_on_commit, on_commit_queue, run_on_commit
from kit.inserts import insert_many
from kit.logs import log_context_bound

from . import outbound
from .contract import ContractError, response_body
from .models import Connector, Notification, NotificationAttempt
from .signing import signature_headers

logger = logging.getLogger(__name__)

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


# A worker that wrote a few notifications delivers them itself right after its commit, within
# NOTIFICATION_INLINE_SECONDS, sparing the connector a second task's wait; more go by the queue.
INLINE_AT_MOST = 10
# A connector that answered an in-passing try late or not at all is left to the queue this long,
# by this process: a slow or hanging connector costs the worker one short wait now and then.
INLINE_PAUSE_SECONDS = 60.0
_inline_paused: dict[int, float] = {}


def notifications_enqueue(
    notifications: list[Notification], *, deliver_here: bool = False
) -> list[Notification]:
    """Write notifications in one statement in the current transaction; they are delivered once
    that commits, a task for each `DELIVERY_BATCH` of them.

    `deliver_here` is for a worker writing the notifications of orders it creates in the same
    transaction (or of none), so each is the first of its order's: a few are written claimed,
    and delivered by this process right after the commit (`notifications_deliver_here`)."""
    here = [n for n in notifications if deliver_here and _inline(n.connector_id, len(notifications))]
    lease_until = timezone.now() + outbound.LEASE
    for notification in here:
        notification.lease_until = lease_until
    # Their keys are read after commit only: the insert goes with the next statement that waits.
    insert_many(notifications, wait=False)
    if here:
        run_on_commit(notifications_deliver_here, here)
    if any(n.lease_until is None for n in notifications):
        on_commit_queue(lambda: _queue_unclaimed(notifications))
    return notifications


def _queue_unclaimed(notifications: list[Notification]) -> None:
    """Queue the delivery of the notifications this process does not deliver itself (committed)."""
    queued = [n.pk for n in notifications if n.lease_until is None]
    if len(queued) == 1:
        NOTIFICATIONS.enqueue(queued[0])
    for start in range(0, len(queued) if len(queued) > 1 else 0, DELIVERY_BATCH):
        _queue(queued[start : start + DELIVERY_BATCH])


def _queue(notification_ids: list[int], *, countdown: float | None = None) -> None:
    from .tasks import deliver_notifications

    enqueue_on_commit(deliver_notifications, notification_ids, countdown=countdown)


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


def notification_deliver(*, notification_id: int) -> str:
    """Try to deliver one notification now; return "delivered", "retry", "failed" or "skipped"."""
    notification = outbound.claim(NOTIFICATIONS, notification_id)
    if notification is None:
        return "skipped"
    return outbound.record(NOTIFICATIONS, notification, _post(notification))


def _inline(connector_id: int, count: int) -> bool:
    seconds = settings.NOTIFICATION_INLINE_SECONDS
    return (
        0 < count <= INLINE_AT_MOST
        and seconds > 0
        and _inline_paused.get(connector_id, 0) <= time.monotonic()
    )


def notifications_deliver_here(notifications: list[Notification]) -> dict[str, int]:
    """Deliver notifications this process wrote claimed and just committed, within
    NOTIFICATION_INLINE_SECONDS: each POST waits no longer than what is left of it, and what is
    not tried in time goes by the queue. A connector that did not answer within half of that
    time is paused for this process."""
    within = settings.NOTIFICATION_INLINE_SECONDS
    tries = []
    try:
        counts = _deliver(notifications, within=within, tries=tries)
    except Exception:
        ids = [notification.pk for notification in notifications]
        logger.exception("Delivering notifications %s in passing failed; they go by the queue.", ids)
        outbound.release(NOTIFICATIONS, notifications)
        _queue(ids)
        return {"deferred": len(ids)}
    for notification, answer in tries:
        if answer.deferred:  # asked to wait: no more in passing until then
            pause = outbound.asked_delay(NOTIFICATIONS, answer.asked_wait).total_seconds()
            _inline_paused[notification.connector_id] = time.monotonic() + pause
        elif answer.http_status is None or answer.duration_ms > within * 1000 / 2:
            _inline_paused[notification.connector_id] = time.monotonic() + INLINE_PAUSE_SECONDS
    return counts


def notifications_deliver(*, notification_ids: list[int]) -> dict[str, int]:
    """Try to deliver several notifications now, one after the other over the same connection;
    return how many were delivered, are to be retried, failed, were deferred, or were skipped
    (not claimable: delivered, leased by another task, or behind an earlier one of their order).
    """
    claimed = outbound.claim_many(NOTIFICATIONS, notification_ids)
    counts = _deliver(claimed)
    counts["skipped"] = len(notification_ids) - len(claimed)
    return counts


def _deliver(claimed: list[Notification], *, within: float | None = None, tries: list | None = None) -> dict:
    """Try the claimed notifications in turn; record each try, give back and queue what is left.

    A connector that does not answer at all (down, or hanging until the timeout) is not called
    again by this batch: its other rows would wait as long each, so they are given back and
    queued again after the first retry delay; one that asks to wait, after the wait it asked
    for. The other connectors' rows are still tried: a batch holds several accounts' orders, and
    one connector's outage must not hold back another's notifications. When the batch has taken
    half the time its claim lasts (or `within` seconds, which also bounds each POST's wait), the
    rest are given back and queued at once. A row whose order's earlier one was not delivered
    is given back untried: that one's delivery queues it. `tries` receives each (row, answer).
    """
    started, behind = time.monotonic(), []
    tries = [] if tries is None else tries
    stalled = set()  # orders whose notification was not delivered now: the later ones wait for it
    down: dict[int, float] = {}  # connectors not called again by this batch: in how long to try
    waiting: dict[float, list[Notification]] = defaultdict(list)  # given back, by when to try again
    limit = outbound.LEASE.total_seconds() / 2 if within is None else within
    for notification in claimed:
        elapsed = time.monotonic() - started
        if notification.order_id is not None and notification.order_id in stalled:
            behind.append(notification)
        elif notification.connector_id in down:
            waiting[down[notification.connector_id]].append(notification)
        elif elapsed > limit:
            waiting[0.0].append(notification)
        else:
            answer = _post(notification, wait=None if within is None else max(limit - elapsed, 0.001))
            tries.append((notification, answer))
            if not answer.delivered and notification.order_id is not None:
                stalled.add(notification.order_id)
            if answer.deferred:  # the connector asked to wait: its rest wait as long
                down[notification.connector_id] = outbound.asked_delay(
                    NOTIFICATIONS, answer.asked_wait
                ).total_seconds()
            elif answer.http_status is None and not answer.refused:
                down[notification.connector_id] = 0.0 if answer.cut_short else retry_delay(1).total_seconds()
    counts = {
        "delivered": 0,
        "retry": 0,
        "failed": 0,
        "deferred": len(behind) + sum(len(rows) for rows in waiting.values()),
    }
    for outcome in outbound.record_many(NOTIFICATIONS, tries):
        counts[outcome] += 1
    if behind:
        outbound.release(NOTIFICATIONS, behind)
    for delay, rows in waiting.items():
        outbound.release(NOTIFICATIONS, rows)
        _queue([notification.pk for notification in rows], countdown=delay)
    return counts


def _post(notification: Notification, *, wait: float | None = None) -> outbound.Answer:
    payload = json.dumps(notification.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": str(notification.idempotency_key),
        "X-Notification-Attempt": str(notification.attempt_count + 1),
    }
    if notification.connector.has_secret:
        secret = notification.connector.signing_secret
        headers |= signature_headers(payload, secret, message_id=str(notification.idempotency_key))
    fields = notification.body.get("fields") or {}
    with log_context_bound(
        account_id=notification.account_id,
        connector_id=notification.connector_id,
        marketplace_order_id=notification.marketplace_order_id or None,
        main_order_id=fields.get("mainOrderId"),
    ):
        answer = outbound.post(NOTIFICATIONS, notification.url, payload=payload, headers=headers, wait=wait)
        logger.info(
            "Notification %s (%s) try %s: %s in %s ms",
            notification.pk,
            notification.code,
            notification.attempt_count + 1,
            answer.http_status or answer.error,
            answer.duration_ms,
        )
    return answer


@transaction.atomic
def notification_resend(*, notification: Notification) -> bool:
    """Send a failed notification again from its first try; False when it is not failed."""
    return outbound.resend(NOTIFICATIONS, notification)


def notifications_requeue_due(*, grace: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Queue again the pending notifications whose task was lost (broker down, worker killed)."""
    return outbound.requeue_due(NOTIFICATIONS, grace=grace, limit=limit)
