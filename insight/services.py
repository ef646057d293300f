"""Recording decisions: what the rule read of each submission and what became of it.

`decision_record` is called by processing in the transaction that decides a submission;
`submissions_record` takes a whole batch (`orders.signals.submissions_decided`). Each writes
the submissions' `DecisionRecord`s and adds them to the rollups (`insight/rollups.py`); a
submission decided again (reprocessed) first takes its earlier decision out of them, so the
rollups always equal the sums of the records. A held order enters the queue's pictures
(`insight/queue.py`) there too.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from authorization.decision import SubmissionDecision, SubmissionFacts, allowance_percent
from authorization.decision_words import band_label, deciding_band
from kit.dates import time_zone
from orders.signals import ItemFacts
from orders.statuses import OrderStatus

from .models import BUCKETS_PER_PERCENT, LAST_BUCKET, NO_DIVERGENCE_BUCKET, DecisionRecord
from .queue import queue_enter, queue_enter_many
from .rollups import records_insert_counted, rollups_count


def divergence_bucket(divergence_percent) -> int:
    """Return the histogram step of a divergence: half-percent steps of |d| up to 100, -1 for none."""
    value = abs(Decimal(divergence_percent))
    if value == 0:
        return NO_DIVERGENCE_BUCKET
    return min(int(value * BUCKETS_PER_PERCENT), LAST_BUCKET)


def account_day(account, moment) -> date:
    """Return the calendar day of `moment` in the account's time zone."""
    return timezone.localtime(moment, time_zone(account.time_zone)).date()


def decision_record_build(
    *,
    intake,
    facts: SubmissionFacts,
    submission: SubmissionDecision,
    paid_value_cents: int,
    seller_value_cents: int,
    items: Sequence[ItemFacts],
    order=None,
) -> DecisionRecord:
    """What the rule read of a submission and what became of it, not saved yet."""
    now = timezone.now()
    band = deciding_band(submission)
    return DecisionRecord(
        intake=intake,
        account_id=intake.account_id,
        connector_id=intake.connector_id,
        order=order,
        marketplace_order_id=intake.marketplace_order_id,
        decided_at=now,
        day=account_day(intake.account, now),
        divergence_percent=facts.divergence_percent,
        item_divergences=[str(value) for value in facts.item_divergences],
        allowance_percent=allowance_percent(facts.allowance_rate),
        ignore_divergence=facts.ignore_divergence,
        paid_value_cents=paid_value_cents,
        seller_value_cents=seller_value_cents,
        items=[[item.sku_id, item.quantity, item.price_cents, item.seller_price_cents] for item in items],
        outcome=submission.outcome.value,
        route=submission.decision.route.value,
        reason=submission.decision.decision.reason.value,
        band_label=band_label(band.lower_percent, band.upper_percent) if band else "",
        divergence_bucket=divergence_bucket(facts.divergence_percent),
    )


@transaction.atomic(savepoint=False)
def decision_record(**facts) -> DecisionRecord:
    """Record what the rule read of a submission and what became of it (`decision_record_build`'s
    facts); count it in the rollups."""
    record = decision_record_build(**facts)
    order = record.order
    if order is not None and order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        queue_enter(order=order)
    # Only a reprocessed submission can have been decided before: any earlier attempt that
    # failed took its record back with its transaction.
    intake = record.intake
    earlier = (
        DecisionRecord.objects.select_for_update().filter(intake=intake).first()
        if intake.reprocessed_at is not None
        else None
    )
    if earlier is None:
        decision_records_add([record])
        return record
    removed = DecisionRecord(**{field: getattr(earlier, field) for field in _RECORD_FIELDS})
    for field in DecisionRecord._meta.concrete_fields:
        if not field.primary_key:
            setattr(earlier, field.attname, getattr(record, field.attname))
    earlier.save()
    rollups_count(added=[earlier], removed=[removed])
    return earlier


@transaction.atomic(savepoint=False)
def decision_records_add(records: list[DecisionRecord]) -> None:
    """Write the records of submissions decided for the first time, and count them in the
    rollups: in one statement on PostgreSQL."""
    if not records:
        return
    if connection.vendor == "postgresql":
        records_insert_counted(records)
    else:
        DecisionRecord.objects.bulk_create(records)
        rollups_count(added=records, removed=[])


_RECORD_FIELDS = (
    "account_id",
    "connector_id",
    "day",
    "outcome",
    "band_label",
    "divergence_bucket",
    "paid_value_cents",
    "seller_value_cents",
    "items",
    "item_divergences",
)


def submissions_record(*, first, again, waiting, **signal) -> None:
    """Keep what the rule read and decided of a batch of submissions, and count it in the rollups;
    the new orders waiting for a person enter the queue's pictures (`orders.signals.submissions_decided`)."""
    # A reprocessed submission may have been decided before: its record, locked under the
    # submission (`orders.locking`), is replaced, before the batch's rollups are locked.
    for facts in again:
        decision_record(**facts)
    decision_records_add([decision_record_build(**facts) for facts in first])
    queue_enter_many(tasks=waiting)
