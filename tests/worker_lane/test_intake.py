"""Intake to notification through a real worker: what the connector hears, and what the seller
finds in the database, once the worker has priced, decided and reserved."""

import json

import pytest

from authorization.models import ApprovalTask
from insight.models import DecisionRecord
from orders.models import IntakeRecord, Order
from tests.factories import band, connector
from tests.orders.payloads import order_body
from tests.support.orders import HELD, held_bands, rule_set
from tests.support.shop import reserved
from tests.worker_lane.lane import calling, notified

pytestmark = pytest.mark.real_worker


def test_an_authorized_order_is_integrated_reserved_and_notified_soi001(
    marketplace, worker_shop, connector_server
):
    answer = marketplace.place(order_body())
    assert answer.json()["code"] == "SOI003"  # received: the result comes as a notification
    (received,) = connector_server.wait_for(1, timeout=30)
    assert (received.body["code"], received.body["success"]) == ("SOI001", True)
    assert received.body["marketplaceOrderId"] == "123456789"
    order = Order.objects.get()
    assert (order.status, order.main_order_id) == ("payment-pending", "MKP-123456789")
    assert list(order.events.order_by("pk").values_list("kind", flat=True)) == ["created", "decision"]
    assert IntakeRecord.objects.get().status == "integrated"
    assert DecisionRecord.objects.get().order_id == order.pk
    assert reserved(worker_shop) == 1


@pytest.mark.parametrize(
    ("body", "code", "first_error"),
    [
        (order_body(marketplacePaymentValue=1512), "EOI003", "FMT007"),  # 50.02 %: denied
        (order_body(items=[{"id": "1", "price": 975, "quantity": 11}]), "EOI002", None),  # ten in stock
    ],
    ids=["deny-band", "out-of-stock"],
)
def test_a_refused_order_is_notified_with_its_code_and_nothing_is_reserved(
    marketplace, worker_shop, owner, approver, second_approver, connector_server, body, code, first_error
):
    rule_set(worker_shop.account, held_bands(), actor=owner)
    marketplace.place(body)
    (received,) = connector_server.wait_for(1, timeout=30)
    assert (received.body["code"], received.body["success"]) == (code, False)
    assert received.body["errors"]
    if first_error:
        assert received.body["errors"][0]["code"] == first_error
    assert Order.objects.count() == 0
    assert IntakeRecord.objects.get().status == "rejected"
    assert reserved(worker_shop) == 0


def test_a_held_order_is_told_soi001_then_nothing_until_it_is_decided(
    held_order, worker_shop, connector_server
):
    received = notified(connector_server, 2)
    assert [r.body["code"] for r in received] == ["SOI001", "EOI011"]
    order = Order.objects.get()
    assert (order.status, order.marketplace_approved) == ("waiting-for-manual-authorization", False)
    assert order.approval_requested_at is not None
    task = ApprovalTask.objects.get(order=order)
    assert (task.decision, task.approvers) == ("", ["ana@acme.example", "bo@acme.example"])
    assert reserved(worker_shop) == 1


def test_a_native_order_held_for_want_of_a_rule_is_told_nothing_until_a_rule_exists(
    client, worker_shop, owner, connector_server
):
    _, credentials = connector(
        worker_shop.account, endpoint=connector_server.url, type="native", name="Amazon", affiliate_id="AMZ"
    )
    calling(client, credentials).place(order_body(marketplacePaymentValue=HELD))
    notified(connector_server, 0)
    intake = IntakeRecord.objects.get()
    assert (intake.status, intake.held_until_rule) == ("held", True)
    assert Order.objects.count() == 0
    assert reserved(worker_shop) == 0

    rule_set(worker_shop.account, [band(0, 100, "authorize")], actor=owner)
    (received,) = notified(connector_server, 1)
    assert received.body["code"] == "SOI001"
    intake.refresh_from_db()
    assert intake.status == "integrated"
    assert Order.objects.get().main_order_id == "AMZ-123456789"
    assert reserved(worker_shop) == 1


def test_a_replay_starts_nothing_and_another_body_for_the_same_order_is_told_eoi007(
    marketplace, connector_server
):
    marketplace.place(order_body())
    connector_server.wait_for(1, timeout=30)
    marketplace.place(order_body())  # an exact replay: nothing new
    marketplace.place(order_body(openTextField="another body"))
    received = connector_server.wait_for(2, timeout=30)
    assert [r.body["code"] for r in received] == ["SOI001", "EOI007"]
    assert Order.objects.count() == 1
    assert IntakeRecord.objects.count() == 2
    assert json.loads(received[1].raw)["errors"][0]["code"] == "FMT009"
