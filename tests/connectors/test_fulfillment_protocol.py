"""The previous protocol (seeds 001-002): fulfillment simulation, place fulfillment order, authorize dispatch.

Answers are checked against the published OpenAPI document where its shapes are sane (vtex-contract.md
§2 names where they are not), and the guide's five scenarios are played from a connector's side.
"""

import json
from pathlib import Path

import pytest
from django.db import DatabaseError
from jsonschema import Draft202012Validator

from catalog.models import ShippingPolicy, Stock
from connectors.models import Notification
from orders.models import IntakeRecord, Order
from tests.factories import PickupPointFactory, ShippingPolicyFactory, SkuFactory, StockFactory, band
from tests.orders.payloads import seed_order
from tests.support.clients import api_error, connector_headers
from tests.support.openapi import json_schema
from tests.support.orders import held_bands, rule_set

PUBLISHED = json.loads(
    (Path(__file__).parent / "contract" / "marketplace-protocol-external-marketplace-orders.json").read_text()
)


def published(*path) -> dict:
    node = PUBLISHED
    for key in path:
        node = node[key]
    return json_schema(node, PUBLISHED)


def assert_valid(schema: dict, instance) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(instance)
    ]
    assert errors == [], errors


ORDER_DATA = (
    "components",
    "schemas",
    "placeFulfillmentOrderResponse",
    "properties",
    "orderData",
    "properties",
)
SIMULATION_200 = (
    "paths",
    "/api/checkout/pub/orderForms/simulation",
    "post",
    "responses",
    "200",
    "content",
    "application/json",
)


def published_simulation_schema() -> dict:
    """The simulation answer as the published example lays it out.

    The published schema nests `postalCode`, `country` and `logisticsInfo` inside
    `paymentData.paymentSystems[]`, and `messages`, `pickupPoints` and `totals` inside each
    `logisticsInfo` entry; its own example has them all at the top. The pieces are sane: put back.
    """
    top = published(*SIMULATION_200, "schema")["properties"]
    system = top["paymentData"]["properties"]["paymentSystems"]["items"]["properties"]
    entry = system["logisticsInfo"]["items"]
    moved = ("messages", "pickupPoints", "totals", "purchaseConditions", "subscriptionData", "itemMetadata")
    entry_properties = {key: value for key, value in entry["properties"].items() if key not in moved}
    return {
        "type": "object",
        "properties": {
            "items": top["items"],
            "postalCode": system["postalCode"],
            "country": system["country"],
            "logisticsInfo": {"type": "array", "items": {**entry, "properties": entry_properties}},
            **{key: entry["properties"][key] for key in ("messages", "pickupPoints", "totals")},
        },
    }


def published_shape_order() -> dict:
    """The same order as the published schema writes it: an object, camelCase, coordinates as strings."""
    order = seed_order(isCreatedAsync=False, openTextField="Gift wrap, please.")
    order["clientProfileData"] = {
        "email": "conta@dominio.com.br",
        "firstName": "Nome",
        "lastName": "Sobrenome",
        "documentType": "cpf",
        "document": "14310315771",
        "phone": "41998718616",
        "isCorporate": False,
    }
    del order["shippingData"]["selectedAddresses"]
    order["shippingData"]["address"].update(
        complement="Casa 2", reference="Perto do mercado", geoCoordinates=["-49.2892059", "-25.4826319"]
    )
    order["shippingData"]["logisticsInfo"][0]["selectedSla"] = "Express"
    return order


class Connector:
    """A connector calling the previous protocol; processing and notifications run as each request commits."""

    def __init__(self, client, credentials, capture):
        self.client, self.credentials, self.capture = client, credentials, capture

    def headers(self) -> dict:
        return connector_headers(self.credentials)

    def post(self, path, body, *, raw=None, authenticated=True):
        headers = self.headers() if authenticated else {}
        with self.capture(execute=True):
            return self.client.post(
                path,
                data=raw if raw is not None else json.dumps(body),
                content_type="application/json",
                **headers,
            )

    def simulate(self, body, query="affiliateId=MKP&sc=1"):
        return self.post(f"/api/checkout/pub/orderForms/simulation?{query}", body)

    def place(self, order, query="affiliateId=MKP&sc=1", **options):
        return self.post(f"/api/fulfillment/pvt/orders?{query}", order, **options)

    def fulfill(self, order_id, marketplace_order_id=None, query="affiliateId=MKP"):
        body = [{"marketplaceOrderId": marketplace_order_id or order_id.split("-", 1)[1]}]
        return self.post(f"/api/fulfillment/pvt/orders/{order_id}/fulfill?{query}", body)


@pytest.fixture
def fulfillment(client, shop, django_capture_on_commit_callbacks):
    return Connector(client, shop.credentials, django_capture_on_commit_callbacks)


@pytest.fixture
def authorizing_rule(shop, owner):
    rule_set(shop.account, [band(0, 100, "authorize")])


@pytest.fixture
def held_rule(shop, owner, approver, second_approver):
    rule_set(shop.account, held_bands())


def descriptions(response) -> list[str]:
    return [error["description"] for error in response.json()["errors"]]


# ---------------------------------------------------------------------------------------------
# Place fulfillment order: the shape


def test_the_guides_example_is_placed_at_once_and_answered_with_the_created_order(
    fulfillment, shop, connector_server
):
    order = seed_order()
    response = fulfillment.place([order])
    assert response.status_code == 200, response.json()
    assert response.json() == [
        {
            "marketplaceOrderId": "2630580124",
            "orderId": "MKP-2630580124",
            "followUpEmail": None,
            "items": order["items"],
            "shippingData": order["shippingData"],
            "paymentData": None,
        }
    ]
    placed = Order.objects.get()
    assert (placed.main_order_id, placed.status, placed.paid_value_cents, placed.seller_value_cents) == (
        "MKP-2630580124",
        "payment-pending",
        3025,
        3025,
    )
    assert (placed.customer_email, placed.customer_name) == ("conta@dominio.com.br", "Nome Sobrenome")
    assert placed.items.get().sla == "Express"
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1
    assert connector_server.codes() == []  # the answer was the result: nothing to notify


def test_the_placed_order_keeps_what_the_marketplace_sent_in_the_order_apis_terms(fulfillment, shop):
    fulfillment.place([seed_order()])
    payload = Order.objects.get().payload
    assert payload["clientProfileData"]["email"] == "conta@dominio.com.br"
    assert payload["shippingData"]["selectedAddresses"] == [
        {
            "addressId": "Casa",
            "addressType": "residential",
            "receiverName": "Marcelo",
            "city": "Curitiba",
            "complement": None,
            "country": "BRA",
            "geoCoordinates": None,
            "neighborhood": "Novo Mundo",
            "number": "4000",
            "postalCode": "81020230",
            "reference": None,
            "state": "PR",
            "street": "Rua Eduardo Carlos Pereira",
        }
    ]
    assert payload["openTextField"] == '{"Phones":["21998718616"]}'
    assert payload["marketplaceServicesEndpoint"].startswith("http://skyhub.example/")
    assert payload["customData"]["customApps"][0]["fields"]["orderIdMarketplace"] == "2630580148"


def test_a_body_in_the_published_shape_is_placed_and_answered_in_the_published_shapes(fulfillment, shop):
    order = published_shape_order()
    assert_valid(published("components", "schemas", "placeFulfillmentOrderRequest"), order)
    response = fulfillment.place(order)
    assert response.status_code == 200, response.json()
    (placed,) = response.json()
    assert_valid(published(*ORDER_DATA, "items"), placed["items"])
    assert_valid(published(*ORDER_DATA, "shippingData"), placed["shippingData"])
    address = Order.objects.get().payload["shippingData"]["selectedAddresses"][0]
    assert address["geoCoordinates"] == {"latitude": -25.4826319, "longitude": -49.2892059}


def test_every_problem_is_named_at_once_and_nothing_is_stored(fulfillment, shop):
    order = seed_order(marketplacePaymentValue=30.25)
    del order["marketplaceServicesEndpoint"]
    del order["items"][0]["price"]
    order["items"].append({"id": "2", "price": 100, "quantity": 1, "seller": "1"})
    del order["clientProfileData"]["Email"]
    order["shippingData"]["logisticsInfo"][0]["lockTTL"] = "tomorrow"
    response = fulfillment.place([order])
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "EOI005",
        "message": "marketplaceServicesEndpoint is required",
        "exception": None,
    }
    assert descriptions(response) == [
        "marketplaceServicesEndpoint is required",
        "clientProfileData.email is required",
        "items[0].price is required",
        "marketplacePaymentValue must be a whole number (integer cents for money)",
        "shippingData.logisticsInfo[0].lockTTL is not in the expected format: a stock reservation period "
        "such as 1d or 3bd",
        "shippingData.logisticsInfo must have one entry per item: itemIndex 1 has 0",
    ]
    assert IntakeRecord.objects.count() == Order.objects.count() == 0


def test_a_pickup_order_is_checked_as_the_order_api_checks_it_and_named_as_sent(fulfillment, shop):
    order = seed_order()
    order["shippingData"]["logisticsInfo"][0]["selectedDeliveryChannel"] = "pickup-in-point"
    response = fulfillment.place([order])
    assert response.status_code == 400
    assert "shippingData.address.addressType must be pickup for pickup-in-point" in descriptions(response)


def test_several_orders_in_one_request_are_refused(fulfillment, shop):
    response = fulfillment.place([seed_order(), seed_order(marketplaceOrderId="2")])
    assert response.status_code == 400
    assert descriptions(response) == ["body must hold exactly one order: send one order per request"]


@pytest.mark.parametrize("query", ["affiliateId=XYZ&sc=1", "sc=1"])
def test_another_or_no_affiliate_id_is_fmt0021(fulfillment, shop, query):
    response = fulfillment.place([seed_order()], query=query)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "FMT0021",
        "message": "Invalid affiliate id",
        "exception": None,
    }
    assert IntakeRecord.objects.count() == 0


def test_without_credentials_the_answer_is_401_in_the_same_style(fulfillment, shop):
    response = fulfillment.place([seed_order()], authenticated=False)
    assert response.status_code == 401
    assert (
        response.json()["error"]["message"] == "Send the X-VTEX-API-AppKey and X-VTEX-API-AppToken headers."
    )


def test_a_sales_channel_the_connector_does_not_sell_in_has_nothing_available(fulfillment, shop):
    response = fulfillment.place([seed_order()], query="affiliateId=MKP&sc=2")
    assert api_error(response) == (400, "ORD027")
    assert descriptions(response) == ["Item 1(1) is not available in sales channel 2"]
    assert Order.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Without isCreatedAsync: decided in the request


@pytest.mark.parametrize("with_rule", [True, False])
def test_without_is_created_async_a_divergent_order_is_refused_with_fmt007_rule_or_not(
    request, fulfillment, shop, connector_server, with_rule, django_capture_on_commit_callbacks
):
    if with_rule:
        with django_capture_on_commit_callbacks(execute=True):
            request.getfixturevalue("authorizing_rule")
    response = fulfillment.place([seed_order(marketplacePaymentValue=2571)])
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "FMT007",
        "message": "Payment total (2571) differs from store desired value (3025)",
        "exception": None,
    }
    assert descriptions(response) == [
        "Payment total (2571) differs from store desired value (3025)",
        "Price divergence of 15.01 %: an order placed without isCreatedAsync is refused whatever the rule",
    ]
    assert Order.objects.count() == 0
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 0
    intake = IntakeRecord.objects.get()  # the seller sees the refused submission among connection orders
    assert (intake.status, intake.code) == ("rejected", "EOI003")
    assert connector_server.codes() == []


def test_without_is_created_async_an_overpayment_the_seller_does_not_count_is_no_divergence(
    fulfillment, shop
):
    shop.account.overpayment_is_divergence = False
    shop.account.save()
    response = fulfillment.place([seed_order(marketplacePaymentValue=3100)])
    assert response.status_code == 200, response.json()
    assert Order.objects.get().outcome == "no-divergence"


def test_the_same_order_again_is_fmt009(fulfillment, shop):
    fulfillment.place([seed_order()])
    response = fulfillment.place([seed_order()])
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "FMT009",
        "message": "The request order with marketplace order id 2630580124 for affiliate MKP already exists",
        "exception": None,
    }
    assert Order.objects.count() == 1


def test_an_unexpected_failure_answers_500_leaves_nothing_behind_and_a_retry_succeeds(
    fulfillment, shop, monkeypatch
):
    def fail(*args, **kwargs):
        raise DatabaseError("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr("orders.intake.write.order_events_save", fail)  # after the order is written
        response = fulfillment.place([seed_order()])
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "EOI006",
        "message": "An unexpected internal error occurred: send the request again later",
        "exception": None,
    }
    assert IntakeRecord.objects.count() == Order.objects.count() == 0
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 0
    assert fulfillment.place([seed_order()]).status_code == 200
    assert Order.objects.count() == 1
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1


# ---------------------------------------------------------------------------------------------
# With isCreatedAsync: queued, and decided by the rule as on the order API


def test_with_is_created_async_a_divergent_order_waits_for_the_seller_as_on_the_order_api(
    fulfillment, shop, held_rule, connector_server
):
    response = fulfillment.place([seed_order(isCreatedAsync=True, marketplacePaymentValue=2571)])
    assert response.status_code == 200
    assert response.json()[0]["orderId"] == "MKP-2630580124"
    (notification,) = connector_server.wait_for(1)
    assert (notification.body["code"], notification.body["fields"]["mainOrderId"]) == (
        "SOI001",
        "MKP-2630580124",
    )
    assert notification.path == "/api/vtex/order-integration/notification/processing-result?an=acme"
    assert Order.objects.get().status == "waiting-for-manual-authorization"


def test_with_is_created_async_a_denied_divergence_is_notified_eoi003(
    fulfillment, shop, held_rule, connector_server
):
    response = fulfillment.place([seed_order(isCreatedAsync=True, marketplacePaymentValue=1000)])
    assert response.status_code == 200
    body = connector_server.wait_for(1)[0].body
    assert (body["code"], body["errors"][0]["code"], body["errors"][0]["description"]) == (
        "EOI003",
        "FMT007",
        "Payment total (1000) differs from store desired value (3025)",
    )
    assert Order.objects.count() == 0


def test_with_is_created_async_and_no_rule_a_divergent_order_is_denied_eoi003(
    fulfillment, shop, connector_server
):
    fulfillment.place([seed_order(isCreatedAsync=True, marketplacePaymentValue=2571)])
    assert connector_server.wait_for(1)[0].body["code"] == "EOI003"


def test_with_is_created_async_an_exact_replay_starts_nothing(fulfillment, shop, connector_server):
    first = fulfillment.place([seed_order(isCreatedAsync=True)])
    again = fulfillment.place([seed_order(isCreatedAsync=True)])
    assert first.json() == again.json()
    connector_server.wait_for(1)
    assert IntakeRecord.objects.count() == 1
    assert Notification.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Authorize dispatch


def test_authorizing_dispatch_moves_the_order_on(fulfillment, shop):
    fulfillment.place([seed_order()])
    response = fulfillment.fulfill("MKP-2630580124")
    assert (response.status_code, response.json()) == (200, {"marketplaceOrderId": "2630580124"})
    placed = Order.objects.get()
    assert (placed.status, placed.marketplace_approved) == ("ready-for-handling", True)
    assert fulfillment.fulfill("MKP-2630580124").status_code == 200  # again: harmless


def test_authorizing_dispatch_while_the_seller_decides_is_refused_then_applied_on_approval(
    fulfillment,
    shop,
    held_rule,
    connector_server,
    approver,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    fulfillment.place([seed_order(isCreatedAsync=True, marketplacePaymentValue=2571)])
    connector_server.wait_for(1)
    response = fulfillment.fulfill("MKP-2630580124")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "EOI011",
        "message": "Order MKP-2630580124 waits for the seller's manual authorization (price divergence): "
        "dispatch is authorized as soon as the seller approves it",
        "exception": None,
    }
    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(approver).post("/api/orders/MKP-2630580124/approve?an=acme", {}, format="json")
    assert Order.objects.get().status == "ready-for-handling"
    assert connector_server.wait_for(2)[1].body["code"] == "SOI002"


def test_authorizing_dispatch_of_an_unknown_order_is_404(fulfillment, shop):
    response = fulfillment.fulfill("MKP-404")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Order MKP-404 is not integrated"


def test_authorizing_dispatch_of_a_canceled_order_is_400(fulfillment, shop):
    from orders.events import SYSTEM
    from orders.services import order_transition

    fulfillment.place([seed_order()])
    order_transition(order=Order.objects.get(), to_status="canceled", actor=SYSTEM)
    response = fulfillment.fulfill("MKP-2630580124")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Order MKP-2630580124 is canceled and cannot be approved"


def test_authorizing_dispatch_names_a_marketplace_id_that_is_not_the_orders(fulfillment, shop):
    fulfillment.place([seed_order()])
    response = fulfillment.fulfill("MKP-2630580124", marketplace_order_id="999")
    assert response.status_code == 400
    assert Order.objects.get().status == "payment-pending"


def test_authorizing_dispatch_with_another_affiliate_id_is_fmt0021(fulfillment, shop):
    fulfillment.place([seed_order()])
    response = fulfillment.fulfill("MKP-2630580124", query="affiliateId=XYZ")
    assert api_error(response) == (400, "FMT0021")


# ---------------------------------------------------------------------------------------------
# Simulation


@pytest.fixture
def catalog(shop):
    """SKU 1 (10 in WH1, Express delivery); a pickup point at WH1; SKU 2 out of stock; SKU 3 inactive."""
    pickup = ShippingPolicyFactory(
        account=shop.account,
        policy_id="Retirada",
        delivery_channel="pickup-in-point",
        freight_cents=0,
        estimate="1d",
    )
    pickup.pickup_points.add(
        PickupPointFactory(account=shop.account, point_id="PP1", name="Loja Centro", warehouse=shop.warehouse)
    )
    StockFactory(
        sku=SkuFactory(account=shop.account, sku_id="2", price_cents=500),
        warehouse=shop.warehouse,
        quantity=0,
    )
    SkuFactory(account=shop.account, sku_id="3", price_cents=700, active=False)
    return shop


def simulation(*items, **fields) -> dict:
    return {"items": [{"id": sku, "quantity": quantity, "seller": "1"} for sku, quantity in items], **fields}


def test_simulation_answers_price_availability_and_slas_per_item(fulfillment, catalog):
    response = fulfillment.simulate(
        simulation(("1", 2), ("99", 1), ("2", 1), ("3", 1), postalCode="81020-235", country="BRA")
    )
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert [(i["id"], i["requestIndex"], i["price"], i["availability"]) for i in answer["items"]] == [
        ("1", 0, 975, "available"),
        ("2", 2, 500, "withoutStock"),
        ("3", 3, 700, "unavailable"),
    ]
    first = answer["logisticsInfo"][0]
    assert [
        (s["id"], s["deliveryChannel"], s["price"], s["shippingEstimate"], s["pickupPointId"])
        for s in first["slas"]
    ] == [
        ("Retirada", "pickup-in-point", 0, "1d", "PP1"),
        ("Express", "delivery", 4100, "2d", None),
    ]
    assert [info["slas"] for info in answer["logisticsInfo"][1:]] == [[], []]
    assert answer["messages"] == [
        {"messageId": "ORD027", "messageText": "Item 99 not found or unavailable", "messageType": "error"}
    ]
    assert answer["pickupPoints"][0]["friendlyName"] == "Loja Centro"
    assert (answer["postalCode"], answer["country"]) == ("81020-235", "BRA")
    assert answer["totals"] == [
        {"id": "Items", "name": "Items total", "value": 1950},
        {"id": "Shipping", "name": "Shipping total (cheapest SLA of each item)", "value": 0},
    ]


def test_simulation_is_answered_in_the_published_shapes(fulfillment, catalog):
    schema = published_simulation_schema()
    assert_valid(
        schema,
        PUBLISHED["paths"]["/api/checkout/pub/orderForms/simulation"]["post"]["responses"]["200"]["content"][
            "application/json"
        ]["example"],
    )
    assert_valid(
        schema, fulfillment.simulate(simulation(("1", 1), ("2", 1), ("99", 1), country="BRA")).json()
    )


def test_simulation_says_an_item_with_units_but_no_sla_cannot_be_delivered(fulfillment, shop):
    ShippingPolicy.objects.filter(pk=shop.policy.pk).update(active=False)
    (item,) = fulfillment.simulate(simulation(("1", 1))).json()["items"]
    assert item["availability"] == "cannotBeDelivered"


def test_simulation_offers_only_warehouses_that_hold_the_whole_quantity(fulfillment, shop):
    (item,) = fulfillment.simulate(simulation(("1", 11))).json()["items"]
    assert item["availability"] == "withoutStock"


def test_simulation_in_another_sales_channel_sells_nothing(fulfillment, shop):
    (item,) = fulfillment.simulate(simulation(("1", 1)), query="affiliateId=MKP&sc=2").json()["items"]
    assert item["availability"] == "unavailable"


def test_simulation_names_a_malformed_body(fulfillment, shop):
    response = fulfillment.simulate({"items": [{"id": "1", "quantity": 0}]})
    assert response.status_code == 400
    assert descriptions(response) == ["items[0].quantity must be at least 1"]


def test_what_the_simulation_offers_is_placed_without_divergence(fulfillment, catalog):
    answer = fulfillment.simulate(simulation(("1", 2))).json()
    sla = next(s for s in answer["logisticsInfo"][0]["slas"] if s["deliveryChannel"] == "delivery")
    order = seed_order(
        items=[{"id": "1", "price": answer["items"][0]["price"], "quantity": 2, "seller": "1"}],
        marketplacePaymentValue=answer["items"][0]["priceDefinition"]["total"] + sla["price"],
    )
    order["shippingData"]["logisticsInfo"][0].update(selectedSla=sla["id"], price=sla["price"])
    response = fulfillment.place([order])
    assert response.status_code == 200, response.json()
    assert Order.objects.get().outcome == "no-divergence"


# ---------------------------------------------------------------------------------------------
# The guide's scenarios, from the connector's side (seed 002)


class PreviousProtocolConnector(Connector):
    """A connector written to the guide: 200 logs the order, 400 is a business error (log, stop),
    500 a communication error (queue and retry, at most `RETRIES` times, then a dead-letter queue)."""

    RETRIES = 10

    def __init__(self, *args):
        super().__init__(*args)
        self.log: list[tuple] = []
        self.dead_letters: list[str] = []

    def _until_answered(self, send, *, on_success, key: str):
        for _ in range(self.RETRIES):
            response = send()
            if response.status_code == 200:
                self.log.append(on_success(response))
                return response
            if 400 <= response.status_code < 500:
                self.log.append(
                    ("error", response.json()["error"]["code"], response.json()["error"]["message"])
                )
                return response
            self.log.append(("retry", response.status_code))
        self.dead_letters.append(key)
        return None

    def integrate(self, order: dict, *, canceled_on_marketplace=lambda: False):
        if canceled_on_marketplace():
            self.log.append(("canceled on the marketplace", order["marketplaceOrderId"]))
            return None
        return self._until_answered(
            lambda: self.place([order]),
            on_success=lambda response: ("created", response.json()[0]["orderId"]),
            key=order["marketplaceOrderId"],
        )

    def cancel(self, order_id: str, *, reason: str):
        """The marketplace canceled the order: cancel it at the seller's, or return it when invoiced."""
        with self.capture(execute=True):
            found = self.client.get(f"/api/oms/pvt/orders/{order_id}", **self.headers())
        if found.status_code == 404:
            self.log.append(("not at the seller's", order_id))
            return None
        if found.json()["status"] == "invoiced":
            return self._until_answered(
                lambda: self.post(f"/api/oms/pvt/orders/{order_id}/invoice", return_invoice()),
                on_success=lambda response: ("returned", order_id),
                key=order_id,
            )
        return self._until_answered(
            lambda: self.post(f"/api/oms/pvt/orders/{order_id}/cancel", {"reason": reason}),
            on_success=lambda response: ("canceled", response.json()["orderId"]),
            key=order_id,
        )


def return_invoice() -> dict:
    return {
        "type": "Input",
        "invoiceNumber": "DEV-1",
        "invoiceValue": "3025",
        "issuanceDate": "2026-11-21T10:00:00Z",
        "items": [{"id": "1", "price": 975, "quantity": 1}],
    }


@pytest.fixture
def guide_connector(client, shop, django_capture_on_commit_callbacks):
    return PreviousProtocolConnector(client, shop.credentials, django_capture_on_commit_callbacks)


def test_scenario_1_a_price_divergence_is_logged_without_retry_then_queued_for_the_rule(
    guide_connector, shop, held_rule, connector_server
):
    divergent = seed_order(marketplacePaymentValue=2571)
    guide_connector.integrate(divergent)
    assert guide_connector.log == [
        (
            "error",
            "FMT007",
            "Payment total (2571) differs from store desired value (3025)",
        )
    ]
    guide_connector.integrate({**divergent, "isCreatedAsync": True})
    assert guide_connector.log[-1] == ("created", "MKP-2630580124")
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    assert Order.objects.get().status == "waiting-for-manual-authorization"


def test_scenario_1_a_failure_to_reach_the_rule_is_retried_until_it_works(guide_connector, shop, monkeypatch):
    from orders.intake import account_settings

    real, failures = account_settings.account_bands, iter([DatabaseError("rule system unreachable")] * 2)

    def flaky(**kwargs):
        failure = next(failures, None)
        if failure:
            raise failure
        return real(**kwargs)

    monkeypatch.setattr(account_settings, "account_bands", flaky)
    guide_connector.integrate(seed_order())
    assert guide_connector.log == [("retry", 500), ("retry", 500), ("created", "MKP-2630580124")]
    assert Order.objects.count() == 1


def test_scenario_2_an_inventory_divergence_is_logged_and_resent_once_the_seller_restocks(
    guide_connector, shop
):
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=0)
    guide_connector.integrate(seed_order())
    assert guide_connector.log == [("error", "ORD027", "Item 1(1) is not available")]
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=5)
    guide_connector.integrate(seed_order())  # not canceled on the marketplace: sent again
    assert guide_connector.log[-1] == ("created", "MKP-2630580124")
    assert list(IntakeRecord.objects.order_by("pk").values_list("status", flat=True)) == [
        "rejected",
        "integrated",
    ]


def test_scenario_2_an_order_canceled_on_the_marketplace_leaves_the_retry_queue(guide_connector, shop):
    guide_connector.integrate(seed_order(), canceled_on_marketplace=lambda: True)
    assert guide_connector.log == [("canceled on the marketplace", "2630580124")]
    assert IntakeRecord.objects.count() == 0


def test_scenario_3_no_carrier_is_logged_with_the_sla_that_is_missing(guide_connector, shop):
    ShippingPolicy.objects.filter(pk=shop.policy.pk).update(active=False)
    response = guide_connector.integrate(seed_order())
    assert guide_connector.log == [("error", "ORD027", "The selected SLA for item 1(1) is not available")]
    assert response.json()["errors"] == [
        {
            "source": "Fulfillment",
            "code": "FMT010",
            "description": "The selected SLA for item 1(1) is not available",
        }
    ]
    ShippingPolicy.objects.filter(pk=shop.policy.pk).update(active=True)
    guide_connector.integrate(seed_order())
    assert guide_connector.log[-1] == ("created", "MKP-2630580124")


def test_scenario_4_no_pickup_point_is_logged(guide_connector, shop):
    order = seed_order()
    order["shippingData"]["logisticsInfo"][0].update(selectedDeliveryChannel="pickup-in-point", price=0)
    order["shippingData"]["selectedAddresses"][0].update(addressType="pickup", addressId="PP9")
    guide_connector.integrate(order)
    assert guide_connector.log == [("error", "ORD027", "Pickup point PP9 is not available")]
    assert Order.objects.count() == 0


def test_scenario_5_an_order_canceled_on_the_marketplace_is_canceled_and_its_stock_released(
    guide_connector, fulfillment, shop
):
    guide_connector.integrate(seed_order())
    guide_connector.cancel("MKP-2630580124", reason="Canceled by the customer on the marketplace")
    assert guide_connector.log == [("created", "MKP-2630580124"), ("canceled", "MKP-2630580124")]
    canceled = Order.objects.get()
    assert canceled.status == "canceled"
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 0
    late = fulfillment.fulfill("MKP-2630580124")  # authorizing dispatch afterwards is refused
    assert api_error(late) == (400, "EOI009")


def test_scenario_5_an_order_the_seller_never_got_is_only_logged(guide_connector, shop):
    guide_connector.cancel("MKP-2630580124", reason="Canceled on the marketplace")
    assert guide_connector.log == [("not at the seller's", "MKP-2630580124")]


def test_scenario_5_an_invoiced_order_gets_a_return_invoice_instead(guide_connector, fulfillment, shop):
    from orders.events import SYSTEM
    from orders.services import order_transition

    guide_connector.integrate(seed_order())
    fulfillment.fulfill("MKP-2630580124")
    order = Order.objects.get()
    for status in ("handling", "invoiced"):
        order = order_transition(order=order, to_status=status, actor=SYSTEM)
    guide_connector.cancel("MKP-2630580124", reason="Returned by the customer")
    assert guide_connector.log[-1] == ("returned", "MKP-2630580124")
    assert Order.objects.get().status == "invoiced"
