"""The approvers' digest e-mails: at most one e-mail per approver every APPROVAL_EMAIL_INTERVAL_MINUTES.

A step of the escalation chain (`orders.escalation.approval_notify_steps`) records a notice: which
order became whose, and why (new, escalated, reminder). The sender claims an approver's pending
notices under a lock on the approver's mailbox row, whose last sending time says whether the
interval has passed, so two workers never send one approver two e-mails in an interval. The
e-mail is sent after the claim commits; when it fails, the notices and the mailbox's time are
given back, and the next run sends them. Notices of orders decided meanwhile are dropped.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.selectors import mail_language
from authorization.models import ApprovalNotice, ApprovalTask, ApproverMailbox
from kit.admin_display import signed_percent
from kit.dates import time_zone
from kit.money import money

from .admin.display import human_duration
from .approvals import order_admin_url
from .decision_links import decision_link_url
from .explained import explanation_words
from .selectors import order_explanations
from .statuses import OrderStatus

logger = logging.getLogger(__name__)

# The orders an e-mail lists one by one, the longest waiting first; the rest are counted.
MOST_URGENT = 10


def digest_interval() -> timedelta:
    return timedelta(minutes=settings.APPROVAL_EMAIL_INTERVAL_MINUTES)


def queue_url() -> str:
    """The queue of what waits for the reader's decision, as the "needs my decision" filter shows it."""
    return settings.SITE_URL.rstrip("/") + reverse("admin:orders_waitingorder_changelist") + "?mine=yes"


def approval_digests_send(*, now=None) -> int:
    """Send each approver whose interval has passed a digest of their pending notices; return how many were sent."""
    now = now or timezone.now()
    recent = ApproverMailbox.objects.filter(last_sent_at__gt=now - digest_interval()).values("email")
    emails = (
        ApprovalNotice.objects.filter(sent_at__isnull=True)
        .exclude(email__in=recent)
        .values_list("email", flat=True)
        .distinct()
        .order_by()
    )
    sent = 0
    for email in list(emails):
        try:
            sent += approval_digest_send(email=email, now=now)
        except Exception:
            logger.exception("Could not e-mail %s a digest; its orders wait for the next run.", email)
    return sent


def approval_digest_send(*, email: str, now=None) -> bool:
    """Send `email` one digest of what became theirs, if their interval has passed; return whether one was sent."""
    now = now or timezone.now()
    ApproverMailbox.objects.get_or_create(email=email)
    with transaction.atomic():
        mailbox = (
            ApproverMailbox.objects.select_for_update(skip_locked=True)
            .filter(email=email)
            .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - digest_interval()))
            .first()
        )
        if mailbox is None:  # sent within the interval, or another worker is sending it now
            return False
        pending = ApprovalNotice.objects.filter(email=email, sent_at__isnull=True)
        pending.filter(
            ~Q(task__decision="") | ~Q(task__order__status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION)
        ).delete()
        notice_ids = list(pending.values_list("pk", flat=True))
        if not notice_ids:
            return False
        ApprovalNotice.objects.filter(pk__in=notice_ids).update(sent_at=now)
        previous = mailbox.last_sent_at
        ApproverMailbox.objects.filter(pk=mailbox.pk).update(last_sent_at=now)
    notices = list(
        ApprovalNotice.objects.filter(pk__in=notice_ids).select_related(
            "task__order__account", "task__order__connector"
        )
    )
    try:
        _mail(email=email, notices=notices, now=now)
    except Exception:
        with transaction.atomic():
            ApprovalNotice.objects.filter(pk__in=notice_ids, sent_at=now).update(sent_at=None)
            ApproverMailbox.objects.filter(pk=mailbox.pk, last_sent_at=now).update(last_sent_at=previous)
        raise
    _record_notified(email=email, notices=notices, now=now)
    return True


def _record_notified(*, email: str, notices: list[ApprovalNotice], now) -> None:
    """Write on each order's task that the digest sent at `now` listed it: its page and the queue show it."""
    first = {}
    for notice in notices:
        first.setdefault(notice.task_id, notice)
    with transaction.atomic():
        tasks = list(ApprovalTask.objects.select_for_update().filter(pk__in=first).order_by("pk"))
        for task in tasks:
            notice = first[task.pk]
            task.notified = [
                *task.notified,
                {
                    "level": notice.level,
                    "email": email,
                    "kind": notice.kind,
                    "at": now.isoformat(),
                    "digest": True,
                },
            ]
        ApprovalTask.objects.bulk_update(tasks, ["notified"])


def _mail(*, email: str, notices: list[ApprovalNotice], now) -> None:
    """E-mail the digest in the approver's own language, plain text and HTML."""
    with translation.override(mail_language(email=email)):
        context = digest_context(notices=notices, now=now, email=email)
        subject = render_to_string("admin/orders/email/digest_subject.txt", context).strip()
        text = render_to_string("admin/orders/email/digest.txt", context)
        html = render_to_string("admin/orders/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [email])
    message.attach_alternative(html, "text/html")
    message.send()


def digest_context(*, notices: list[ApprovalNotice], now, email: str | None = None) -> dict:
    """What a digest says, in the active language: how many orders became the approver's and why,
    and by account, in its currency and time zone, their paid total, the oldest wait and the most
    urgent orders, each with a link deciding it for `email` where its account has them on."""
    first = {}
    for notice in notices:  # an order listed once, for the first reason it became theirs
        first.setdefault(notice.task_id, notice)
    kinds = {task_id: notice.kind for task_id, notice in first.items()}
    tasks = {notice.task_id: notice.task for notice in notices}
    waiting = sorted(tasks.values(), key=lambda task: (task.order.created_at, task.pk))
    urgent = waiting[:MOST_URGENT]
    orders = [task.order for task in urgent]
    prefetch_related_objects(orders, "items")
    explanations = order_explanations(orders)
    groups = {}
    for task in waiting:
        account = task.order.account
        group = groups.setdefault(
            account.pk, {"account": account.name, "tasks": [], "orders": [], "account_obj": account}
        )
        group["tasks"].append(task)
        if task in urgent:
            entry = _entry(task, first[task.pk], explanations[task.order_id], now)
            entry["decide_url"] = decision_link_url(task=task, email=email, now=now) if email else None
            group["orders"].append(entry)
    counted = Counter(kinds.values())
    return {
        "count": len(tasks),
        "new": counted[ApprovalNotice.Kind.NEW],
        "escalated": counted[ApprovalNotice.Kind.ESCALATION],
        "reminders": counted[ApprovalNotice.Kind.REMINDER],
        "groups": [_group(group, now) for group in groups.values()],
        "several_accounts": len(groups) > 1,
        "listed": len(urgent),
        "queue_url": queue_url(),
        "interval_minutes": settings.APPROVAL_EMAIL_INTERVAL_MINUTES,
    }


def _group(group: dict, now) -> dict:
    account, tasks = group["account_obj"], group["tasks"]
    return {
        "account": group["account"],
        "count": len(tasks),
        "total_paid": money(sum(task.order.paid_value_cents or 0 for task in tasks), account.currency),
        "oldest_wait": human_duration(now - min(task.order.created_at for task in tasks)),
        "orders": group["orders"],
        "more": len(tasks) - len(group["orders"]),
    }


def _entry(task: ApprovalTask, notice: ApprovalNotice, explanation, now) -> dict:
    """One order of the digest, as `_order.txt` and `_order.html` show it: in its account's
    currency and time zone, naming the approver away whose turn the reader takes, if any."""
    order = task.order
    in_turn = task.approvers[notice.level] if notice.level < len(task.approvers) else notice.email
    currency = order.account.currency
    with timezone.override(time_zone(order.account.time_zone)):
        held_at = formats.date_format(timezone.localtime(order.created_at), "SHORT_DATETIME_FORMAT")
    return {
        "main_order_id": order.main_order_id,
        "connector": order.connector.name,
        "kind": ApprovalNotice.Kind(notice.kind).label,
        "covering_for": in_turn if in_turn.lower() != notice.email.lower() else "",
        "paid": money(order.paid_value_cents, currency),
        "seller": money(order.seller_value_cents, currency),
        "divergence": signed_percent(order.divergence_percent),
        "held_at": held_at,
        "waited": human_duration(now - order.created_at),
        "explanation": explanation_words(explanation, currency),
        "url": order_admin_url(order),
    }
