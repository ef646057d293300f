"""Celery tasks of accounts: telling new members who added them.

A message queued under the tasks' names of before the move (`authorization.tasks.…`) finds no
task; its membership keeps `notice_pending`, so `sweep_member_notices` sends the e-mail anyway.
"""

from celery import shared_task

from kit.enqueue import requeue

from .notices import member_added_notify, member_notices_due


@shared_task(acks_late=True, ignore_result=True)
def notify_member_added(membership_id: int) -> bool:
    return member_added_notify(membership_id=membership_id)


@shared_task(ignore_result=True)
def sweep_member_notices() -> int:
    """Queue the e-mails of new members whose task was lost (the broker was down)."""
    return requeue(notify_member_added, member_notices_due(), what="new members' e-mails")
