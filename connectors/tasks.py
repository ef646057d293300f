"""Celery tasks of connectors: notification delivery and its sweep. Tasks take ids and re-read state."""

from celery import shared_task

from .notifications import notification_deliver, notifications_requeue_due


@shared_task(acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    return notification_deliver(notification_id=notification_id)


@shared_task(ignore_result=True)
def sweep_notifications() -> int:
    return notifications_requeue_due()
