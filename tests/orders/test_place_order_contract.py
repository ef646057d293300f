"""What a connector gets back synchronously: authentication, account, body checks, size, replays."""

import json

import pytest

from orders.models import IntakeRecord, Order
from tests.factories import AccountFactory, connector
from tests.orders.payloads import order_body


def test_missing_credentials_answer_401_with_the_contract_body(client, shop):
    response = client.post(
        "/api/order-integration/orders?an=acme",
        data=json.dumps(order_body()),
        content_type="application/json",
    )
    assert response.status_code == 401
    body = response.json()
    assert (body["success"], body["flow"]) == (False, "PlaceOrder")
    assert body["message"] == "Send the X-VTEX-API-AppKey and X-VTEX-API-AppToken headers."
    assert IntakeRecord.objects.count() == 0


def test_wrong_token_answers_401(client, shop):
    response = client.post(
        "/api/order-integration/orders?an=acme",
        data=json.dumps(order_body()),
        content_type="application/json",
        HTTP_X_VTEX_API_APPKEY=shop.credentials.app_key,
        HTTP_X_VTEX_API_APPTOKEN="not-the-token",
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid X-VTEX-API-AppKey or X-VTEX-API-AppToken."


def test_another_account_answers_403(mkp, shop):
    AccountFactory(name="globex")
    response = mkp.place(order_body(), an="globex")
    assert response.status_code == 403
    assert response.json()["message"] == "This connector cannot act on account globex."
    assert IntakeRecord.objects.count() == 0


def test_account_defaults_to_the_connectors(mkp, shop, connector_server):
    with mkp.capture(execute=True):
        response = mkp.client.post(
            "/api/order-integration/orders",
            data=json.dumps(order_body()),
            content_type="application/json",
            **mkp.headers(),
        )
    assert response.json()["accountName"] == "acme"
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"


def test_a_connector_of_another_account_cannot_place_here(
    client, shop, connector_server, django_capture_on_commit_callbacks
):
    from tests.connector_client import ConnectorClient

    _, stranger = connector(AccountFactory(name="globex"), endpoint=connector_server.url)
    response = ConnectorClient(client, stranger, django_capture_on_commit_callbacks).place(
        order_body(), an="acme"
    )
    assert response.status_code == 403
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"marketplacePaymentValue": 30.25},
            "marketplacePaymentValue must be a whole number (integer cents for money)",
        ),
        (
            {"marketplacePaymentValue": "3025"},
            "marketplacePaymentValue must be a whole number (integer cents for money)",
        ),
        ({"items": [{"id": "1", "price": 975, "quantity": 0}]}, "items[0].quantity must be at least 1"),
        ({"items": [{"id": "1", "price": 975, "quantity": -2}]}, "items[0].quantity must be at least 1"),
        ({"items": [{"id": "1", "price": -975, "quantity": 1}]}, "items[0].price must be at least 0"),
        ({"marketplaceOrderStatus": "paid"}, "marketplaceOrderStatus must be new or approved"),
        ({"marketplaceOrderId": None}, "marketplaceOrderId must be of type string"),
        ({"items": []}, "items must have at least 1 entry"),
    ],
)
def test_malformed_bodies_get_eoi005_naming_the_field(mkp, shop, change, expected):
    response = mkp.place(order_body(**change))
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["success"], body["flow"]) == ("EOI005", False, "PlaceOrder")
    assert {"source": "Order Integration", "code": "EOI005", "description": expected} in body["errors"]
    assert IntakeRecord.objects.count() == 0


def test_every_problem_is_listed(mkp, shop):
    body = order_body()
    del body["clientProfileData"]["email"]
    body["shippingData"]["selectedAddresses"].append(dict(body["shippingData"]["selectedAddresses"][0]))
    body["items"].append({"id": "2", "price": 100, "quantity": 1})
    descriptions = [error["description"] for error in mkp.place(body).json()["errors"]]
    assert "clientProfileData.email is required" in descriptions
    assert "shippingData.selectedAddresses must have at most 1 entry" in descriptions
    assert (
        "shippingData.logisticsInfo must have one entry per item, in the items' order (1 for 2 items)"
        in descriptions
    )


def test_pickup_in_point_cannot_be_fob(mkp, shop):
    body = order_body(
        shipping={"isFob": True},
        logistics={"selectedDeliveryChannel": "pickup-in-point", "selectedSla": ""},
        address={"addressType": "pickup", "addressId": "PP1"},
    )
    descriptions = [error["description"] for error in mkp.place(body).json()["errors"]]
    assert descriptions == ["shippingData.isFob cannot be true for pickup-in-point"]


def test_status_is_compared_case_insensitively(mkp, shop, connector_server):
    assert mkp.place(order_body(marketplaceOrderStatus="NEW")).status_code == 200
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"


def test_invalid_json_and_wrong_content_type(mkp, shop):
    response = mkp.place(None, raw="{not json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["description"].startswith("The body is not valid JSON: ")
    response = mkp.place(None, raw="marketplaceOrderId=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert not IntakeRecord.objects.exists()


def test_deeply_nested_json_is_refused_cleanly(mkp, shop):
    response = mkp.place(None, raw="[" * 100000 + "]" * 100000)
    assert response.status_code == 400  # within the size limit: refused for its shape, not its size
    assert response.json()["code"] == "EOI005"
    assert not IntakeRecord.objects.exists()


def test_body_over_the_size_limit_answers_413(mkp, shop, settings):
    settings.ORDER_BODY_MAX_BYTES = 2000
    response = mkp.place(order_body(openTextField="x" * 3000))
    assert response.status_code == 413
    assert response.json()["errors"][0]["description"] == "The body is over the limit of 2000 bytes"


def test_exact_replay_answers_the_same_and_starts_nothing(mkp, shop, connector_server):
    first = mkp.place(order_body())
    connector_server.wait_for(1)
    replay = mkp.place(order_body())
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert IntakeRecord.objects.count() == 1
    assert Order.objects.count() == 1
    assert connector_server.codes() == ["SOI001"]


def test_same_order_id_with_another_body_is_notified_eoi007(mkp, shop, connector_server):
    mkp.place(order_body())
    connector_server.wait_for(1)
    assert mkp.place(order_body(openTextField="changed")).status_code == 200
    notifications = connector_server.wait_for(2)
    duplicate = notifications[1].body
    assert duplicate["code"] == "EOI007"
    assert duplicate["success"] is False
    assert duplicate["errors"][0]["code"] == "FMT009"
    assert Order.objects.count() == 1
    shop.stock.refresh_from_db()
    assert shop.stock.reserved == 1
