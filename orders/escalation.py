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
from django.db.models import Count
from django.utils import timezone

from accounts.absences import turn_takers
from authorization.models import ApprovalNotice, ApprovalTask
from kit.enqueue import enqueue_once_on_commit
from kit.inserts import insert_many, update_many

logger = logging.getLogger(__name__)

# The once-mark of the digest sender queued when a notice is recorded (`kit.enqueue`).
DIGEST_KICK = "approval-digests"


def approver_in_turn(*, task: ApprovalTask, level: int, at, takers=None) -> str:
    """The e-mail whose turn level `level` of the task's chain is at `at`.

    The approver's own, or whoever takes their turn while they are away (`accounts.absences`);
    an approver away without a substitute passes it to the next level's. When nobody from that
    level on is in, the level's own approver is e-mailed still: the order waits for them.
    `takers`: `turn_takers` of the task's account at `at`, when already read.
    """
    takers = takers or turn_takers(account_ids=[task.account_id], at=at)
    for email in task.approvers[level:]:
        taker = takers(task.account_id, email)
        if taker:
            return taker
    return task.approvers[level]


def approval_notify_steps(*, task_ids, now=None) -> dict[int, str]:
    """Pass each due task among `task_ids` to its next approver; return {task id: whom}.

    The due tasks are claimed by their row locks (`SKIP LOCKED`: one another scheduler holds is
    its to take), and their notices (what became whose, for the approver's next digest:
    `orders.approval_mail`) are written in the same transaction, so two schedulers never record
    the same step twice. The last approver is reminded after each further delay,
    APPROVAL_REMINDERS times at most. Five statements whatever the number of tasks.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = ApprovalTask.objects.select_for_update(skip_locked=True, no_key=True).filter(
            pk__in=list(task_ids), decision="", next_notification_at__lte=now
        )
        tasks = [task for task in due.order_by("pk") if task.approvers]
        if not tasks:
            return {}
        at_last = [task.pk for task in tasks if task.level + 1 >= len(task.approvers) - 1]
        reminded = dict(
            ApprovalNotice.objects.filter(task__in=at_last, kind=ApprovalNotice.Kind.REMINDER)
            .values("task")
            .annotate(count=Count("pk"))
            .values_list("task", "count")
        )
        takers = turn_takers(account_ids=[task.account_id for task in tasks], at=now)
        notices = [_step(task, now=now, takers=takers, reminded=reminded.get(task.pk, 0)) for task in tasks]
        update_many(tasks, ["level", "next_notification_at"])
        notices_record(notices)
    return {notice.task_id: notice.email for notice in notices}


def approval_first_steps(tasks, *, now) -> list[ApprovalNotice]:
    """The first step of approval tasks being opened (not saved yet), taken as they are: each
    becomes its first approver's (or whoever covers for them) in the transaction that holds its
    order. Returns the notices, for `notices_record` once the tasks are saved."""
    tasks = [task for task in tasks if task.approvers]
    if not tasks:
        return []
    takers = turn_takers(account_ids=[task.account_id for task in tasks], at=now)
    return [_step(task, now=now, takers=takers, reminded=0) for task in tasks]


def _step(task: ApprovalTask, *, now, takers, reminded: int) -> ApprovalNotice:
    """Move the task one step along its chain (`reminded`: the reminders it had) and return the
    notice of that step for its approver in turn, not saved."""
    Kind = ApprovalNotice.Kind
    last = len(task.approvers) - 1
    level = min(task.level + 1, last)
    kind = Kind.NEW if task.level < 0 else (Kind.ESCALATION if task.level < last else Kind.REMINDER)
    chain_goes_on = level < last or reminded + (kind == Kind.REMINDER) < settings.APPROVAL_REMINDERS
    email = approver_in_turn(task=task, level=level, at=now, takers=takers)
    task.level = level
    task.next_notification_at = (
        now + timedelta(minutes=task.escalate_after_minutes) if chain_goes_on else None
    )
    return ApprovalNotice(task=task, email=email, level=level, kind=kind, created_at=now)


def notices_record(notices: list[ApprovalNotice]) -> None:
    """Insert the notices of steps taken, and have the digests sent once the transaction commits."""
    if not notices:
        return
    insert_many(notices)
    from .tasks import send_approval_digests  # the tasks module imports this one

    # The first order after a quiet interval goes out at once; a burst queues one sender.
    enqueue_once_on_commit(send_approval_digests, key=DIGEST_KICK)


def approvals_notify(*, task_ids, now=None) -> int:
    """`approval_notify_steps`, each task alone when they fail together, so one task that cannot
    be taken holds back no other (it keeps its due time: the next run tries again); return how
    many were taken."""
    task_ids = list(task_ids)
    try:
        return len(approval_notify_steps(task_ids=task_ids, now=now))
    except Exception:
        if len(task_ids) != 1:
            logger.warning("Could not take %s due steps together; each is tried alone.", len(task_ids))
        else:
            logger.exception(
                "Could not take the due step of approval task %s; the next run tries again.", *task_ids
            )
            return 0
    return sum(approvals_notify(task_ids=[task_id], now=now) for task_id in task_ids)


def approvals_notify_due(*, now=None, limit: int = 500) -> int:
    """Take every due step of the chains (first approver, escalation, reminder); return how many were taken."""
    now = now or timezone.now()
    due = ApprovalTask.objects.filter(decision="", next_notification_at__lte=now).order_by(
        "next_notification_at"
    )
    return approvals_notify(task_ids=due.values_list("pk", flat=True)[:limit], now=now)
