"""Celery tasks of connectors: notification and hook delivery, their sweeps, the feed's retention.

Tasks take ids and re-read state.
"""

from celery import shared_task

from .failing import connectors_failing_sweep
from .feed import feed_items_purge
from .hook import hook_deliver, hook_deliveries_requeue_due
from .notifications import notification_deliver, notifications_deliver, notifications_requeue_due


@shared_task(acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    return notification_deliver(notification_id=notification_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    return notifications_deliver(notification_ids=notification_ids)


@shared_task(ignore_result=True)
def sweep_notifications() -> int:
    return notifications_requeue_due()


@shared_task(acks_late=True, ignore_result=True)
def deliver_hook(delivery_id: int) -> str:
    return hook_deliver(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def sweep_hook_deliveries() -> int:
    return hook_deliveries_requeue_due()


@shared_task(ignore_result=True)
def purge_feed_items() -> int:
    return feed_items_purge()


@shared_task(ignore_result=True)
def flag_failing_connectors() -> dict[str, int]:
    return connectors_failing_sweep()
