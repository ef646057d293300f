"""Writes to orders: the one transition function, events, reservations, reprocessing.

Every status change goes through `order_transition`: it locks the order, checks the
transition table against the status it has then, changes the status with a compare-and-set,
and writes the event in the same transaction. Every service here that changes an existing
order locks it first, and takes the rows it locks in the one order `orders.locking` documents.
"""

import uuid
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from authorization.models import ApprovalTask
from catalog.models import Stock
from connectors.status_changes import order_events_publish
from kit.enqueue import enqueue_on_commit
from kit.errors import DomainError
from kit.inserts import insert

from .locking import order_lock, stocks_lock
from .models import IntakeRecord, Order, OrderEvent
from .signals import order_events_saved
from .statuses import RESERVATION_TTL_STATUSES, IntakeStatus, OrderStatus, can_transition


@dataclass(frozen=True)
class Actor:
    """Who acts: a user, or the system or a connector named by `label`."""

    label: str
    user: object | None = None

    @classmethod
    def of_user(cls, user) -> "Actor":
        return cls(label=user.email or user.get_username(), user=user)


SYSTEM = Actor(label="system")


def connector_actor(connector) -> Actor:
    return Actor(label=f"connector {connector.name} ({connector.affiliate_id})")


class TransitionRefused(DomainError):
    """The transition is not in the table, or the order moved on before us."""

    code = "wrong_status"

    def __init__(self, order: Order, to_status: str, current_status: str):
        self.order, self.to_status, self.current_status = order, to_status, current_status
        super().__init__(
            gettext("Order %(order)s is %(current)s; it cannot become %(to)s.")
            % {"order": order.main_order_id, "current": current_status, "to": to_status}
        )


def order_event_build(
    *, order: Order, kind: str, actor: Actor, note: str = "", data=None, from_status="", to_status=""
) -> OrderEvent:
    """An event of the order, not saved yet: `order_events_save` writes it."""
    return OrderEvent(
        order=order,
        kind=kind,
        actor=actor.user,
        actor_label=actor.label,
        note=note,
        data=data or {},
        from_status=from_status,
        to_status=to_status,
    )


# No savepoint: nobody goes on after a failed event insert, so it would only add two round trips
# to every order's transaction.
@transaction.atomic(savepoint=False)
def order_events_save(events: list[OrderEvent]) -> list[OrderEvent]:
    """Write the events in one statement; in the same transaction their status changes enter
    their connectors' feed and hook outboxes, and the apps that follow orders are told
    (`orders.signals.order_events_saved`: orders leaving the queue leave insight's pictures)."""
    OrderEvent.objects.bulk_create(events)
    order_events_publish(events=events)
    order_events_saved.send(sender=OrderEvent, events=events)
    return events


def order_event_add(
    *, order: Order, kind: str, actor: Actor, note: str = "", data=None, from_status="", to_status=""
) -> OrderEvent:
    event = order_event_build(
        order=order,
        kind=kind,
        actor=actor,
        note=note,
        data=data,
        from_status=from_status,
        to_status=to_status,
    )
    return order_events_save([event])[0]


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


class OutOfStock(DomainError):
    code = "out_of_stock"

    def __init__(self, sku_id: str):
        self.sku_id = sku_id
        super().__init__(gettext("No stock left for SKU %(sku)s.") % {"sku": sku_id})


def stock_reserve(*, stock_id: int, quantity: int) -> bool:
    """Reserve `quantity` units of a stock row, never beyond what is on hand; False when short."""
    return stocks_reserve({stock_id: quantity})


def stocks_reserve(quantities: dict[int, int]) -> bool:
    """Reserve units of several stock rows at once ({stock id: units}), all or none of them, in
    one statement; False when any row is short (the caller's transaction then takes it back)."""
    if not quantities:
        return True
    if len(quantities) > 1:
        # One UPDATE locks its rows in the order it finds them: take them by key first.
        stocks_lock(quantities)
    enough = Q()
    for stock_id, quantity in quantities.items():
        enough |= Q(pk=stock_id, quantity__gte=F("reserved") + quantity)
    added = Case(*(When(pk=stock_id, then=Value(quantity)) for stock_id, quantity in quantities.items()))
    return Stock.objects.filter(enough).update(reserved=F("reserved") + added) == len(quantities)


def stock_unreserve(*, stock_id: int, quantity: int) -> None:
    Stock.objects.filter(pk=stock_id, reserved__gte=quantity).update(reserved=F("reserved") - quantity)


@transaction.atomic
def reservation_release(*, order: Order, actor: Actor, note: str, expired: bool = False) -> bool:
    """Give the order's reserved units back to stock, once; return False when nothing was held."""
    order_lock(order)
    return _reservation_release(order=order, actor=actor, note=note, expired=expired)


def _reservation_release(*, order: Order, actor: Actor, note: str, expired: bool = False) -> bool:
    now = timezone.now()
    claimed = Order.objects.filter(pk=order.pk, reservation_released_at__isnull=True).update(
        reservation_released_at=now, reservation_expired=expired
    )
    if not claimed:
        return False
    order.reservation_released_at, order.reservation_expired = now, expired
    items = list(order.items.filter(reserved_quantity__gt=0, stock__isnull=False).order_by("stock_id"))
    for item in items:
        stock_unreserve(stock_id=item.stock_id, quantity=item.reserved_quantity)
    order.items.filter(pk__in=[item.pk for item in items]).update(reserved_quantity=0)
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.RESERVATION,
        actor=actor,
        note=note,
        data={"released": [{"sku": item.sku_id, "quantity": item.reserved_quantity} for item in items]},
    )
    return True


@transaction.atomic
def reservation_renew(*, order: Order, actor: Actor, expires_at) -> None:
    """Reserve the order's items again after its reservation ran out; raise `OutOfStock` naming the SKU."""
    order_lock(order)
    items = list(order.items.select_related("stock").order_by("stock_id"))
    for item in items:
        if item.stock_id is None:
            raise OutOfStock(item.sku_id)
        if not stock_reserve(stock_id=item.stock_id, quantity=item.quantity):
            raise OutOfStock(item.sku_id)
        item.reserved_quantity = item.quantity
        item.save(update_fields=["reserved_quantity"])
    Order.objects.filter(pk=order.pk).update(
        reservation_released_at=None, reservation_expired=False, reservation_expires_at=expires_at
    )
    order.reservation_released_at, order.reservation_expired, order.reservation_expires_at = (
        None,
        False,
        expires_at,
    )
    order_event_add(order=order, kind=OrderEvent.Kind.RESERVATION, actor=actor, note="Stock reserved again.")


def reservations_expire(*, now=None, limit: int = 500) -> int:
    """Release reservations whose lockTTL ran out on orders still waiting; return how many."""
    now = now or timezone.now()
    due = Order.objects.filter(
        status__in=RESERVATION_TTL_STATUSES,
        reservation_released_at__isnull=True,
        reservation_expires_at__lte=now,
    ).order_by("reservation_expires_at")[:limit]
    return sum(reservation_expire(order=order, now=now) for order in due)


@transaction.atomic
def reservation_expire(*, order: Order, now) -> bool:
    """Release the order's reservation if its lockTTL has run out while it waits; False otherwise.

    Judged under the order's lock: an approval may have renewed the reservation, or moved the
    order on, since the expiry found it due.
    """
    order_lock(order)
    due = (
        order.status in RESERVATION_TTL_STATUSES
        and order.reservation_released_at is None
        and order.reservation_expires_at is not None
        and order.reservation_expires_at <= now
    )
    if not due:
        return False
    return _reservation_release(
        order=order, actor=SYSTEM, note="The stock reservation ran out (lockTTL).", expired=True
    )


@transaction.atomic
def intake_reprocess(*, intake: IntakeRecord, actor: Actor, ignore_divergence: bool = False) -> bool:
    """Send a held, rejected or failed submission through processing again; False if it moved on."""
    changed = IntakeRecord.objects.filter(
        pk=intake.pk, status__in=[IntakeStatus.HELD, IntakeStatus.REJECTED, IntakeStatus.FAILED]
    ).update(
        status=IntakeStatus.RECEIVED,
        ignore_divergence=ignore_divergence,
        reprocessed_by=actor.user,
        reprocessed_at=timezone.now(),
        lease_until=None,
        held_until_rule=False,
    )
    if changed:
        from .tasks import process_intake

        enqueue_on_commit(process_intake, intake.pk)
    return bool(changed)


def intake_receive(
    *, connector, account, flow: str, body: dict, body_digest: str
) -> tuple[IntakeRecord, bool]:
    """Store a submission and queue its processing after commit; return (record, created).

    An exact replay of a placed order finds the record already there and starts nothing,
    also when two identical requests race each other (the unique constraint decides).
    """
    from .intake.pipeline import intake_kick

    intake = IntakeRecord(
        account=account,
        connector=connector,
        flow=flow,
        marketplace_order_id=str(body.get("marketplaceOrderId", "")),
        body=body,
        body_digest=body_digest,
    )
    try:
        # In a caller's transaction, a savepoint keeps it usable after a replay's IntegrityError;
        # otherwise the INSERT commits by itself, a round trip less than BEGIN … COMMIT.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            if connection.vendor == "postgresql":
                insert(intake)  # the statement built once: the order API's hottest write
            else:
                intake.save(force_insert=True)
            intake_kick()  # after the commit
        return intake, True
    except IntegrityError:
        return IntakeRecord.objects.get(connector=connector, flow=flow, body_digest=body_digest), False


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


def _reservation_sell(*, order: Order, actor: Actor) -> bool:
    """Take the order's reserved units out of stock for good, once; return False when nothing was held."""
    now = timezone.now()
    claimed = Order.objects.filter(pk=order.pk, reservation_released_at__isnull=True).update(
        reservation_released_at=now
    )
    if not claimed:
        return False
    order.reservation_released_at = now
    items = list(order.items.filter(reserved_quantity__gt=0, stock__isnull=False).order_by("stock_id"))
    for item in items:
        Stock.objects.filter(
            pk=item.stock_id, reserved__gte=item.reserved_quantity, quantity__gte=item.reserved_quantity
        ).update(
            quantity=F("quantity") - item.reserved_quantity, reserved=F("reserved") - item.reserved_quantity
        )
    order.items.filter(pk__in=[item.pk for item in items]).update(reserved_quantity=0)
    order_event_add(
        order=order,
        kind=OrderEvent.Kind.RESERVATION,
        actor=actor,
        note="Reserved stock sold with the invoice.",
        data={"sold": [{"sku": item.sku_id, "quantity": item.reserved_quantity} for item in items]},
    )
    return True


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
