"""The marketplace approves an order (PUT /orders/status): a submission of the approve-order flow."""

from django.utils import timezone

from connectors.contract import APPROVE_ORDER, ContractError
from connectors.notifications import notifications_enqueue

from ..events import Actor, connector_actor, order_event_add
from ..locking import order_lock
from ..models import IntakeRecord, Order, OrderEvent
from ..services import order_transition
from ..statuses import IntakeStatus, OrderStatus
from .plan import Rejection
from .publish import notification_of, rejection_notification
from .write import finish


def intake_approve(intake: IntakeRecord) -> None:
    """Apply the marketplace's approval the submission carries, and tell the connector what came of it."""
    order = Order.objects.filter(
        connector=intake.connector, marketplace_order_id=intake.marketplace_order_id
    ).first()
    if order is None:
        _reject(
            intake,
            Rejection(
                "EOI008",
                [ContractError("EOI008", f"Order {intake.marketplace_order_id} is not integrated yet")],
            ),
        )
        return
    result = order_marketplace_approve(order=order, actor=connector_actor(intake.connector))
    if result == "refused":
        _reject(
            intake,
            Rejection(
                "EOI009",
                [
                    ContractError(
                        "EOI009", f"Order {order.main_order_id} is {order.status} and cannot be approved"
                    )
                ],
            ),
        )
        return
    code = "EOI011" if result == "remembered" else "SOI002"
    finish(
        intake,
        status=IntakeStatus.INTEGRATED if code == "SOI002" else IntakeStatus.REJECTED,
        code=code,
        order=order,
    )
    notifications_enqueue([notification_of(intake, code=code, flow=APPROVE_ORDER, order=order)])


def _reject(intake: IntakeRecord, rejection: Rejection) -> None:
    finish(intake, status=IntakeStatus.REJECTED, code=rejection.code, errors=rejection.errors)
    notifications_enqueue([rejection_notification(intake, rejection)])


def order_marketplace_approve(*, order: Order, actor: Actor) -> str:
    """Apply the marketplace's approval; return "approved", "remembered" (waiting for the seller) or "refused".

    Call it in a transaction: the order is locked (`orders.locking`) and judged as it is then.
    """
    order_lock(order)
    if order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        if order.approval_requested_at is None:
            Order.objects.filter(pk=order.pk).update(approval_requested_at=timezone.now())
            order_event_add(
                order=order,
                kind=OrderEvent.Kind.APPROVAL_REQUESTED,
                actor=actor,
                note="The marketplace asked to approve: applied once the order is authorized.",
            )
        return "remembered"
    if order.status == OrderStatus.PAYMENT_PENDING:
        order_transition(
            order=order,
            to_status=OrderStatus.READY_FOR_HANDLING,
            actor=actor,
            note="Approved by the marketplace.",
            extra_updates={"marketplace_approved": True},
        )
        return "approved"
    if order.marketplace_approved and order.status in (
        OrderStatus.READY_FOR_HANDLING,
        OrderStatus.HANDLING,
        OrderStatus.INVOICED,
    ):
        return "approved"
    return "refused"
