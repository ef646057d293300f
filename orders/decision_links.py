"""Decisions from the e-mail: the link made for one approver and one order, and finding it again.

A link is a random token of 256 bits, kept only as its SHA-256 digest, bound to one approver and
one order, and valid until the order's next escalation (24 hours at most). What following it may
do is `orders.decision_link_use`; its page is `orders.decision_link_views`.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.selectors import user_by_email
from accounts.services import token_digest
from authorization.models import ApprovalTask

from .models import DecisionLink

LIFETIME = timedelta(hours=24)


def decision_link_url(*, task: ApprovalTask, email: str, now=None) -> str | None:
    """Make a link for `email` to decide the task's order; None when the account has decisions from
    the e-mail off, the e-mail is no active user's, or the order is decided.

    The link expires at the task's next e-mail (the order's next escalation or reminder), 24 hours
    at most; it is read from the database, where the step sending this e-mail has just set it.
    """
    now = now or timezone.now()
    order = task.order
    if not Account.objects.filter(pk=order.account_id, email_decisions=True).exists():
        return None
    approver = user_by_email(email=email)
    if approver is None or not approver.is_active:
        return None
    state = ApprovalTask.objects.filter(pk=task.pk).values("decision", "next_notification_at").first()
    if state is None or state["decision"]:
        return None
    next_email = state["next_notification_at"]
    if next_email is None:  # the chain has sent its last reminder: no further e-mail comes
        next_email = now + LIFETIME
    elif next_email <= now:  # its next step is due and not yet taken: one escalation away
        next_email = now + timedelta(minutes=task.escalate_after_minutes)
    token = secrets.token_urlsafe(32)
    DecisionLink.objects.create(
        order=order,
        approver=approver,
        token_digest=token_digest(token),
        expires_at=min(next_email, now + LIFETIME),
    )
    return settings.SITE_URL.rstrip("/") + reverse("decide", args=[token])


def decision_link_of(token: str) -> DecisionLink | None:
    """The link whose token this is, with its order and approver; None for a token never issued."""
    return (
        DecisionLink.objects.select_related("order__account", "order__connector", "approver")
        .filter(token_digest=token_digest(token))
        .first()
    )
