"""Manual authorization: who may decide a held order, and the decision itself.

PRODUCT.md §6. A decision is recorded once: the order is locked, then its approval task (the
order every writer takes them in, `orders.locking`), the task is claimed with a compare-and-set,
and the order's status moves through the one transition function in the same transaction, so
two approvers acting at the same moment get one decision and one "already decided" answer, and
a decision racing a cancel waits for it instead of deadlocking with it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.roles import DECIDE_ORDER
from authorization.decision import OnDeadline
from authorization.models import ApprovalTask, DenyReason
from connectors.contract import APPROVE_ORDER, ContractError
from connectors.notifications import notification_enqueue
from kit.errors import DomainError
from kit.inserts import insert_many

from .absences import on_behalf_of
from .escalation import approval_first_steps, notices_record
from .events import Actor
from .locking import order_lock
from .reservations import OutOfStock, reservation_renew
from .services import TransitionRefused, order_transition, status_words
from .statuses import OrderStatus

logger = logging.getLogger(__name__)

# Who decides when a band's deadline passes: the actor of its decisions and events.
DEADLINE = "deadline"

# The longest note a denial takes; the connector is told it.
DENY_NOTE_MAX = 2000


class DecisionRefused(DomainError):
    """The order cannot be decided now, or not so."""

    code = "not_decidable"


class DecisionForbidden(DecisionRefused):
    """The user is not among the approvers of the band that held the order, or may not decide at all."""

    code = "permission_denied"
    status = 403

    def __init__(self, order):
        self.order = order
        self.approvers = ", ".join((order.band or {}).get("approvers") or []) or gettext("nobody")
        super().__init__(
            gettext("Only the approvers of the band that held order %(order)s may decide it.")
            % {"order": order.main_order_id}
        )


class AlreadyDecided(DecisionRefused):
    code = "already_decided"

    def __init__(self, task: ApprovalTask):
        self.task = task
        who = task.decided_by.email if task.decided_by else gettext("someone")
        if task.decided_by_deadline:
            who = gettext("the deadline")
        # The seller API says this too: one unambiguous time, to the second, with its zone.
        when = timezone.localtime(task.decided_at).strftime("%Y-%m-%d %H:%M:%S %Z") if task.decided_at else ""
        if task.decision == ApprovalTask.Decision.DENIED:
            text = gettext("Order %(order)s was already denied by %(who)s at %(when)s.")
        else:
            text = gettext("Order %(order)s was already approved by %(who)s at %(when)s.")
        super().__init__(text % {"order": task.order.main_order_id, "who": who, "when": when})

    def details(self) -> dict:
        task = self.task
        return {
            "decision": task.decision,
            "decidedBy": task.decided_by.email
            if task.decided_by
            else (DEADLINE if task.decided_by_deadline else None),
            "decidedAt": task.decided_at,
        }


def may_decide(*, user, order) -> bool:
    """The one rule: an active user with a deciding role whose e-mail is on the band that held the
    order, or who takes the turn of an approver of it who is away (`Order.permits`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return order.permits(user, DECIDE_ORDER) and user.has_perm(DECIDE_ORDER, order)


def approval_tasks_create(*, orders, bands=None) -> list[ApprovalTask]:
    """Open the approval tasks of orders entering a manual band, each already its first
    approver's (`orders.escalation.approval_first_steps`): the tasks and their notices in two
    statements, in the transaction that holds the orders. `bands` are their bands' (each order's
    own `band` when not given)."""
    if not orders:
        return []
    now = timezone.now()
    bands = bands if bands is not None else [order.band or {} for order in orders]
    tasks = [
        ApprovalTask(
            order=order,
            account_id=order.account_id,
            approvers=list(band.get("approvers") or []),
            escalate_after_minutes=int(band.get("escalateAfterMinutes") or 240),
            next_notification_at=now,
            deadline_at=_deadline_at(band, held_at=now),
        )
        for order, band in zip(orders, bands, strict=True)
    ]
    notices = approval_first_steps(tasks, now=now)
    insert_many(tasks)
    notices_record(notices)
    return tasks


def _deadline_at(band: dict, *, held_at):
    """When the band's deadline decides an order it holds from `held_at`; None when it keeps waiting."""
    minutes = band.get("deadlineMinutes")
    if (band.get("onDeadline") or OnDeadline.WAIT) == OnDeadline.WAIT or minutes is None:
        return None
    return held_at + timedelta(minutes=minutes)


def _claim(
    task: ApprovalTask,
    *,
    decision: str,
    user,
    reason_code: str = "",
    note: str = "",
    by_deadline: bool = False,
    behalf: str = "",
) -> None:
    now = timezone.now()
    claimed = ApprovalTask.objects.filter(pk=task.pk, decision="").update(
        decision=decision,
        decided_by=user,
        decided_by_deadline=by_deadline,
        decided_at=now,
        on_behalf_of=behalf,
        reason_code=reason_code,
        note=note,
        next_notification_at=None,
    )
    if not claimed:
        raise AlreadyDecided(ApprovalTask.objects.select_related("order", "decided_by").get(pk=task.pk))
    task.decision, task.decided_by, task.decided_at = decision, user, now
    task.reason_code, task.note, task.decided_by_deadline = reason_code, note, by_deadline
    task.on_behalf_of = behalf


def _by(actor: Actor, behalf: str) -> str:
    """Who decided, as the event's stored note says it (in English)."""
    return f"{actor.label} on behalf of {behalf}" if behalf else actor.label


def _behalf_data(behalf: str) -> dict:
    return {"onBehalfOf": behalf} if behalf else {}


def _task_of(order) -> ApprovalTask:
    task = ApprovalTask.objects.select_related("order", "decided_by").filter(order=order).first()
    if task is None:
        raise DecisionRefused(
            gettext("Order %(order)s is not waiting for manual authorization.")
            % {"order": order.main_order_id}
        )
    return task


def _check(*, order, user) -> ApprovalTask:
    """Lock the order, then its task (`orders.locking`); return the task if `user` may decide it now."""
    order_lock(order)
    if not may_decide(user=user, order=order):
        raise DecisionForbidden(order)
    return undecided_task(order)


def undecided_task(order) -> ApprovalTask:
    """The task of a locked order, if the order still waits for a decision; else why it does not."""
    task = _task_of(order)
    if task.decision:
        raise AlreadyDecided(task)
    if order.status != OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        raise DecisionRefused(
            gettext("Order %(order)s is %(status)s: it no longer waits for a decision.")
            % {"order": order.main_order_id, "status": status_words(order.status)}
        )
    return task


def _operation_id(order) -> str:
    latest = order.intake_records.order_by("-received_at", "-pk").first()
    return str(latest.operation_id) if latest else ""


@transaction.atomic
def order_approve(*, order, approver, note: str = ""):
    """Approve a held order: it moves on, and a marketplace approval asked for meanwhile is applied and notified."""
    task = _check(order=order, user=approver)
    behalf = on_behalf_of(user=approver, order=order, task=task)
    return approval_record(order=order, task=task, actor=Actor.of_user(approver), note=note, behalf=behalf)


def approval_record(*, order, task: ApprovalTask, actor: Actor, note: str = "", data=None, behalf: str = ""):
    """Record an approval of a locked, undecided order (`undecided_task`) by `actor`: a person
    (`actor.user`), on `behalf` of an approver away when they took that one's turn, or the band's
    deadline. Whoever decides, the consequences are the same."""
    _claim(
        task,
        decision=ApprovalTask.Decision.APPROVED,
        user=actor.user,
        note=note,
        by_deadline=actor.user is None,
        behalf=behalf,
    )
    if order.reservation_released_at is not None:
        try:
            reservation_renew(order=order, actor=actor, expires_at=timezone.now() + timedelta(days=1))
        except OutOfStock as short:
            raise DecisionRefused(
                gettext(
                    "Order %(order)s cannot be approved: its reservation ran out and SKU %(sku)s has no stock left."
                )
                % {"order": order.main_order_id, "sku": short.sku_id}
            ) from None
    apply_marketplace_approval = order.approval_requested_at is not None
    to_status = (
        OrderStatus.READY_FOR_HANDLING
        if apply_marketplace_approval or order.marketplace_approved
        else OrderStatus.PAYMENT_PENDING
    )
    _decided(
        order=order,
        to_status=to_status,
        actor=actor,
        kind="decision",
        note=f"Approved by {_by(actor, behalf)}." + (f" {note}" if note else ""),
        data={"decision": "approved", "note": note, **_behalf_data(behalf), **(data or {})},
        extra_updates={"marketplace_approved": True} if apply_marketplace_approval else None,
    )
    if apply_marketplace_approval:
        _notify(order, code="SOI002")
    return order


@transaction.atomic
def order_deny(*, order, approver, reason_code: str, note: str):
    """Deny a held order: it is canceled, its stock released, and the reason recorded (and told the connector).

    Who may decide is asked first: whoever may not hears that, not what the denial lacks.
    """
    task = _check(order=order, user=approver)
    if reason_code not in dict(DenyReason.chosen_by_people()):
        raise DecisionRefused(
            gettext("Choose a reason: %(reasons)s.")
            % {"reasons": ", ".join(dict(DenyReason.chosen_by_people()))}
        )
    if not note.strip():
        raise DecisionRefused(gettext("Say in a note why the order is denied: the connector is told."))
    if len(note) > DENY_NOTE_MAX:
        raise DecisionRefused(
            gettext("The note has %(length)d characters: say why in %(most)d or fewer.")
            % {"most": DENY_NOTE_MAX, "length": len(note)}
        )
    behalf = on_behalf_of(user=approver, order=order, task=task)
    return denial_record(
        order=order,
        task=task,
        actor=Actor.of_user(approver),
        reason_code=reason_code,
        note=note,
        behalf=behalf,
    )


def denial_record(
    *, order, task: ApprovalTask, actor: Actor, reason_code: str, note: str, data=None, behalf: str = ""
):
    """Record a denial of a locked, undecided order (`undecided_task`) by `actor`, a person (on
    `behalf` of an approver away, when they took that one's turn) or the band's deadline: canceled,
    its stock released, and the connector told when it asked to approve."""
    _claim(
        task,
        decision=ApprovalTask.Decision.DENIED,
        user=actor.user,
        reason_code=reason_code,
        note=note,
        by_deadline=actor.user is None,
        behalf=behalf,
    )
    # The event's stored note and the connector's error speak English (the contract's language);
    # the order page says the event in the reader's language from its data.
    with translation.override("en"):
        label = str(DenyReason(reason_code).label)
    _decided(
        order=order,
        to_status=OrderStatus.CANCELED,
        actor=actor,
        kind="decision",
        note=f"Denied by {_by(actor, behalf)}: {label}. {note}",
        data={
            "decision": "denied",
            "reasonCode": reason_code,
            "note": note,
            **_behalf_data(behalf),
            **(data or {}),
        },
    )
    if order.approval_requested_at is not None:
        _notify(
            order,
            code="EOI009",
            errors=[ContractError(reason_code.upper(), f"Denied by the seller ({label}): {note}")],
        )
    return order


def _decided(**transition) -> None:
    """Move the decided order on; an order that moved meanwhile is refused as not decidable."""
    try:
        order_transition(**transition)
    except TransitionRefused as refused:
        raise DecisionRefused(refused.message) from refused


def _notify(order, *, code: str, errors=None) -> None:
    notification_enqueue(
        connector=order.connector,
        account_name=order.account.name,
        flow=APPROVE_ORDER,
        code=code,
        marketplace_order_id=order.marketplace_order_id,
        operation_id=_operation_id(order),
        order=order,
        errors=errors,
        main_order_id=order.main_order_id,
        franchise_order_id=order.franchise_order_id or None,
    )


def order_admin_url(order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("admin:orders_order_change", args=[order.pk])
