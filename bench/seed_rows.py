"""The rows of a seeded account's orders, by field name: the order, its items, events, intake record, notification and approval task.

Each builder makes the rows of one order from its `Facts`; `load_all` streams every table's
rows into it with `bench.seed_load.load`.
"""

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta

from authorization.models import ApprovalTask
from connectors.models import Notification
from orders.models import IntakeRecord, Order, OrderEvent, OrderItem
from orders.statuses import OrderStatus

from .seed_load import load
from .seed_plan import FREIGHT_CENTS, MARKETPLACE_APPROVED, SKUS, BodyTemplate, Facts, Plan, customer_email


def load_all(plan: Plan, body: BodyTemplate, progress) -> None:
    load(
        Order,
        (_order_row(plan, facts, body) for facts in plan.all()),
        progress,
        computed=body.order_payload(),
    )
    load(OrderItem, (row for facts in plan.all() for row in _item_rows(plan, facts)), progress)
    load(OrderEvent, (row for facts in plan.all() for row in _event_rows(plan, facts)), progress)
    load(
        IntakeRecord,
        (_intake_row(plan, facts, body) for facts in plan.all()),
        progress,
        computed=body.intake_body(),
    )
    load(Notification, (_notification_row(plan, facts) for facts in plan.all()), progress)
    load(
        ApprovalTask,
        (_task_row(plan, facts) for facts in plan.all() if facts.outcome == "manual"),
        progress,
    )


def _order_row(plan: Plan, facts: Facts, body: BodyTemplate) -> dict:
    settled = facts.status in (OrderStatus.INVOICED, OrderStatus.CANCELED)
    reason = {"manual": "band", "authorize": "band", "no-divergence": "no-divergence"}
    return {
        "id": facts.order_id,
        "account": plan.shop.account.pk,
        "connector": facts.connector.pk,
        "marketplace_order_id": facts.marketplace_order_id,
        "main_order_id": facts.main_order_id,
        "franchise_order_id": "",
        "status": facts.status,
        "marketplace_approved": facts.status in MARKETPLACE_APPROVED,
        "payload": body.value(facts),
        "payment_value_cents": facts.paid_cents,
        "interest_cents": 0,
        "tax_cents": 0,
        "marketplace_freight_cents": 0,
        "paid_value_cents": facts.paid_cents,
        "seller_value_cents": facts.seller_cents,
        "divergence_percent": facts.divergence,
        "allowance_rate": "0.0500",
        "outcome": facts.outcome,
        "decision_route": "rule",
        "decision_reason": reason[facts.outcome],
        "band": plan.band_json[facts.band_key] if facts.band_key else "null",
        "rule_snapshot": plan.rule_json,
        "customer_email": customer_email(facts),
        "customer_name": "John Doe",
        "reservation_expires_at": facts.created_at + timedelta(days=1),
        "reservation_released_at": facts.created_at + timedelta(hours=6) if settled else None,
        "reservation_expired": False,
        "created_at": facts.created_at,
        "updated_at": facts.created_at + timedelta(hours=6) if settled else facts.created_at,
    }


def _item_rows(plan: Plan, facts: Facts) -> Iterator[dict]:
    shop = plan.shop
    second = 1000 if facts.items == 2 else 0  # a second line sold at the seller's price
    lines = [
        (
            facts.paid_cents - FREIGHT_CENTS - second,
            facts.seller_cents - FREIGHT_CENTS - second,
            facts.divergence,
        )
    ]
    if second:
        lines.append((second, second, "0.00"))
    for index, (price, seller_price, divergence) in enumerate(lines):
        position = (facts.number + index) % SKUS
        yield {
            "order": facts.order_id,
            "index": index,
            "catalog_sku": shop.skus[position].pk,
            "sku_id": shop.skus[position].sku_id,
            "name": shop.skus[position].name,
            "quantity": 1,
            "price_cents": price,
            "seller_price_cents": seller_price,
            "freight_cents": FREIGHT_CENTS if index == 0 else 0,
            "seller_freight_cents": FREIGHT_CENTS if index == 0 else 0,
            "delivery_channel": "delivery",
            "sla": "Express",
            "shipping_policy": shop.policy.pk,
            "stock": shop.stock[position].pk,
            "reserved_quantity": 1,
            "divergence_percent": divergence,
        }


def _event_rows(plan: Plan, facts: Facts) -> Iterator[dict]:
    connector = facts.connector
    initial = (
        facts.status
        if facts.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
        else OrderStatus.READY_FOR_HANDLING
        if facts.status in MARKETPLACE_APPROVED
        else OrderStatus.PAYMENT_PENDING
    )
    yield {
        "order": facts.order_id,
        "kind": OrderEvent.Kind.CREATED,
        "from_status": "",
        "to_status": initial,
        "actor_label": f"connector {connector.name} ({connector.affiliate_id})",
        "note": f"Integrated from {connector.name}: paid {facts.paid_cents}, seller value {facts.seller_cents}, "
        f"divergence {facts.divergence} %.",
        "data": "{}",
        "created_at": facts.created_at,
    }
    band = plan.shop.bands.get(facts.band_key) if facts.band_key else None
    note = (
        f"{facts.outcome} by the band {band.lower_percent:.2f}–{band.upper_percent:.2f} % (rule)."
        if band
        else f"{facts.outcome} (rule, no-divergence)."
    )
    yield {
        "order": facts.order_id,
        "kind": OrderEvent.Kind.DECISION,
        "from_status": "",
        "to_status": "",
        "actor_label": "system",
        "note": note,
        "data": json.dumps(
            {"route": "rule", "outcome": facts.outcome, "divergencePercent": facts.divergence}
        ),
        "created_at": facts.created_at + timedelta(milliseconds=1),
    }
    if facts.status != initial:
        yield {
            "order": facts.order_id,
            "kind": OrderEvent.Kind.STATUS,
            "from_status": initial,
            "to_status": facts.status,
            "actor_label": "system",
            "note": "",
            "data": "{}",
            "created_at": facts.created_at + timedelta(hours=6),
        }


def _intake_row(plan: Plan, facts: Facts, body: BodyTemplate) -> dict:
    return {
        "id": facts.intake_id,
        "account": plan.shop.account.pk,
        "connector": facts.connector.pk,
        "flow": "PlaceOrder",
        "marketplace_order_id": facts.marketplace_order_id,
        "body": body.value(facts),
        "body_digest": hashlib.sha256(facts.main_order_id.encode()).hexdigest(),
        "status": "integrated",
        "code": "SOI001",
        "errors": "[]",
        "held_reason": "",
        "held_until_rule": False,
        "operation_id": uuid.uuid4(),
        "order": facts.order_id,
        "ignore_divergence": False,
        "attempts": 1,
        "last_error": "",
        "received_at": facts.created_at - timedelta(milliseconds=200),
        "processed_at": facts.created_at,
    }


def _notification_row(plan: Plan, facts: Facts) -> dict:
    account = plan.shop.account.name
    body = json.dumps(
        {
            "marketplaceOrderId": facts.marketplace_order_id,
            "accountName": account,
            "code": "SOI001",
            "flow": "PlaceOrder",
            "success": True,
            "operationId": None,
            "errors": None,
            "fields": {"mainOrderId": facts.main_order_id, "franchiseOrderId": None},
            "message": "Order integrated successfully",
        }
    )
    return {
        "account": plan.shop.account.pk,
        "connector": facts.connector.pk,
        "order": facts.order_id,
        "intake": facts.intake_id,
        "marketplace_order_id": facts.marketplace_order_id,
        "flow": "PlaceOrder",
        "code": "SOI001",
        "body": body,
        "url": f"{facts.connector.endpoint}/order-integration/notification/processing-result?an={account}",
        "idempotency_key": uuid.uuid4(),
        "state": Notification.State.DELIVERED,
        "attempt_count": 1,
        "next_attempt_at": facts.created_at,
        "last_status": 200,
        "last_error": "",
        "created_at": facts.created_at,
        "delivered_at": facts.created_at + timedelta(milliseconds=300),
    }


def _task_row(plan: Plan, facts: Facts) -> dict:
    band = plan.shop.bands[facts.band_key]
    first = {"level": 0, "email": band.approvers[0], "kind": "first", "at": facts.created_at.isoformat()}
    waiting = facts.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
    if waiting:
        decision, decided_at = "", None
    else:
        decided_at = facts.created_at + timedelta(hours=1)
        decision = "denied" if facts.status == OrderStatus.CANCELED else "approved"
    return {
        "order": facts.order_id,
        "account": plan.shop.account.pk,
        "approvers": json.dumps(list(band.approvers)),
        "escalate_after_minutes": band.escalate_after_minutes,
        "level": 0,
        "notified": json.dumps([first]),
        "next_notification_at": facts.created_at + timedelta(minutes=band.escalate_after_minutes)
        if waiting
        else None,
        "decision": decision,
        "decided_at": decided_at,
        "reason_code": "price-error" if decision == "denied" else "",
        "note": "Price checked." if decision else "",
        "created_at": facts.created_at,
    }
