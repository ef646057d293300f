"""One way to deliver what is owed to a connector: notifications and hook calls alike.

Both are outbox rows written in the transaction of the change they report (`Notification`,
`HookDelivery`), delivered after commit by a task, at least once:

- a task first claims its row with a compare-and-set lease, so two tasks never send it at once;
- rows of one sequence (an order's notifications; an order's changes for one hook) go out in
  the order they were written: a later one waits until the earlier one is delivered or has
  failed for good, which then queues it;
- each try is a signed JSON POST with a timeout and no redirects, under the address policy of
  `connectors.egress`, kept as an attempt row (time, HTTP status, error, duration);
- 2xx delivers; no answer, 408, 429 and 5xx are retried with growing delays up to a maximum
  number of tries; any other answer, or an address the policy refuses, fails for good, and a
  user may resend it from the admin;
- a 429 or 503 with `Retry-After` is tried again when it asks (within the channel's bounds),
  and that try does not count against the maximum: the connector said when, not that it failed;
- a sweep queues again the rows whose task was lost (broker down, worker killed).

A `Channel` names what differs: the models, the task, the settings and the sequence.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from importlib import import_module

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from kit.enqueue import enqueue_on_commit, requeue
from kit.inserts import insert_many
from kit.together import statements_together

from . import egress
from .models import Connector, DeliveryState
from .outbound_statements import NOT_SETTLED, rows_delivered, sequences_pending
from .signals import deliveries_attempted

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
    # The fields whose values make a row's sequence (an order's notifications: order_id); a row
    # with any of them empty is in none.
    sequence_fields: tuple[str, ...]
    related: tuple[str, ...] = ("connector",)  # read with the claimed row

    @property
    def kind(self) -> str:
        """The channel as the metrics label it: "notification", "hook"."""
        return self.settings_prefix.lower()

    def setting(self, name: str):
        return getattr(settings, f"{self.settings_prefix}_{name}")

    def task_function(self):
        module, _, name = self.task.rpartition(".")
        return getattr(import_module(module), name)

    def enqueue(self, row_id: int, **options) -> None:
        enqueue_on_commit(self.task_function(), row_id, **options)

    def sequence(self, row) -> dict | None:
        """The filter of the rows in `row`'s sequence, or None when it is in none."""
        values = {name: getattr(row, name) for name in self.sequence_fields}
        return None if None in values.values() else values


@dataclass(frozen=True)
class Answer:
    """What one POST came to."""

    http_status: int | None
    error: str  # "" when delivered: what a try that failed keeps, and the admin shows
    duration_ms: int
    refused: bool = False  # the address policy refused the URL: trying again would change nothing
    # No answer within a wait shorter than the channel's timeout (a worker delivering in passing):
    # the connector is not at fault, so the retry goes out at once, with the whole timeout.
    cut_short: bool = False
    asked_wait: float | None = None  # seconds a 429's or 503's Retry-After asked for

    @property
    def deferred(self) -> bool:
        """The connector asked to be tried again later, and said when."""
        return self.asked_wait is not None

    @property
    def delivered(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def retryable(self) -> bool:
        if self.refused:
            return False
        status = self.http_status
        return status is None or status in RETRYABLE_STATUSES or status >= 500


def retry_delay(channel: Channel, attempt_count: int) -> timedelta:
    """Growing delays between tries: base × 2^(n−1), capped, with a little jitter."""
    base = channel.setting("RETRY_BASE_SECONDS")
    seconds = min(base * 2 ** max(attempt_count - 1, 0), channel.setting("RETRY_MAX_SECONDS"))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def retry_after_seconds(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (a number of seconds, or an HTTP date); None when
    absent or unreadable, and the channel's own back-off applies."""
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), 10**9))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None  # HTTP dates are in GMT: one without a zone is not one
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def asked_delay(channel: Channel, seconds: float) -> timedelta:
    """What a connector asked for, within the channel's bounds: never sooner than its first retry
    (a Retry-After of 0 would have it hammered), never later than its longest."""
    low, high = channel.setting("RETRY_BASE_SECONDS"), channel.setting("RETRY_MAX_SECONDS")
    return timedelta(seconds=min(max(seconds, low), high))


def _claimable(channel: Channel, now):
    """The rows a task may lease now: pending, due, not leased, none earlier of their sequence pending."""
    earlier_pending = channel.model.objects.filter(
        NOT_SETTLED,
        **{name: OuterRef(name) for name in channel.sequence_fields},
        pk__lt=OuterRef("pk"),
    )
    return (
        channel.model.objects.filter(NOT_SETTLED, next_attempt_at__lte=now + EARLY_TOLERANCE)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(~Exists(earlier_pending))
    )


def claim(channel: Channel, row_id: int):
    """Lease the row for one try, or return None: not pending, not due, leased by another task,
    or an earlier row of its sequence still pending — whose delivery (or final failure) queues
    this one. One statement decides all of it."""
    now = timezone.now()
    if not _claimable(channel, now).filter(pk=row_id).update(lease_until=now + LEASE):
        return None
    return channel.model.objects.select_related(*channel.related).get(pk=row_id)


def claim_many(channel: Channel, row_ids: list[int]) -> list:
    """Lease, of `row_ids`, the rows `claim` would lease, in three statements for them all:
    return them in the order of their ids. Rows another task holds are passed over, not waited for."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            _claimable(channel, now)
            .filter(pk__in=row_ids)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
        )
        channel.model.objects.filter(pk__in=ids).update(lease_until=now + LEASE)
    return list(channel.model.objects.select_related(*channel.related).filter(pk__in=ids).order_by("pk"))


# What a failed try records: never what answered, nor why nothing did (that is logged, by egress).
FAILURE_ERRORS = {
    egress.Failure.REFUSED: "Not sent: the URL or its address is not public (outbound address policy).",
    egress.Failure.UNREACHABLE: "No answer: the connection could not be made.",
}


def post(channel: Channel, url: str, *, payload: bytes, headers: dict, wait: float | None = None) -> Answer:
    """POST one try through the address policy (`connectors.egress`); an address it refuses is
    not retried. `wait` shortens the channel's timeout for this try."""
    full = channel.setting("TIMEOUT_SECONDS")
    timeout = full if wait is None else min(wait, full)
    started = time.monotonic()
    reply = egress.post(url, payload=payload, headers=headers, timeout=timeout)
    if reply.failure is egress.Failure.TIMEOUT:
        error = f"Timed out after {timeout:.3g} s"
    elif reply.failure is not None:
        error = FAILURE_ERRORS[reply.failure]
    elif not 200 <= reply.status < 300:
        error = f"HTTP {reply.status}"
    else:
        error = ""
    asked_wait = retry_after_seconds(reply.retry_after) if reply.retry_after else None
    if asked_wait is not None:
        error += f", asked to try again in {asked_wait:.0f} s"
    return Answer(
        http_status=reply.status,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
        refused=reply.failure is egress.Failure.REFUSED,
        cut_short=reply.failure is egress.Failure.TIMEOUT and timeout < full,
        asked_wait=asked_wait,
    )


def record(channel: Channel, row, answer: Answer, *, final: bool = False, **kept) -> str:
    """Keep the try and its outcome; queue the retry or the next of the sequence, after commit.

    Return "delivered", "retry" or "failed". `final` fails the row whatever the answer (e.g. a
    hook removed); `kept` names fields written both on the attempt and on the row (a hook's URL).
    """
    # A block, not the decorator: mutation testing (bin/mutate) skips decorated functions. The
    # attempts and the rows go with the look for the next of their sequences (`kit.together`).
    with transaction.atomic(), statements_together():
        now = timezone.now()
        channel.attempt_model.objects.create(
            **{channel.attempt_parent: row},
            attempted_at=now,
            http_status=answer.http_status,
            error=answer.error,
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
        elif answer.retryable and not final and (answer.deferred or _tries_left(channel, row)):
            outcome = "retry"
            if answer.deferred:
                delay = asked_delay(channel, answer.asked_wait)
                updates["deferred_count"] = F("deferred_count") + 1
            else:
                delay = timedelta(0) if answer.cut_short else retry_delay(channel, row.attempt_count + 1)
            updates.update(next_attempt_at=now + delay, last_error=answer.error)
            channel.enqueue(row.pk, countdown=delay.total_seconds())
        else:
            outcome = "failed"
            updates.update(state=DeliveryState.FAILED, last_error=answer.error)
            url = kept.get("url", row.url)
            logger.warning("%s %s to %s failed for good: %s", channel.name, row.pk, url, answer.error)
        channel.model.objects.filter(pk=row.pk).update(**updates)
        if outcome != "delivered":
            # The first failure since the last delivery; the sweep clears it (`connectors.failing`).
            Connector.objects.filter(pk=row.connector_id, failing_since__isnull=True).update(
                failing_since=now
            )
        if outcome != "retry":
            _queue_next(channel, [row])
        deliveries_attempted.send(sender=channel.model, channel=channel.kind, outcomes=[outcome])
        return outcome


def _tries_left(channel: Channel, row) -> bool:
    """Whether another try fits in the budget; tries the connector deferred do not count."""
    return row.attempt_count - row.deferred_count + 1 < channel.setting("MAX_ATTEMPTS")


def record_many(channel: Channel, tries: list[tuple]) -> list[str]:
    """`record` for several (row, answer) tries at once: the delivered ones in three statements
    for them all (their attempts, their rows, the next of their sequences); the others one by one."""
    # A block, not the decorator: mutation testing (bin/mutate) skips decorated functions. The
    # attempts and the rows go with the look for the next of their sequences (`kit.together`).
    with transaction.atomic(), statements_together():
        now = timezone.now()
        delivered = [(row, answer) for row, answer in tries if answer.delivered]
        insert_many(
            (
                channel.attempt_model(
                    **{channel.attempt_parent: row},
                    attempted_at=now,
                    http_status=answer.http_status,
                    error=answer.error,
                    duration_ms=answer.duration_ms,
                )
                for row, answer in delivered
            ),
            wait=False,
        )
        rows = [row for row, _ in delivered]
        for status in {answer.http_status for _, answer in delivered}:  # one statement: all answered 200
            rows_delivered(
                channel.model,
                [row.pk for row, answer in delivered if answer.http_status == status],
                status,
                now,
            )
        _queue_next(channel, rows)
        if delivered:
            deliveries_attempted.send(
                sender=channel.model, channel=channel.kind, outcomes=["delivered"] * len(delivered)
            )
        return ["delivered" if answer.delivered else record(channel, row, answer) for row, answer in tries]


def release(channel: Channel, rows) -> None:
    """Give back the leases of claimed rows left untried: any task may take them again."""
    channel.model.objects.filter(pk__in=[row.pk for row in rows]).update(lease_until=None)


def _queue_next(channel: Channel, rows) -> None:
    """Queue the next pending row of each of the rows' sequences, after commit."""
    sequences = {tuple(sequence.values()) for sequence in map(channel.sequence, rows) if sequence is not None}
    if not sequences:
        return
    # The first of each sequence picked here rather than by a GROUP BY: the few rows it would
    # save cost less to read than the grouping to write.
    firsts = {}
    for pk, *sequence in sequences_pending(
        channel.model, channel.sequence_fields, sequences, done=[row.pk for row in rows]
    ):
        firsts.setdefault(tuple(sequence), pk)
    for pk in firsts.values():
        channel.enqueue(pk)


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
