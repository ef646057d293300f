"""One way to deliver what is owed to a connector: notifications and hook calls alike.

Both are outbox rows written in the transaction of the change they report (`Notification`,
`HookDelivery`), delivered after commit by a task, at least once:

- a task first claims its row with a compare-and-set lease, so two tasks never send it at once;
- rows of one sequence (an order's notifications; an order's changes for one hook) go out in
  the order they were written: a later one waits until the earlier one is delivered or has
  failed for good, which then queues it;
- each try is a signed JSON POST with a timeout and no redirects, kept as an attempt row
  (time, HTTP status, error, duration);
- 2xx delivers; no answer, 408, 429 and 5xx are retried with growing delays up to a maximum
  number of tries; any other answer fails for good, and a user may resend it from the admin;
- a sweep queues again the rows whose task was lost (broker down, worker killed).

A `Channel` names what differs: the models, the task, the settings and the sequence.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

import requests
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.celery import enqueue_on_commit, requeue

from .models import DeliveryState

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 429})
LEASE = timedelta(seconds=60)
# A retry whose task arrives a little before its time is sent anyway: being early by a second harms no one.
EARLY_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True)
class Channel:
    """What differs between two kinds of outbox rows; everything else is this module's."""

    name: str  # for logs: "Notification", "Hook delivery"
    model: type[models.Model]
    attempt_model: type[models.Model]
    attempt_parent: str  # the attempt's foreign key to the row: "notification", "delivery"
    task: str  # "connectors.tasks.deliver_notification": the task that delivers one row by its id
    settings_prefix: str  # NOTIFICATION → NOTIFICATION_TIMEOUT_SECONDS, _MAX_ATTEMPTS, _RETRY_BASE_SECONDS …
    sequence: Callable[[models.Model], dict | None]  # the filter of the row's sequence; None: in none
    related: tuple[str, ...] = ("connector",)  # read with the claimed row

    def setting(self, name: str):
        return getattr(settings, f"{self.settings_prefix}_{name}")

    def task_function(self):
        module, _, name = self.task.rpartition(".")
        return getattr(import_module(module), name)

    def enqueue(self, row_id: int, **options) -> None:
        enqueue_on_commit(self.task_function(), row_id, **options)


@dataclass(frozen=True)
class Answer:
    """What one POST came to."""

    http_status: int | None
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def retryable(self) -> bool:
        status = self.http_status
        return status is None or status in RETRYABLE_STATUSES or status >= 500


def retry_delay(channel: Channel, attempt_count: int) -> timedelta:
    """Growing delays between tries: base × 2^(n−1), capped, with a little jitter."""
    base = channel.setting("RETRY_BASE_SECONDS")
    seconds = min(base * 2 ** max(attempt_count - 1, 0), channel.setting("RETRY_MAX_SECONDS"))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def claim(channel: Channel, row_id: int):
    """Lease the row for one try, or return None: not pending, not due, or leased by another task."""
    now = timezone.now()
    claimed = (
        channel.model.objects.filter(
            pk=row_id, state=DeliveryState.PENDING, next_attempt_at__lte=now + EARLY_TOLERANCE
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    if not claimed:
        return None
    return channel.model.objects.select_related(*channel.related).get(pk=row_id)


def wait_for_earlier(channel: Channel, row) -> bool:
    """True, with the lease given back, when an earlier row of its sequence is still pending:
    that one's delivery (or final failure) queues this one."""
    sequence = channel.sequence(row)
    if sequence is None:
        return False
    earlier = channel.model.objects.filter(**sequence, state=DeliveryState.PENDING, pk__lt=row.pk).exists()
    if earlier:
        channel.model.objects.filter(pk=row.pk).update(lease_until=None)
    return earlier


def post(channel: Channel, url: str, *, payload: bytes, headers: dict) -> Answer:
    timeout = channel.setting("TIMEOUT_SECONDS")
    started = time.monotonic()
    http_status, error = None, ""
    try:
        response = requests.post(url, data=payload, headers=headers, timeout=timeout, allow_redirects=False)
        http_status = response.status_code
    except requests.Timeout:
        error = f"Timed out after {timeout:g} s"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    if http_status is not None and not 200 <= http_status < 300:
        error = f"HTTP {http_status}"
    return Answer(http_status=http_status, error=error, duration_ms=int((time.monotonic() - started) * 1000))


@transaction.atomic
def record(channel: Channel, row, answer: Answer, *, final: bool = False, **kept) -> str:
    """Keep the try and its outcome; queue the retry or the next of the sequence, after commit.

    Return "delivered", "retry" or "failed". `final` fails the row whatever the answer (e.g. a
    hook removed); `kept` names fields written both on the attempt and on the row (a hook's URL).
    """
    now = timezone.now()
    channel.attempt_model.objects.create(
        **{channel.attempt_parent: row},
        attempted_at=now,
        http_status=answer.http_status,
        error="" if answer.delivered else answer.error,
        duration_ms=answer.duration_ms,
        **kept,
    )
    updates = {
        "attempt_count": F("attempt_count") + 1,
        "lease_until": None,
        "last_status": answer.http_status,
    }
    updates.update(kept)
    if answer.delivered and not final:
        outcome = "delivered"
        updates.update(state=DeliveryState.DELIVERED, delivered_at=now, last_error="")
    elif answer.retryable and not final and row.attempt_count + 1 < channel.setting("MAX_ATTEMPTS"):
        outcome = "retry"
        delay = retry_delay(channel, row.attempt_count + 1)
        updates.update(next_attempt_at=now + delay, last_error=answer.error)
        channel.enqueue(row.pk, countdown=delay.total_seconds())
    else:
        outcome = "failed"
        updates.update(state=DeliveryState.FAILED, last_error=answer.error)
        url = kept.get("url", row.url)
        logger.warning("%s %s to %s failed for good: %s", channel.name, row.pk, url, answer.error)
    channel.model.objects.filter(pk=row.pk).update(**updates)
    if outcome != "retry":
        _queue_next(channel, row)
    return outcome


def _queue_next(channel: Channel, row) -> None:
    sequence = channel.sequence(row)
    if sequence is None:
        return
    following = (
        channel.model.objects.filter(**sequence, state=DeliveryState.PENDING, pk__gt=row.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        channel.enqueue(following)


def resend(channel: Channel, row, **changes) -> bool:
    """Send a failed row again from its first try (with `changes`); False when it is not failed.

    Call it in a transaction: the task is queued when that commits.
    """
    changed = channel.model.objects.filter(pk=row.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING,
        attempt_count=0,
        next_attempt_at=timezone.now(),
        lease_until=None,
        **changes,
    )
    if changed:
        channel.enqueue(row.pk)
    return bool(changed)


def requeue_due(channel: Channel, *, grace: timedelta, limit: int) -> int:
    """Queue again the pending rows whose task was lost (broker down, worker killed)."""
    task = channel.task_function()
    now = timezone.now()
    due = list(
        channel.model.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now - grace)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    queued = requeue(task, due, what=f"{len(due)} {channel.name} rows")
    return len(due) if queued == len(due) else 0
