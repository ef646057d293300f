"""Celery tasks of authorization: e-mailing approvers along the escalation chain, and new members."""

from celery import shared_task

from kit.enqueue import requeue

from .approvals import approval_notify_step, approvals_notify_due
from .notices import member_added_notify, member_notices_due


@shared_task(acks_late=True, ignore_result=True)
def notify_approvers(task_id: int) -> str | None:
    return approval_notify_step(task_id=task_id)


@shared_task(ignore_result=True)
def escalate_approvals() -> int:
    return approvals_notify_due()


@shared_task(acks_late=True, ignore_result=True)
def notify_member_added(membership_id: int) -> bool:
    return member_added_notify(membership_id=membership_id)


@shared_task(ignore_result=True)
def sweep_member_notices() -> int:
    """Queue the e-mails of new members whose task was lost (the broker was down)."""
    return requeue(notify_member_added, member_notices_due(), what="new members' e-mails")
