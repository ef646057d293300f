"""Status changes: the one transition, and the services that move an order along with it.

Every status change goes through `order_transition`: it locks the order, checks the
transition table against the status it has then, changes the status with a compare-and-set,
and writes the event in the same transaction. Handling, invoicing, canceling and the invoices a
connector sends are built on it. Every service here locks the order first, and takes the rows it
locks in the one order `orders.locking` documents.
"""

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from authorization.models import ApprovalTask
from kit.errors import DomainError

from .events import Actor, order_event_add
from .locking import order_lock
from .models import Order, OrderEvent
from .reservations import _reservation_release, _reservation_sell
from .statuses import OrderStatus, can_transition


class TransitionRefused(DomainError):
    """The transition is not in the table, or the order moved on before us."""

    code = "wrong_status"

    def __init__(self, order: Order, to_status: str, current_status: str):
        self.order, self.to_status, self.current_status = order, to_status, current_status
        super().__init__(
            gettext("Order %(order)s is %(current)s; it cannot become %(to)s.")
            % {
                "order": order.main_order_id,
                "current": status_words(current_status),
                "to": status_words(to_status),
            }
        )


def status_words(status: str) -> str:
    """A status as a person reads it, in lower case for the middle of a sentence: "payment pending"."""
    try:
        return str(OrderStatus(status).label).lower()
    except ValueError:
        return gettext("gone") if status == "gone" else status


@transaction.atomic
def order_transition(
    *,
    order: Order,
    to_status: str,
    actor: Actor,
    note: str = "",
    data=None,
    extra_updates=None,
    kind: str = OrderEvent.Kind.STATUS,
) -> Order:
    """Move the order to `to_status`, or raise `TransitionRefused`.

    The order is locked and read again first, so the table judges the status it has, not one a
    request read before. `extra_updates` are field values written by the same update.
    """
    order_lock(order)
    return _transition(
        order=order,
        to_status=to_status,
        actor=actor,
        note=note,
        data=data,
        extra_updates=extra_updates,
        kind=kind,
    )


def _transition(
    *,
    order: Order,
    to_status: str,
    actor: Actor,
    note="",
    data=None,
    extra_updates=None,
    kind=OrderEvent.Kind.STATUS,
) -> Order:
    """`order_transition` for a caller holding the order's lock (`order_lock`)."""
    from_status = order.status
    if not can_transition(from_status, to_status):
        raise TransitionRefused(order, to_status, from_status)
    updates = {"status": to_status, "updated_at": timezone.now(), **(extra_updates or {})}
    changed = Order.objects.filter(pk=order.pk, status=from_status).update(**updates)
    if changed == 0:
        current = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        raise TransitionRefused(order, to_status, current or "gone")
    for field, value in updates.items():
        setattr(order, field, value)
    order_event_add(
        order=order,
        kind=kind,
        actor=actor,
        note=note,
        data=data,
        from_status=from_status,
        to_status=to_status,
    )
    if to_status in (OrderStatus.CANCELED,):
        _reservation_release(order=order, actor=actor, note="Order canceled.")
    return order


# Handling and invoicing -----------------------------------------------------------------------


@transaction.atomic
def order_start_handling(*, order: Order, actor: Actor) -> Order:
    """Start handling an order that is ready for it (ready-for-handling → handling)."""
    order_lock(order)
    return _start_handling(order=order, actor=actor)


def _start_handling(*, order: Order, actor: Actor) -> Order:
    return _transition(order=order, to_status=OrderStatus.HANDLING, actor=actor, note="Handling started.")


class InvoiceNumberMissing(DomainError, ValueError):
    code = "invalid"
    status = 400

    def __init__(self):
        super().__init__(
            gettext("Give the invoice number to mark the order invoiced."), field="invoice_number"
        )


@transaction.atomic
def order_invoice(*, order: Order, actor: Actor, invoice_number: str) -> Order:
    """Mark a handled order invoiced (handling → invoiced); its reserved units leave stock as sold."""
    invoice_number = (invoice_number or "").strip()
    if not invoice_number:
        raise InvoiceNumberMissing()
    order_lock(order)
    return _invoice(order=order, actor=actor, invoice_number=invoice_number)


def _invoice(*, order: Order, actor: Actor, invoice_number: str) -> Order:
    _transition(
        order=order,
        to_status=OrderStatus.INVOICED,
        actor=actor,
        note=f"Invoiced: invoice {invoice_number}.",
        data={"invoiceNumber": invoice_number},
    )
    _reservation_sell(order=order, actor=actor)
    return order


# Canceling, and invoices a connector sends -----------------------------------------------------


class ActionRefused(DomainError):
    """The order's status does not allow what was asked; the message says why and what to do instead."""

    code = "wrong_status"

    def __init__(self, order: Order, message: str):
        self.order = order
        super().__init__(message)


@dataclass(frozen=True)
class Receipt:
    """What the connector gets back for a cancellation or an invoice: when, which order, a receipt code."""

    order_id: str
    date: object
    receipt: str


def _receipt_of(event: OrderEvent) -> Receipt:
    # A cancellation that came another way (a denial) has no stored receipt: derive a stable one.
    code = (event.data or {}).get("receipt") or uuid.uuid5(uuid.NAMESPACE_URL, f"order-event:{event.pk}").hex
    return Receipt(order_id=event.order.main_order_id, date=event.created_at, receipt=code)


def _cancellation(order: Order) -> OrderEvent:
    return order.events.filter(to_status=OrderStatus.CANCELED).order_by("pk").first()


@transaction.atomic
def order_cancel(*, order: Order, actor: Actor, reason: str = "") -> Receipt:
    """Cancel an order that is not invoiced: its stock is released and the event carries a receipt.

    Canceling a canceled order changes nothing and answers the first cancellation's receipt.
    An invoiced order raises `ActionRefused`: it takes a return invoice instead.
    """
    order_lock(order)
    if order.status == OrderStatus.CANCELED:
        return _receipt_of(_cancellation(order))
    if order.status == OrderStatus.INVOICED:
        raise ActionRefused(
            order,
            f"Order {order.main_order_id} is invoiced and cannot be canceled: send a return invoice "
            "(type Input) instead.",
        )
    _transition(
        order=order,
        to_status=OrderStatus.CANCELED,
        actor=actor,
        note=f"Canceled: {reason}" if reason else "Canceled.",
        data={"reason": reason, "receipt": uuid.uuid4().hex},
    )
    # Nobody is to be reminded of a decision the order no longer waits for.
    ApprovalTask.objects.filter(order=order, decision="").update(next_notification_at=None)
    return _receipt_of(_cancellation(order))


INVOICE_OUTPUT, INVOICE_INPUT = "Output", "Input"


@transaction.atomic
def order_invoice_record(*, order: Order, actor: Actor, invoice: dict) -> Receipt:
    """Record an invoice a connector sends (`invoiceNumber`, `invoiceValue`, `type`, ...).

    An Output (sale) invoice makes a handled order invoiced, starting handling first when the
    order is ready for it; sent again with the same number, it only gets a new receipt. An
    Input (return) invoice is recorded on an invoiced order. Anything else raises `ActionRefused`.
    """
    number = invoice["invoiceNumber"]
    order_lock(order)
    if invoice["type"] == INVOICE_OUTPUT:
        if order.status == OrderStatus.INVOICED:
            invoiced = order.events.filter(to_status=OrderStatus.INVOICED).order_by("pk").first()
            invoiced_as = (invoiced.data or {}).get("invoiceNumber") if invoiced else None
            if number != invoiced_as:
                raise ActionRefused(
                    order, f"Order {order.main_order_id} is already invoiced, with invoice {invoiced_as}."
                )
        elif order.status in (OrderStatus.READY_FOR_HANDLING, OrderStatus.HANDLING):
            if order.status == OrderStatus.READY_FOR_HANDLING:
                _start_handling(order=order, actor=actor)
            _invoice(order=order, actor=actor, invoice_number=number.strip())
        else:
            raise ActionRefused(
                order,
                f"Order {order.main_order_id} is {order.status}: order status should be ready-for-handling or "
                "handling to be invoiced.",
            )
    elif order.status != OrderStatus.INVOICED:
        raise ActionRefused(
            order,
            f"Order {order.main_order_id} is {order.status}: a return invoice (type Input) is for invoiced "
            "orders; cancel it instead.",
        )
    receipt = uuid.uuid4().hex
    kind = "return invoice" if invoice["type"] == INVOICE_INPUT else "invoice"
    event = order_event_add(
        order=order,
        kind=OrderEvent.Kind.NOTE,
        actor=actor,
        note=f"The {kind} {number} of {invoice['invoiceValue']} cents was received; receipt {receipt}.",
        data={"invoice": invoice, "receipt": receipt},
    )
    return _receipt_of(event)
