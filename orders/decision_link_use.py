"""Decisions from the e-mail: what following a link may do (`orders.decision_links` makes them).

Opening a link changes nothing (link scanners and previewers open links); its page's form posts
the decision, made as the link's approver by `order_approve` / `order_deny` — the one permission
rule and the task's compare-and-set — and the link is marked used in the same transaction. A link
is honoured only while its account has decisions from the e-mail on, until it expires, once, while
the order waits and its approver may decide it, and in a browser signed in as nobody else.
"""

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext

from accounts.absences import absence_in_force, covering_for
from accounts.models import Account
from authorization.models import ApprovalTask
from kit.errors import DomainError

from .approvals import AlreadyDecided, may_decide, order_approve, order_deny
from .locking import order_lock
from .models import DecisionLink, Order
from .services import status_words
from .statuses import OrderStatus

APPROVE, DENY = "approve", "deny"


class LinkRefused(DomainError):
    """What a link cannot do now, and why: its page says so and decides nothing."""

    code = "link_refused"
    status = 410


class LinkUnknown(LinkRefused):
    code = "link_unknown"
    status = 404

    def __init__(self):
        super().__init__(
            gettext(
                "This link is not one this site sent, or it was cut short. Open the order from the "
                "e-mail's other link and sign in to decide it."
            )
        )


class LinkNotYours(LinkRefused):
    """The link's approver may not decide the order now, or the browser is someone else's."""

    code = "permission_denied"
    status = 403


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def link_refusal(link: DecisionLink, *, user=None, now=None) -> LinkRefused | None:
    """Why the link cannot decide its order now, read from the database; None when it can.

    `user` is whoever the browser is signed in as, if anyone: a link is its approver's alone.
    """
    now = now or timezone.now()
    order, approver = link.order, link.approver
    task = ApprovalTask.objects.select_related("order", "decided_by").filter(order_id=order.pk).first()
    if task is not None and task.decision:
        return LinkRefused(AlreadyDecided(task).message)
    status = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
    if task is None or status != OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        return LinkRefused(
            gettext("Order %(order)s is %(status)s: it no longer waits for a decision.")
            % {"order": order.main_order_id, "status": status_words(status or "gone")}
        )
    used_at = DecisionLink.objects.filter(pk=link.pk).values_list("used_at", flat=True).first()
    if used_at is not None:
        return LinkRefused(gettext("This link was used at %(when)s.") % {"when": _moment(used_at)})
    if not Account.objects.filter(pk=order.account_id, email_decisions=True).exists():
        return LinkRefused(
            gettext(
                "Decisions from the e-mail are turned off for account %(account)s: open the order and "
                "sign in to decide it."
            )
            % {"account": order.account.name}
        )
    if link.expires_at <= now:
        return LinkRefused(
            gettext("This link expired at %(when)s: open the order and sign in to decide it.")
            % {"when": _moment(link.expires_at)}
        )
    if getattr(user, "is_authenticated", False) and user.pk != approver.pk:
        return LinkNotYours(
            gettext(
                "This link is %(approver)s's, and this browser is signed in as %(user)s: decide the "
                "order in the admin as yourself."
            )
            % {"approver": approver.email, "user": user.email}
        )
    if not may_decide(user=approver, order=order):
        return LinkNotYours(
            gettext("%(approver)s may no longer decide order %(order)s.")
            % {"approver": approver.email, "order": order.main_order_id}
        )
    return _away(link, now)


def _away(link: DecisionLink, now) -> LinkNotYours | None:
    """Refuse the link of an approver away now: their turn has passed on, and a link sent before
    the absence must not decide behind the substitute's back."""
    account_id, email = link.order.account_id, link.approver.email
    absence = absence_in_force(account_id=account_id, email=email, at=now)
    if absence is None:
        return None
    values = {"approver": email, "until": _moment(absence.ends_at)}
    covering = covering_for(account_id=account_id, email=email, at=now)
    if covering:
        return LinkNotYours(
            gettext(
                "%(approver)s is away until %(until)s: %(substitute)s decides in their place, and this "
                "link decides nothing meanwhile."
            )
            % {**values, "substitute": covering}
        )
    return LinkNotYours(
        gettext("%(approver)s is away until %(until)s: this link decides nothing meanwhile.") % values
    )


def decision_link_decide(
    *, link: DecisionLink, decision: str, reason_code: str = "", note: str = "", user=None
) -> Order:
    """Decide the link's order as its approver, and mark the link used in the same transaction.

    The order is locked first, as by every decision (`orders.locking`); what the link may do is
    judged again under the lock. Raise `LinkRefused`, or the decision's own refusals.
    """
    with transaction.atomic():
        order = order_lock(link.order)
        now = timezone.now()
        refusal = link_refusal(link, user=user, now=now)
        if refusal is not None:
            raise refusal
        if not DecisionLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
            raise LinkRefused(gettext("This link was used at %(when)s.") % {"when": _moment(now)})
        link.used_at = now
        if decision == APPROVE:
            return order_approve(order=order, approver=link.approver, note=note)
        return order_deny(order=order, approver=link.approver, reason_code=reason_code, note=note)
