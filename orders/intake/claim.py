"""Claim: take submissions for processing, so each is processed once.

A claim is the row lock of the transaction that processes the submission: taken by the
statement that reads it (`FOR UPDATE`), it holds until that transaction commits the outcome,
and another worker passes over a locked submission instead of waiting for it. A worker that
dies mid-processing takes its transaction with it, so the submission is free again at once;
nothing has to run out first. There is no separate claim to commit before the work starts.
"""

from functools import cache

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from kit.selects import columns, fetch, rows_as

from ..models import IntakeRecord
from ..statuses import IntakeStatus


def intake_claim(*, intake_id: int) -> IntakeRecord | None:
    """In the caller's transaction, take the submission for processing, unless it is done or
    another worker holds it; it is held until that transaction ends."""
    now, statuses = timezone.now(), [IntakeStatus.RECEIVED, IntakeStatus.FAILED, IntakeStatus.PROCESSING]
    _in_transaction()
    if connection.vendor == "postgresql":
        found = _read(_claim_sql(one=True), [intake_id, [status.value for status in statuses], now])
    else:
        found = list(
            _claimable()
            .filter(pk=intake_id, status__in=statuses)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        )
    return _claimed(found[0]) if found else None


def intakes_claim(*, limit: int) -> list[IntakeRecord]:
    """In the caller's transaction, take the oldest received submissions, up to `limit`, passing
    over any another worker holds. Their accounts and connectors are not read with them: they are
    kept between batches (`account_settings.with_settings`)."""
    _in_transaction()
    if connection.vendor == "postgresql":
        intakes = _read(_claim_sql(one=False), [IntakeStatus.RECEIVED.value, limit])
    else:
        intakes = _claimable().filter(status=IntakeStatus.RECEIVED).order_by("received_at", "pk")[:limit]
    return [_claimed(intake) for intake in intakes]


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A claim holds only within the transaction that processes the submission.")


def _claimable():
    return IntakeRecord.objects.select_for_update(skip_locked=True)


@cache
def _claim_sql(*, one: bool) -> str:
    """The claims as the ORM would write them on PostgreSQL, built once (`kit.selects`): one
    submission by its id, or the oldest received."""
    quote, meta = connection.ops.quote_name, IntakeRecord._meta
    column = {
        name: quote(meta.get_field(name).column) for name in ("id", "status", "lease_until", "received_at")
    }
    if one:
        # A row left "processing" under a lease, as claims were before they became the row
        # lock, is free once its lease is over.
        where = (
            f"r.{column['id']} = %s AND r.{column['status']} = ANY(%s) "
            f"AND (r.{column['lease_until']} IS NULL OR r.{column['lease_until']} < %s)"
        )
        rest = ""
    else:
        where = f"r.{column['status']} = %s"
        rest = f" ORDER BY r.{column['received_at']}, r.{column['id']} LIMIT %s"
    return (
        f"SELECT {columns(IntakeRecord, 'r')} FROM {quote(meta.db_table)} AS r WHERE {where}{rest} "
        "FOR UPDATE SKIP LOCKED"
    )


def _read(sql: str, params) -> list[IntakeRecord]:
    return [intake for (intake,) in rows_as(fetch(sql, params), IntakeRecord)]


def _claimed(intake: IntakeRecord) -> IntakeRecord:
    """This attempt counts once its outcome (or its failure) is written."""
    intake.attempts += 1
    return intake


def intake_fail(intake: IntakeRecord, error: BaseException) -> bool:
    """Keep the submission failed with its error, for a retry (or the seller) to take up; False
    when it was done meanwhile (another worker processed it after this one let it go)."""
    return bool(
        IntakeRecord.objects.filter(
            pk=intake.pk, status__in=[IntakeStatus.RECEIVED, IntakeStatus.PROCESSING, IntakeStatus.FAILED]
        ).update(
            status=IntakeStatus.FAILED,
            lease_until=None,
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
    )
