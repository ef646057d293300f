"""Deciding a held order in the admin, with a real worker: the connector hears SOI002 or EOI009."""

import pytest

from authorization.models import ApprovalTask
from orders.models import Order
from tests.worker_lane.lane import decide_in_admin, notified

pytestmark = pytest.mark.real_worker


def test_an_approval_in_the_admin_is_told_soi002_and_the_order_moves_on(
    client, held_order, approver, connector_server
):
    decide_in_admin(client, approver, held_order, "approve", note="Known promotion")
    received = notified(connector_server, 3)
    assert [(r.body["code"], r.body["flow"]) for r in received[2:]] == [("SOI002", "ApproveOrder")]
    assert received[2].body["fields"]["mainOrderId"] == "MKP-123456789"
    order = Order.objects.get()
    assert (order.status, order.marketplace_approved) == ("ready-for-handling", True)
    event = order.events.get(kind="decision", actor__isnull=False)
    assert (event.actor_label, event.to_status) == ("ana@acme.example", "ready-for-handling")
    assert ApprovalTask.objects.get().decision == "approved"


def test_a_denial_in_the_admin_is_told_eoi009_with_the_reason_and_releases_the_stock(
    client, held_order, approver, worker_shop, connector_server
):
    decide_in_admin(client, approver, held_order, "deny", reason_code="suspicious", note="Fraud pattern")
    received = notified(connector_server, 3)
    denied = received[2].body
    assert (denied["code"], denied["success"]) == ("EOI009", False)
    assert denied["errors"] == [
        {
            "source": "Order Integration",
            "code": "SUSPICIOUS",
            "description": "Denied by the seller (Suspicious order): Fraud pattern",
        }
    ]
    worker_shop.stock.refresh_from_db()
    assert (Order.objects.get().status, worker_shop.stock.reserved) == ("canceled", 0)
    task = ApprovalTask.objects.get()
    assert (task.decision, task.reason_code, task.decided_by) == ("denied", "suspicious", approver)
