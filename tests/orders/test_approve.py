"""The marketplace approves orders (PUT /orders/status): SOI002, EOI008, EOI009, EOI011."""

import pytest

from orders.events import SYSTEM
from orders.models import IntakeRecord, Order
from orders.services import order_transition
from tests.orders.payloads import order_body
from tests.support.observe import changed, observed
from tests.support.orders import ANA, HELD, held_bands, rule_set
from tests.support.pages import text


def test_approving_a_pending_order_moves_it_on(mkp, shop, connector_server):
    mkp.place(order_body())
    response = mkp.approve("123456789")
    assert response.json() == {
        "marketplaceOrderId": "123456789",
        "accountName": None,
        "code": "SOI003",
        "flow": "ApproveOrder",
        "success": True,
        "operationId": None,
        "errors": None,
        "fields": None,
        "message": "Order successfully enqueued",
    }
    approved = connector_server.wait_for(2)[1].body
    assert (approved["code"], approved["flow"], approved["fields"]["mainOrderId"]) == (
        "SOI002",
        "ApproveOrder",
        "MKP-123456789",
    )
    order = Order.objects.get()
    assert (order.status, order.marketplace_approved) == ("ready-for-handling", True)
    assert list(order.events.values_list("from_status", "to_status").filter(kind="status")) == [
        ("payment-pending", "ready-for-handling")
    ]


def test_approving_again_is_harmless(mkp, shop, connector_server):
    mkp.place(order_body())
    mkp.approve("123456789")
    before = observed(shop.account)
    mkp.approve("123456789")
    after = observed(shop.account)
    # Only the request itself is new, and its answer: the order, its events, stock and feed are as they were.
    assert changed(before, after) == {"submissions", "notifications"}
    assert after["submissions"][: len(before["submissions"])] == before["submissions"]
    assert after["notifications"][: len(before["notifications"])] == before["notifications"]
    assert [code for *_, code in after["submissions"][len(before["submissions"]) :]] == ["SOI002"]
    assert [code for _, _, code, *_ in after["notifications"][len(before["notifications"]) :]] == ["SOI002"]
    assert connector_server.codes() == ["SOI001", "SOI002", "SOI002"]


def test_approving_an_unknown_order_is_eoi008(mkp, shop, connector_server):
    mkp.approve("nope")
    body = connector_server.wait_for(1)[0].body
    assert (body["code"], body["flow"], body["success"]) == ("EOI008", "ApproveOrder", False)
    assert not Order.objects.exists()


def test_approving_a_canceled_order_is_eoi009(mkp, shop, connector_server):
    mkp.place(order_body())
    order_transition(order=Order.objects.get(), to_status="canceled", actor=SYSTEM)
    mkp.approve("123456789")
    body = connector_server.wait_for(2)[1].body
    assert body["code"] == "EOI009"
    assert body["errors"][0]["description"] == "Order MKP-123456789 is canceled and cannot be approved"
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 0
    order = Order.objects.get()
    assert (order.status, order.marketplace_approved) == ("canceled", False)


@pytest.fixture
def manual_rule(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))


def test_approving_while_waiting_for_manual_authorization_is_eoi011_and_remembered(
    mkp, shop, connector_server, manual_rule
):
    mkp.place(order_body(marketplacePaymentValue=HELD))
    mkp.approve("123456789")
    body = connector_server.wait_for(2)[1].body
    assert (body["code"], body["success"]) == ("EOI011", False)
    order = Order.objects.get()
    assert order.status == "waiting-for-manual-authorization"
    assert order.approval_requested_at is not None
    assert order.events.filter(kind="approval-requested").count() == 1


def test_order_posted_approved_into_the_manual_band_is_integrated_and_its_approval_remembered(
    mkp, shop, connector_server, manual_rule
):
    mkp.place(order_body(marketplacePaymentValue=HELD, marketplaceOrderStatus="approved"))
    assert [r.body["code"] for r in connector_server.wait_for(2)] == ["SOI001", "EOI011"]
    assert Order.objects.get().approval_requested_at is not None


def test_status_other_than_approved_is_refused(mkp, shop, connector_server):
    mkp.place(order_body())
    before = observed(shop.account)
    response = mkp.approve("123456789", status="new")
    assert response.status_code == 400
    assert response.json()["errors"][0]["description"] == "marketplaceOrderStatus must be approved"
    assert observed(shop.account) == before
    assert connector_server.codes() == ["SOI001"]


def test_a_remembered_approval_reads_as_remembered_in_the_connection_orders_not_as_a_failure(
    client, owner, mkp, shop, connector_server, manual_rule
):
    mkp.place(order_body(marketplacePaymentValue=HELD))
    mkp.approve("123456789")
    approval = IntakeRecord.objects.get(flow="ApproveOrder")
    assert approval.code == "EOI011"
    client.force_login(owner)

    listing = text(client.get("/admin/orders/intakerecord/"))
    detail = text(client.get(f"/admin/orders/intakerecord/{approval.pk}/change/"))

    assert "Remembered: applied when the seller approves" in listing
    assert "The marketplace's approval is remembered" in detail
    assert "Rejected (EOI011" not in detail
    assert (
        ">Reprocess</a>"
        not in client.get(f"/admin/orders/intakerecord/{approval.pk}/change/").content.decode()
    )
    portuguese = text(
        client.get(f"/admin/orders/intakerecord/{approval.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-BR")
    )
    assert "Lembrada: aplicada quando o vendedor aprovar" in portuguese
