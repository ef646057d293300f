"""Celery tasks of orders: processing submissions, the sweeps that make sure none is forgotten."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from config.celery import messages_waiting, requeue

from .models import IntakeRecord
from .processing import intake_process
from .services import reservations_expire
from .statuses import IntakeStatus

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def process_intake(self, intake_id: int) -> str | None:
    try:
        return intake_process(intake_id=intake_id)
    except Exception as error:
        attempts = IntakeRecord.objects.filter(pk=intake_id).values_list("attempts", flat=True).first() or 0
        if attempts >= settings.INTAKE_MAX_ATTEMPTS:
            logger.exception(
                "Intake %s failed %s times; it stays failed for the seller to reprocess.", intake_id, attempts
            )
            return IntakeStatus.FAILED
        raise self.retry(exc=error, countdown=min(5 * 2**attempts, 600)) from error


# A submission received this long ago and still not processed is queued again whatever the
# broker holds: even while a backlog is worked off, one lost with its message waits no longer.
WAITING_TRUSTED = timedelta(minutes=5)


@shared_task(ignore_result=True)
def sweep_intake() -> int:
    """Queue again the submissions whose processing was never queued or never finished.

    A submission merely received 20 s ago is usually waiting behind others in the queue: while
    the queue holds at least as many messages as there are such submissions (younger than
    WAITING_TRUSTED), they are left to their own messages instead of being queued twice.
    """
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    waiting = Q(
        status=IntakeStatus.RECEIVED,
        received_at__lte=now - timedelta(seconds=20),
        received_at__gt=now - WAITING_TRUSTED,
    )
    stale = (
        IntakeRecord.objects.filter(
            waiting
            | Q(status=IntakeStatus.RECEIVED, received_at__lte=now - WAITING_TRUSTED)
            | Q(status=IntakeStatus.PROCESSING, lease_until__lt=now)
            | Q(
                status=IntakeStatus.FAILED,
                attempts__lt=settings.INTAKE_MAX_ATTEMPTS,
                processed_at__isnull=True,
            )
        )
        .filter(free)
        .order_by("received_at")
    )
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    recently_received = IntakeRecord.objects.filter(waiting).filter(free).count()
    if recently_received and messages_waiting(queue) >= recently_received:
        stale = stale.exclude(waiting)
    return requeue(process_intake, stale.values_list("pk", flat=True)[:1000], what="submissions")


@shared_task(ignore_result=True)
def reprocess_held_until_rule(account_id: int) -> int:
    """Reprocess the native-connector orders held while the account had no rule."""
    from .services import SYSTEM, intake_reprocess

    count = 0
    for intake in IntakeRecord.objects.filter(
        account_id=account_id, status=IntakeStatus.HELD, held_until_rule=True
    ):
        count += intake_reprocess(intake=intake, actor=SYSTEM)
    return count


@shared_task(ignore_result=True)
def expire_reservations() -> int:
    return reservations_expire()


@shared_task(acks_late=True, ignore_result=True)
def decide_in_bulk(job_id: int) -> None:
    """Decide the orders of a bulk decision from the queue; a redelivered job resumes where it stopped."""
    from .bulk import bulk_decision_run

    bulk_decision_run(job_id=job_id)


@shared_task(ignore_result=True)
def sweep_bulk_decisions() -> int:
    """Queue again the bulk decisions still waiting to start a minute after they were asked for."""
    from .models import BulkDecision

    stale = BulkDecision.objects.filter(
        state=BulkDecision.State.PENDING, created_at__lte=timezone.now() - timedelta(minutes=1)
    ).values_list("pk", flat=True)[:100]
    return requeue(decide_in_bulk, stale, what="bulk decisions")
