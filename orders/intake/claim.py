"""Claim: take submissions for processing, so each is processed once.

A claim is the row lock of the transaction that processes the submission: taken by the
statement that reads it (`FOR UPDATE`), it holds until that transaction commits the outcome,
and another worker passes over a locked submission instead of waiting for it. A worker that
dies mid-processing takes its transaction with it, so the submission is free again at once;
nothing has to run out first. There is no separate claim to commit before the work starts.
"""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import IntakeRecord
from ..statuses import IntakeStatus


def intake_claim(*, intake_id: int) -> IntakeRecord | None:
    """In the caller's transaction, take the submission for processing, unless it is done or
    another worker holds it; it is held until that transaction ends."""
    now = timezone.now()
    intake = (
        _claimable()
        .filter(pk=intake_id)
        .filter(status__in=[IntakeStatus.RECEIVED, IntakeStatus.FAILED, IntakeStatus.PROCESSING])
        # A row left "processing" under a lease, as claims were before they became the row
        # lock, is free once its lease is over.
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .first()
    )
    return None if intake is None else _claimed(intake)


def intakes_claim(*, limit: int) -> list[IntakeRecord]:
    """In the caller's transaction, take the oldest received submissions, up to `limit`, passing
    over any another worker holds. Their accounts and connectors are not read with them: they are
    kept between batches (`account_settings.with_settings`)."""
    intakes = list(_claimable().filter(status=IntakeStatus.RECEIVED).order_by("received_at", "pk")[:limit])
    return [_claimed(intake) for intake in intakes]


def _claimable():
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A claim holds only within the transaction that processes the submission.")
    return IntakeRecord.objects.select_for_update(skip_locked=True)


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
