"""Celery tasks of orders: processing submissions, the sweeps that make sure none is forgotten, the
escalation chain of held orders, and the approvers' digest e-mails.

A message queued under the approver tasks' names of before they moved here (`authorization.tasks.…`)
finds no task; its approval task keeps its due time, so `escalate_approvals` takes the step anyway.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kit.enqueue import enqueue_now, enqueue_on_commit, once_started, requeue

from .approval_mail import approval_digests_send
from .deadlines import deadlines_decide_due
from .escalation import DIGEST_KICK, approvals_notify, approvals_notify_due
from .events import SYSTEM
from .intake.pipeline import KICK, intake_process, intakes_process, intakes_process_until
from .intake.receive import intake_reprocess
from .models import IntakeRecord
from .reservations import reservations_expire
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
        raise self.retry(exc=error, countdown=retry_delay(attempts)) from error


def retry_delay(attempts: int) -> int:
    """Seconds before a failed submission is tried again: 10, 20, 40 … up to 10 minutes."""
    return min(5 * 2**attempts, 600)


@shared_task(acks_late=True, ignore_result=True)
def process_intakes() -> int:
    """Process a batch of the submissions received (`orders.intake.pipeline`); asked for by the order
    API, and claiming again after the grace when a request relied on it (docs/reliability.md)."""
    again_after = once_started(KICK)
    process = {"on_full": lambda: enqueue_now(process_intakes), "on_failure": _try_again}
    claimed = intakes_process(**process)
    if again_after is not None:  # a request relied on this batch: it sees what committed till then
        claimed += intakes_process_until(again_after, **process)
    return claimed


def _try_again(intake: IntakeRecord) -> None:
    """A submission of a batch failed (a deadlock, a lost connection): try it alone, later."""
    if intake.attempts < settings.INTAKE_MAX_ATTEMPTS:
        enqueue_on_commit(process_intake, intake.pk, countdown=retry_delay(intake.attempts))


@shared_task(ignore_result=True)
def sweep_intake() -> int:
    """Queue again the submissions whose processing was never queued or never finished.

    Submissions received over 20 s ago and still waiting get a batch (which takes the oldest
    first, and asks for the next while it finds a full one); those whose claim ran out, and
    those that failed and may be tried again, a task each. Return how many tasks it queued.
    """
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    waiting = IntakeRecord.objects.filter(
        status=IntakeStatus.RECEIVED, received_at__lte=now - timedelta(seconds=20)
    )
    batches = 0
    if waiting.filter(free).exists():
        try:
            process_intakes.apply_async(retry=False)
            batches = 1
        except Exception:
            logger.warning("Broker unavailable; the submissions waiting wait for the next sweep.")
    stale = (
        IntakeRecord.objects.filter(
            Q(status=IntakeStatus.PROCESSING, lease_until__lt=now)
            | Q(
                status=IntakeStatus.FAILED,
                attempts__lt=settings.INTAKE_MAX_ATTEMPTS,
                processed_at__isnull=True,
            )
        )
        .filter(free)
        .order_by("received_at")
    )
    return batches + requeue(process_intake, stale.values_list("pk", flat=True)[:1000], what="submissions")


def held_until_rule_go_on(sender, *, account, **kwargs) -> None:
    """When an account's rule is saved (`authorization.signals.rule_saved`), queue the reprocessing of
    the native-connector orders held while it had none: they go through the rule now."""
    enqueue_on_commit(reprocess_held_until_rule, account.pk)


@shared_task(ignore_result=True)
def reprocess_held_until_rule(account_id: int) -> int:
    """Reprocess the native-connector orders held while the account had no rule."""
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
def notify_approvers(task_ids: list[int] | int) -> int:
    """The first step of approval tasks, for a message an earlier release queued (naming one task,
    or a batch's): a task opened now takes its first step as it opens, and is not due here."""
    return approvals_notify(task_ids=[task_ids] if isinstance(task_ids, int) else task_ids)


@shared_task(ignore_result=True)
def escalate_approvals() -> int:
    return approvals_notify_due()


@shared_task(ignore_result=True)
def send_approval_digests() -> int:
    """E-mail each approver whose interval has passed what became theirs (beat, and queued by a new notice)."""
    once_started(DIGEST_KICK)
    return approval_digests_send()


@shared_task(ignore_result=True)
def decide_at_deadlines() -> int:
    return deadlines_decide_due()


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
