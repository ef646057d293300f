"""Claim: take submissions for processing with a compare-and-set, so each is processed once.

A claim holds a submission for `LEASE`; the transaction that writes its outcome first locks it
again (`still_claimed`), so a claim taken over after its lease ran out finds it done.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connectors.status_changes import OUTBOX_SETTINGS

from ..models import IntakeRecord
from ..statuses import IntakeStatus

# How long a claim keeps other workers off a submission. A worker that dies mid-processing
# (killed, its host lost) holds it that long, after which the sweep queues it again; a live one
# that is merely slow keeps it anyway, by the row lock its transaction takes (`still_claimed`).
LEASE = timedelta(seconds=60)
# Read with a claimed submission: what planning and writing it need of its account and connector,
# the connector's outbox settings included (the events written tell them).
RELATED = ("account", "connector", *(f"connector__{name}" for name in OUTBOX_SETTINGS))


def intake_claim(*, intake_id: int) -> IntakeRecord | None:
    """Take the submission for processing, unless it is done or another worker holds it."""
    now = timezone.now()
    claimed = (
        IntakeRecord.objects.filter(pk=intake_id)
        .filter(
            Q(status__in=[IntakeStatus.RECEIVED, IntakeStatus.FAILED])
            | Q(status=IntakeStatus.PROCESSING, lease_until__lt=now)
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(status=IntakeStatus.PROCESSING, lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return with_account(IntakeRecord.objects.select_related(*RELATED).get(pk=intake_id))


def intakes_claim(*, limit: int) -> list[IntakeRecord]:
    """Claim the oldest received submissions, up to `limit`, passing over any another worker is
    claiming; return them read with what processing needs, in the statement that locks them."""
    now = timezone.now()
    with transaction.atomic():
        intakes = list(
            IntakeRecord.objects.select_related(*RELATED)
            .filter(status=IntakeStatus.RECEIVED)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("received_at")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if not intakes:
            return []
        lease_until = now + LEASE
        IntakeRecord.objects.filter(pk__in=[intake.pk for intake in intakes]).update(
            status=IntakeStatus.PROCESSING, lease_until=lease_until, attempts=F("attempts") + 1
        )
    for intake in intakes:
        intake.status, intake.lease_until, intake.attempts = (
            IntakeStatus.PROCESSING,
            lease_until,
            intake.attempts + 1,
        )
    return [with_account(intake) for intake in sorted(intakes, key=lambda i: (i.received_at, i.pk))]


def with_account(intake: IntakeRecord) -> IntakeRecord:
    """Give the submission's connector its account, read with the submission: always the same
    account, but reading it through the connector would be a join more to plan."""
    if intake.connector.account_id == intake.account_id:
        intake.connector.account = intake.account
    return intake


def still_claimed(intakes: list[IntakeRecord]) -> list[IntakeRecord]:
    """Lock the submissions this claim still holds, by key (`orders.locking`); return those.

    A claim whose lease ran out may have been taken over; the lock makes a later claim wait
    until this transaction ends, and then find the submission done.
    """
    held = set(
        IntakeRecord.objects.select_for_update()
        .filter(pk__in=[intake.pk for intake in intakes], status=IntakeStatus.PROCESSING)
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    return [intake for intake in intakes if (intake.pk, intake.attempts) in held]


def intake_fail(intake: IntakeRecord, error: BaseException) -> None:
    """Keep the submission failed with its error, for a retry (or the seller) to take up."""
    IntakeRecord.objects.filter(
        pk=intake.pk, status=IntakeStatus.PROCESSING, attempts=intake.attempts
    ).update(
        status=IntakeStatus.FAILED, lease_until=None, last_error=f"{type(error).__name__}: {error}"[:2000]
    )
