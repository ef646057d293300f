"""The previous fulfillment protocol's writes: place a fulfillment order, authorize its dispatch.

A fulfillment order goes through the same intake, planning, rule and notifications as the order
API (`connector_api.fulfillment_body.as_order_body`); refusals are `FulfillmentError`.
"""

import hashlib
import json
import uuid

from django.db import transaction

from connectors.contract import MESSAGES, PLACE_ORDER, ContractError
from orders.events import connector_actor
from orders.intake.approve import order_marketplace_approve
from orders.intake.pipeline import intake_process_now
from orders.intake.receive import intake_receive
from orders.models import IntakeRecord, Order
from orders.statuses import IntakeStatus

from .fulfillment_body import FulfillmentError, as_order_body


def _digest(body: dict, *, salt: str = "") -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((canonical + salt).encode()).hexdigest()


def fulfillment_order_place(*, connector, order: dict) -> str:
    """Place one checked fulfillment order; return its `orderId`, or raise `FulfillmentError`.

    With `isCreatedAsync` the order is stored and queued exactly as the order API does (an exact
    replay starts nothing), and the outcome reaches the connector as notifications. Without it
    the order is decided now and any divergence refused; every such submission is decided afresh
    (its digest is salted), so a connector may send an order again once the seller has restocked.
    """
    body = as_order_body(order)
    if body["isCreatedAsync"]:
        intake_receive(connector=connector, flow=PLACE_ORDER, body=body, body_digest=_digest(body))
        return f"{connector.affiliate_id}-{body['marketplaceOrderId']}"
    with transaction.atomic():
        intake, _ = intake_receive(
            connector=connector,
            flow=PLACE_ORDER,
            body=body,
            body_digest=_digest(body, salt=uuid.uuid4().hex),
        )
        # The processing task queued for after commit finds the submission decided: it does nothing.
        intake = intake_process_now(intake_id=intake.pk)
    if intake.status == IntakeStatus.INTEGRATED:
        return intake.order.main_order_id
    raise _refusal(intake)


def _refusal(intake: IntakeRecord) -> FulfillmentError:
    """The answer to a submission that did not become an order.

    Stock, SLA and pickup point problems answer `ORD027`, the code the previous protocol's guide
    gives all three, with each item's `FMT005`/`FMT010` in `errors`; a divergence answers
    `FMT007`, a duplicate `FMT009`.
    """
    errors = [
        ContractError(error["code"], error["description"], error.get("source", "")) for error in intake.errors
    ] or [ContractError(intake.code, intake.held_reason or MESSAGES.get(intake.code, intake.code))]
    code = "ORD027" if intake.code in ("EOI002", "EOI004") else errors[0].code
    return FulfillmentError(400, code, errors[0].description, errors)


def fulfillment_order_authorize_dispatch(
    *, connector, order_id: str, marketplace_order_id: str | None
) -> str:
    """Apply the marketplace's authorization to dispatch; return the marketplace order id.

    The same as the order API's approval (`order_marketplace_approve`), answered at once: while
    the order waits for the seller's manual authorization the request is remembered and applied
    when the seller approves, and the answer says so (409, EOI011).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(connector=connector, main_order_id=order_id).first()
        if order is None:
            raise FulfillmentError(404, "EOI008", f"Order {order_id} is not integrated")
        if marketplace_order_id not in (None, order.marketplace_order_id):
            raise FulfillmentError(
                400,
                "EOI005",
                f"marketplaceOrderId {marketplace_order_id} is not the marketplace id of order {order_id} "
                f"({order.marketplace_order_id})",
            )
        result = order_marketplace_approve(order=order, actor=connector_actor(connector))
    if result == "remembered":
        raise FulfillmentError(
            409,
            "EOI011",
            f"Order {order_id} waits for the seller's manual authorization (price divergence): dispatch is "
            f"authorized as soon as the seller approves it",
        )
    if result == "refused":
        raise FulfillmentError(400, "EOI009", f"Order {order_id} is {order.status} and cannot be approved")
    return order.marketplace_order_id
