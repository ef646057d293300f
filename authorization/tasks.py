"""Celery tasks of authorization: e-mailing approvers along the escalation chain."""

from celery import shared_task

from .approvals import approval_notify_step, approvals_notify_due


@shared_task(acks_late=True, ignore_result=True)
def notify_approvers(task_id: int) -> str | None:
    return approval_notify_step(task_id=task_id)


@shared_task(ignore_result=True)
def escalate_approvals() -> int:
    return approvals_notify_due()
