"""Publish: what a processed submission tells the connector, and what it keeps of its decision.

Built here, not saved: the write stage saves them with everything else of the batch, so the
notifications (an outbox, delivered after commit) and the decision records commit with it.
"""

from connectors.contract import APPROVE_ORDER, PLACE_ORDER
from connectors.notifications import notification_build

from ..events import connector_actor, order_event_build
from ..models import IntakeRecord, Order, OrderEvent
from ..signals import ItemFacts
from ..statuses import OrderStatus
from .decide import Decided
from .plan import Rejection


def notification_of(
    intake: IntakeRecord, *, code: str, flow: str, errors=None, order: Order | None = None, message=None
):
    return notification_build(
        connector=intake.connector,
        account_name=intake.account.name,
        flow=flow,
        code=code,
        marketplace_order_id=intake.marketplace_order_id,
        operation_id=str(intake.operation_id),
        order=order,
        intake=intake,
        errors=errors,
        main_order_id=order.main_order_id if order else None,
        franchise_order_id=(order.franchise_order_id or None) if order else None,
        message=message,
    )


def rejection_notification(intake: IntakeRecord, rejection: Rejection):
    """The notification of a submission refused: its code and why."""
    flow = PLACE_ORDER if intake.flow == PLACE_ORDER else APPROVE_ORDER
    return notification_of(
        intake, code=rejection.code, flow=flow, errors=rejection.errors, message=rejection.message
    )


def integration_notifications(intake: IntakeRecord, order: Order) -> tuple[list, list[OrderEvent]]:
    """The notifications of an integrated order, and the event that a remembered approval
    writes, neither saved yet: SOI001, then SOI002 when it was posted approved and is
    authorized, or EOI011 when it waits for the seller."""
    notifications = [notification_of(intake, code="SOI001", flow=PLACE_ORDER, order=order)]
    if str(intake.body["marketplaceOrderStatus"]).lower() != "approved":
        return notifications, []
    if order.status != OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        return [*notifications, notification_of(intake, code="SOI002", flow=APPROVE_ORDER, order=order)], []
    remembered = order_event_build(
        order=order,
        kind=OrderEvent.Kind.APPROVAL_REQUESTED,
        actor=connector_actor(intake.connector),
        note="Posted as approved: applied once the order is authorized.",
    )
    return [*notifications, notification_of(intake, code="EOI011", flow=APPROVE_ORDER, order=order)], [
        remembered
    ]


def record_facts(intake: IntakeRecord, decided: Decided, order: Order | None = None) -> dict:
    """What is kept of a decided submission (`orders.signals.submissions_decided`)."""
    return {
        "intake": intake,
        "facts": decided.facts,
        "submission": decided.submission,
        "paid_value_cents": decided.values["paid_value_cents"],
        "seller_value_cents": decided.values["seller_value_cents"],
        "items": [
            ItemFacts(item.sku_id, item.quantity, item.price_cents, item.seller_sku.price_cents)
            for item in decided.plan.items
        ],
        "order": order,
    }
