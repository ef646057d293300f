"""The twelve scenarios of the order integration guide, played from the connector's side."""

import pytest

from authorization.services import rule_replace
from catalog.models import Stock
from orders.models import Order
from tests.factories import (
    AccountFactory,
    PickupPointFactory,
    ShippingPolicyFactory,
    SkuFactory,
    StockFactory,
    WarehouseFactory,
    band,
)
from tests.orders.payloads import order_body


def only_notification(server, code="SOI001"):
    (notification,) = server.wait_for(1)
    assert notification.body["code"] == code, notification.body
    return notification.body


def test_scenario_2_approved_order_is_integrated_then_approved_with_one_operation_id(
    mkp, shop, connector_server
):
    mkp.place(order_body(marketplaceOrderStatus="approved"))
    integrated, approved = (r.body for r in connector_server.wait_for(2))
    assert (integrated["code"], integrated["flow"]) == ("SOI001", "PlaceOrder")
    assert (approved["code"], approved["flow"], approved["message"]) == (
        "SOI002",
        "ApproveOrder",
        "Order approved successfully",
    )
    assert integrated["operationId"] == approved["operationId"] is not None
    assert approved["fields"]["mainOrderId"] == "MKP-123456789"
    assert Order.objects.get().status == "ready-for-handling"


def test_scenario_3_interest_is_part_of_what_the_seller_expects(mkp, shop, connector_server):
    mkp.place(order_body(marketplaceInterestValue=100, marketplacePaymentValue=3125))
    only_notification(connector_server)
    order = Order.objects.get()
    assert (order.seller_value_cents, order.interest_cents, str(order.divergence_percent)) == (
        3125,
        100,
        "0.00",
    )


def test_scenario_4_discounts_split_over_items_are_priced_per_item(
    mkp, shop, connector_server, owner, django_capture_on_commit_callbacks
):
    SkuFactory(account=shop.account, sku_id="1000", price_cents=1000)
    second = SkuFactory(account=shop.account, sku_id="4000", price_cents=4000)
    StockFactory(sku=second, warehouse=shop.warehouse, quantity=5)
    StockFactory(sku=shop.account.skus.get(sku_id="1000"), warehouse=shop.warehouse, quantity=5)
    shop.policy.freight_cents = 1000
    shop.policy.save()
    with django_capture_on_commit_callbacks(execute=True):
        rule_replace(
            account=shop.account, bands=[band(0, 30, "authorize"), band(30, 100, "deny")], actor=owner
        )
    body = order_body(
        items=[{"id": "1000", "price": 500, "quantity": 1}, {"id": "4000", "price": 3500, "quantity": 1}],
        marketplacePaymentValue=500 + 3500 + 900 + 900,
    )
    body["shippingData"]["logisticsInfo"] = [
        dict(body["shippingData"]["logisticsInfo"][0], price=900) for _ in range(2)
    ]
    mkp.place(body)
    only_notification(connector_server)
    order = Order.objects.get()
    assert (order.seller_value_cents, order.paid_value_cents, str(order.divergence_percent)) == (
        7000,
        5800,
        "17.14",
    )
    assert order.outcome == "authorize"
    assert [(item.price_cents, item.seller_price_cents) for item in order.items.all()] == [
        (500, 1000),
        (3500, 4000),
    ]


def test_scenario_5_seller_delivers_and_an_empty_sla_picks_one(mkp, shop, connector_server):
    ShippingPolicyFactory(
        account=shop.account, policy_id="Slow", freight_cents=2050, estimate="9d"
    ).warehouses.add(WarehouseFactory(account=shop.account, warehouse_id="EMPTY"))
    mkp.place(order_body(logistics={"selectedSla": ""}))
    only_notification(connector_server)
    assert Order.objects.get().items.get().sla == "Express"


@pytest.fixture
def franchise(shop):
    account = AccountFactory(name="acme-franchise", parent=shop.account, order_prefix="MKT")
    warehouse = WarehouseFactory(account=account, warehouse_id="FR1")
    sku = SkuFactory(account=account, sku_id="1", price_cents=975)
    StockFactory(sku=sku, warehouse=warehouse, quantity=3)
    ShippingPolicyFactory(account=account, policy_id="Express", freight_cents=2050).warehouses.add(warehouse)
    pickup_policy = ShippingPolicyFactory(
        account=account,
        policy_id="Pickup",
        delivery_channel="pickup-in-point",
        freight_cents=0,
        estimate="1d",
    )
    pickup_policy.pickup_points.add(PickupPointFactory(account=account, point_id="FPP1", warehouse=warehouse))
    return account


def test_scenario_6_franchise_delivers_when_the_seller_has_no_stock(mkp, shop, franchise, connector_server):
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=0)
    mkp.place(order_body(allowFranchises=True))
    body = only_notification(connector_server)
    assert body["fields"] == {"mainOrderId": "MKP-123456789-01", "franchiseOrderId": "MKT-MKP-123456789-01"}
    order = Order.objects.get()
    assert order.franchise_account == franchise
    assert order.items.get().stock.warehouse.warehouse_id == "FR1"


def test_scenario_7_marketplace_delivers_from_seller_stock_without_seller_freight(
    mkp, shop, connector_server
):
    mkp.place(order_body(shipping={"isFob": True}, logistics={"selectedSla": ""}))
    only_notification(connector_server)
    order = Order.objects.get()
    assert (order.seller_value_cents, order.paid_value_cents, order.marketplace_freight_cents) == (
        975,
        975,
        2050,
    )
    assert order.items.get().stock == shop.stock


def test_scenario_8_marketplace_delivers_from_its_own_warehouse(mkp, shop, connector_server):
    marketplace_warehouse = WarehouseFactory(account=shop.account, warehouse_id="MKTWH")
    StockFactory(sku=shop.sku, warehouse=marketplace_warehouse, quantity=50)
    mkp.place(
        order_body(
            shipping={"isFob": True, "isMarketplaceFulfillment": True},
            logistics={"selectedSla": "", "deliveryIds": [{"warehouseId": "MKTWH"}]},
        )
    )
    only_notification(connector_server)
    assert Order.objects.get().items.get().stock.warehouse == marketplace_warehouse
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 0


PICKUP = {
    "logistics": {"selectedDeliveryChannel": "pickup-in-point", "selectedSla": "", "price": 0},
    "address": {
        "addressType": "pickup",
        "addressId": "PP1",
        "geoCoordinates": {"latitude": -25.48, "longitude": -49.28},
    },
}


def test_scenario_9_pickup_in_point(mkp, shop, connector_server):
    point = PickupPointFactory(account=shop.account, point_id="PP1", warehouse=shop.warehouse)
    ShippingPolicyFactory(
        account=shop.account,
        policy_id="Pickup",
        delivery_channel="pickup-in-point",
        freight_cents=0,
        estimate="1d",
    ).pickup_points.add(point)
    mkp.place(order_body(marketplacePaymentValue=975, **PICKUP))
    only_notification(connector_server)
    item = Order.objects.get().items.get()
    assert (item.pickup_point, item.sla, item.stock) == (point, "Pickup", shop.stock)


def test_scenario_10_franchise_pickup_point(mkp, shop, franchise, connector_server):
    body = order_body(
        marketplacePaymentValue=975, allowFranchises=True, pickupAccountName="acme-franchise", **PICKUP
    )
    body["shippingData"]["selectedAddresses"][0]["addressId"] = "FPP1"
    mkp.place(body)
    notification = only_notification(connector_server)
    assert notification["fields"] == {
        "mainOrderId": "MKP-123456789-01",
        "franchiseOrderId": "MKT-MKP-123456789-01",
    }
    assert Order.objects.get().items.get().pickup_point.point_id == "FPP1"


def test_scenario_11_taxes_are_passed_through(mkp, shop, connector_server):
    mkp.place(order_body(taxData=[{"skuId": "1", "value": 150}], marketplacePaymentValue=3175))
    only_notification(connector_server)
    order = Order.objects.get()
    assert (order.tax_cents, order.seller_value_cents, str(order.divergence_percent)) == (150, 3175, "0.00")


def test_scenario_12_tracking_hints_are_kept(mkp, shop, connector_server):
    hints = [{"trackingId": "BR123456789", "courierName": "Correios", "trackingUrl": "https://t.example/BR1"}]
    mkp.place(order_body(shipping={"trackingHints": hints}))
    only_notification(connector_server)
    assert Order.objects.get().payload["shippingData"]["trackingHints"] == hints


# The place flow's errors ---------------------------------------------------------------------


def test_unknown_sku_is_eoi004(mkp, shop, connector_server):
    mkp.place(order_body(items=[{"id": "404", "price": 975, "quantity": 1}]))
    body = only_notification(connector_server, "EOI004")
    assert body["errors"] == [
        {"source": "Checkout", "code": "ORD027", "description": "Item 404 not found or unavailable"}
    ]
    assert body["fields"] is None


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(lambda shop: Stock.objects.filter(pk=shop.stock.pk).update(quantity=0), id="no-stock"),
        pytest.param(
            lambda shop: type(shop.sku).objects.filter(pk=shop.sku.pk).update(active=False), id="inactive"
        ),
        pytest.param(
            lambda shop: type(shop.sku).objects.filter(pk=shop.sku.pk).update(sales_channels=["2"]),
            id="other-sales-channel",
        ),
    ],
)
def test_unavailable_items_are_eoi002_naming_the_item(mkp, shop, connector_server, break_it):
    break_it(shop)
    mkp.place(order_body())
    body = only_notification(connector_server, "EOI002")
    assert body["errors"] == [
        {"source": "Fulfillment", "code": "FMT005", "description": "Item 1(1) is not available"}
    ]
    assert Order.objects.count() == 0


def test_unknown_sla_is_eoi002(mkp, shop, connector_server):
    mkp.place(order_body(logistics={"selectedSla": "Teleport"}))
    body = only_notification(connector_server, "EOI002")
    assert body["errors"][0]["code"] == "FMT010"
    assert body["errors"][0]["description"] == "The selected SLA Teleport for item 1(1) is not available"


def test_unknown_pickup_point_is_eoi002(mkp, shop, connector_server):
    mkp.place(order_body(marketplacePaymentValue=975, **PICKUP))
    body = only_notification(connector_server, "EOI002")
    assert body["errors"][0]["description"] == "Pickup point PP1 is not available"


def test_pickup_point_without_stock_is_eoi002(mkp, shop, connector_server):
    empty = WarehouseFactory(account=shop.account, warehouse_id="EMPTY")
    PickupPointFactory(account=shop.account, point_id="PP1", warehouse=empty)
    mkp.place(order_body(marketplacePaymentValue=975, **PICKUP))
    only_notification(connector_server, "EOI002")


def test_stock_is_never_reserved_beyond_what_is_there(mkp, shop, connector_server):
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=2)
    for number in range(3):
        mkp.place(order_body(marketplaceOrderId=f"9{number}"))
    connector_server.wait_for(3)
    assert sorted(connector_server.codes()) == ["EOI002", "SOI001", "SOI001"]
    shop.stock.refresh_from_db()
    assert (shop.stock.quantity, shop.stock.reserved) == (2, 2)
