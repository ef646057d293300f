"""A connector places orders: the answer, the processing, the notification it receives."""

from orders.models import IntakeRecord, Order
from tests.orders.payloads import order_body


def test_scenario_1_new_order_is_enqueued_then_integrated(mkp, shop, connector_server):
    response = mkp.place(order_body())
    assert response.status_code == 200
    assert response.json() == {
        "marketplaceOrderId": None,
        "accountName": "acme",
        "code": "SOI003",
        "flow": "PlaceOrder",
        "success": True,
        "operationId": None,
        "errors": None,
        "fields": None,
        "message": "Order successfully enqueued",
    }
    (notification,) = connector_server.wait_for(1)
    assert notification.path == "/api/vtex/order-integration/notification/processing-result?an=acme"
    assert notification.body["code"] == "SOI001"
    assert notification.body["fields"] == {"mainOrderId": "MKP-123456789", "franchiseOrderId": None}
    assert notification.body["success"] is True
    order = Order.objects.get()
    assert order.status == "payment-pending"
    assert (order.seller_value_cents, order.paid_value_cents, str(order.divergence_percent)) == (
        3025,
        3025,
        "0.00",
    )
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1
    assert IntakeRecord.objects.get().status == "integrated"
