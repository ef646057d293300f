"""Absences in the approval chain: what an absence without a substitute would leave waiting with
no approver, and on whose behalf a substitute decides."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.absences import covered_by
from authorization.models import ApprovalTask

from .statuses import OrderStatus

# How many of the stranded orders a refusal names; the rest it counts.
NAMED_ORDERS = 5


def orders_left_without_approver(sender, *, account, email: str, away: frozenset[str], **kwargs) -> list[str]:
    """Answer `accounts.absences.absence_uncovered`: the orders now waiting whose every approver
    would be away, the absent one among them."""
    stranded = []
    for main_order_id, approvers in ApprovalTask.objects.filter(
        account=account, decision="", order__status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
    ).values_list("order__main_order_id", "approvers"):
        chain = {approver.lower() for approver in approvers or []}
        if email in chain and chain <= away:
            stranded.append(main_order_id)
    if not stranded:
        return []
    named = ", ".join(sorted(stranded)[:NAMED_ORDERS])
    if len(stranded) > NAMED_ORDERS:
        named = _("%(orders)s and %(more)d more") % {"orders": named, "more": len(stranded) - NAMED_ORDERS}
    return [
        ngettext(
            "%(who)s is the only approver left of order %(orders)s, waiting for a decision.",
            "%(who)s is the only approver left of orders %(orders)s, waiting for a decision.",
            len(stranded),
        )
        % {"who": email, "orders": named}
    ]


def on_behalf_of(*, user, order, task: ApprovalTask | None) -> str:
    """Whose turn the user takes in deciding the order: "" when they are on its band themselves,
    else the approver away they cover (the one whose turn it is, if they cover several)."""
    approvers = [email.lower() for email in (order.band or {}).get("approvers") or []]
    if (user.email or "").lower() in approvers:
        return ""
    covered = covered_by(user=user).get(order.account_id, frozenset())
    current = ((task.current_approver if task is not None else None) or "").lower()
    if current in covered and current in approvers:
        return current
    return next((email for email in approvers if email in covered), "")
