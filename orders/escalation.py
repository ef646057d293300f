"""The escalation chain of a held order: whose turn it is, and each step of it — the first
approver, each escalation, the last approver's reminders — recorded as a notice for that
approver's next digest (`orders.approval_mail`).

PRODUCT.md §6. The chain's timing is the band's (`escalate_after_minutes`); an approver away
passes their turn to their substitute (`accounts.absences`).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.absences import covering_for
from authorization.models import ApprovalNotice, ApprovalTask
from kit.enqueue import enqueue_once_on_commit

logger = logging.getLogger(__name__)

# The once-mark of the digest sender queued when a notice is recorded (`kit.enqueue`).
DIGEST_KICK = "approval-digests"


def approver_in_turn(*, task: ApprovalTask, level: int, at) -> str:
    """The e-mail whose turn level `level` of the task's chain is at `at`.

    The approver's own, or whoever takes their turn while they are away (`accounts.absences`);
    an approver away without a substitute passes it to the next level's. When nobody from that
    level on is in, the level's own approver is e-mailed still: the order waits for them.
    """
    for email in task.approvers[level:]:
        taker = covering_for(account_id=task.account_id, email=email, at=at)
        if taker:
            return taker
    return task.approvers[level]


def approval_notify_step(*, task_id: int, now=None) -> str | None:
    """Pass a due task to its next approver; return whom, or None when nothing was due.

    The step is claimed with a compare-and-set on (level, due time), and its notice (what became
    whose, for the approver's next digest: `orders.approval_mail`) is written in the same
    transaction, so two schedulers never record the same step twice. The last approver is
    reminded after each further delay, APPROVAL_REMINDERS times at most.
    """
    now = now or timezone.now()
    task = ApprovalTask.objects.filter(pk=task_id).first()
    if task is None or task.decision or task.next_notification_at is None or task.next_notification_at > now:
        return None
    if not task.approvers:
        return None
    last = len(task.approvers) - 1
    level = min(task.level + 1, last)
    Kind = ApprovalNotice.Kind
    kind = Kind.NEW if task.level < 0 else (Kind.ESCALATION if task.level < last else Kind.REMINDER)
    reminders = task.notices.filter(kind=Kind.REMINDER).count() + (kind == Kind.REMINDER)
    chain_goes_on = level < last or reminders < settings.APPROVAL_REMINDERS
    email = approver_in_turn(task=task, level=level, at=now)
    with transaction.atomic():
        claimed = ApprovalTask.objects.filter(
            pk=task.pk, decision="", level=task.level, next_notification_at=task.next_notification_at
        ).update(
            level=level,
            next_notification_at=now + timedelta(minutes=task.escalate_after_minutes)
            if chain_goes_on
            else None,
        )
        if not claimed:
            return None
        ApprovalNotice.objects.create(task=task, email=email, level=level, kind=kind, created_at=now)
        from .tasks import send_approval_digests

        # The first order after a quiet interval goes out at once; a burst queues one sender.
        enqueue_once_on_commit(send_approval_digests, key=DIGEST_KICK)
    return email


def approvals_notify_due(*, now=None, limit: int = 500) -> int:
    """Take every due step of the chains (first approver, escalation, reminder); return how many were taken."""
    now = now or timezone.now()
    due = ApprovalTask.objects.filter(decision="", next_notification_at__lte=now).order_by(
        "next_notification_at"
    )
    taken = 0
    for task_id in due.values_list("pk", flat=True)[:limit]:
        try:
            taken += approval_notify_step(task_id=task_id, now=now) is not None
        except Exception:
            logger.exception(
                "Could not take the due step of approval task %s; the next run tries again.", task_id
            )
    return taken
