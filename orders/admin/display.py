"""How the order page and the queue show a waiting order: time waited, stock reservation,
approvers notified, band."""

from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kit.admin_display import badge

from ..models import Order


def human_duration(delta: timedelta) -> str:
    """Say how long in the largest two units: "2 d 4 h", "3 h 12 min", "45 min"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def reservation_expired(order: Order, now=None) -> bool:
    """The stock reservation ran out: released by the sweep, or past its lockTTL and about to be."""
    if order.reservation_expired:
        return True
    now = now or timezone.now()
    return (
        order.reservation_released_at is None
        and order.reservation_expires_at is not None
        and order.reservation_expires_at <= now
    )


def reservation_left(order: Order, now=None):
    """Show the time left on the stock reservation, or a flag once it ran out."""
    now = now or timezone.now()
    if reservation_expired(order, now):
        return badge("canceled", "expired")
    if order.reservation_released_at is not None or order.reservation_expires_at is None:
        return "-"
    return f"{human_duration(order.reservation_expires_at - now)} left"


def approval_task_of(order: Order):
    try:
        return order.approval_task
    except ObjectDoesNotExist:
        return None


def approver_level_text(task) -> str:
    """Say who the order waits for: "2 of 2: bo@acme.example", or that nobody was asked yet."""
    if task is None:
        return "-"
    if task.level < 0 or not task.approvers:
        return "nobody notified yet"
    return f"{task.level + 1} of {len(task.approvers)}: {task.current_approver}"


def notified_emails(task) -> list[str]:
    """Return everyone notified about the order, first notified first."""
    emails = []
    for entry in (task.notified if task else []) or []:
        if entry.get("email") and entry["email"] not in emails:
            emails.append(entry["email"])
    return emails


def notified_at(entry: dict) -> str:
    """Show when a notification entry was sent, in the admin's time zone."""
    sent = parse_datetime(entry.get("at") or "")
    return f"{timezone.localtime(sent):%Y-%m-%d %H:%M}" if sent else ""


def band_range(band: dict | None) -> str:
    if not band:
        return "-"
    return f"{band['from']}–{band['to']} %"
