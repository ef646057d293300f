"""The OMS API for connectors: get an order, cancel it, send its invoice; a connector reaches only its own orders."""

import pytest

from authorization.models import ApprovalTask
from tests.connectors.oms_support import OmsClient, contract_errors, response_schema
from tests.factories import OrderFactory, connector
from tests.support.clients import api_error
from tests.support.observe import observed
from tests.support.shop import reserved

ORDER = "/api/oms/pvt/orders/MKP-123456789"


def invoice(**changes) -> dict:
    return {
        "type": "Output",
        "invoiceNumber": "NF-1001",
        "invoiceValue": "3025",
        "issuanceDate": "2026-11-20T10:00:00Z",
        "invoiceKey": None,
        "courier": "",
        "trackingNumber": "",
        "trackingUrl": "",
        "items": [{"id": "1", "price": 975, "quantity": 1}],
        **changes,
    }


@pytest.fixture
def placed(shop):
    """An order the marketplace has not approved yet: payment-pending, one unit reserved."""
    return OrderFactory(connector=shop.connector, marketplace_order_id="123456789")


@pytest.fixture
def ready(shop):
    """An order posted as approved: ready-for-handling."""
    return OrderFactory(connector=shop.connector, marketplace_order_id="123456789", status="approved")


# Get order -----------------------------------------------------------------------------------


def test_the_order_is_answered_in_the_contracts_shape(oms, placed):
    response = oms.get(ORDER)
    assert response.status_code == 200
    document = response.json()
    assert contract_errors(document, response_schema("/api/oms/pvt/orders/{orderId}", "get")) == []
    assert (document["orderId"], document["marketplaceOrderId"], document["affiliateId"]) == (
        "MKP-123456789",
        "123456789",
        "MKP",
    )
    assert (document["status"], document["value"], document["allowCancellation"]) == (
        "payment-pending",
        3025,
        True,
    )
    assert [
        (item["id"], item["quantity"], item["price"], item["sellerPrice"]) for item in document["items"]
    ] == [("1", 1, 975, 975)]
    assert {total["id"]: total["value"] for total in document["totals"]} == {
        "Items": 975,
        "Discounts": 0,
        "Shipping": 2050,
        "Tax": 0,
    }
    (logistics,) = document["shippingData"]["logisticsInfo"]
    assert (logistics["selectedSla"], logistics["price"], logistics["deliveryIds"]) == (
        "Express",
        2050,
        [{"warehouseId": "WH1", "quantity": 1}],
    )
    assert document["shippingData"]["address"]["city"] == "Curitiba"
    assert document["shippingData"]["address"]["geoCoordinates"] == [-45.8, -29.5]
    assert document["clientProfileData"]["email"] == "email@email.com.br"
    assert document["priceDivergence"] == {
        "paidValue": 3025,
        "sellerValue": 3025,
        "divergencePercent": "0.00",
        "allowanceRate": "0.0500",
        "outcome": "no-divergence",
        "reason": "deny-without-rule:no-divergence",
        "band": None,
        "decision": None,
    }


def test_a_held_order_shows_its_divergence_band_and_decision(oms, held_order, approver, api_client_for):
    divergence = oms.get(ORDER).json()["priceDivergence"]
    assert (divergence["divergencePercent"], divergence["outcome"]) == ("15.01", "manual")
    assert divergence["band"] == {"from": "10.00", "to": "20.00", "action": "manual"}
    assert divergence["decision"] == {"decision": None, "decidedAt": None, "reasonCode": None, "note": None}
    shown = str(oms.get(ORDER).json())
    assert "ana@acme.example" not in shown and "bo@acme.example" not in shown  # the approvers stay private

    api_client_for(approver).post(
        f"/api/orders/{held_order.main_order_id}/approve?an=acme", {"note": "Promo"}, format="json"
    )
    document = oms.get(ORDER).json()
    assert document["status"] == "payment-pending"
    assert document["priceDivergence"]["decision"]["decision"] == "approved"
    assert document["priceDivergence"]["decision"]["note"] == "Promo"
    assert document["authorizedDate"] is not None


def test_an_unknown_order_answers_404(oms, placed):
    response = oms.get("/api/oms/pvt/orders/MKP-999")
    assert api_error(response) == (404, "OMS002")
    assert response.json() == {
        "error": {
            "code": "OMS002",
            "message": "Order MKP-999 not found among this connector's orders.",
            "exception": None,
        }
    }


def test_a_connector_reaches_only_its_own_orders(
    oms, placed, shop, client, django_capture_on_commit_callbacks
):
    _, credentials = connector(shop.account, name="Other", affiliate_id="OTH")
    other_oms = OmsClient(client, credentials, django_capture_on_commit_callbacks)
    before = observed(shop.account)
    assert api_error(other_oms.get(ORDER)) == (404, "OMS002")
    assert api_error(other_oms.post(ORDER + "/cancel", {"reason": "Not mine"})) == (404, "OMS002")
    assert api_error(other_oms.post(ORDER + "/invoice", invoice())) == (404, "OMS002")
    assert observed(shop.account) == before
    placed.refresh_from_db()
    assert placed.status == "payment-pending"


def test_the_order_api_needs_the_connectors_credentials_and_account(client, oms, placed, other_account):
    assert api_error(client.get(ORDER)) == (401, "OMS006")
    assert api_error(oms.get(ORDER + "?an=globex")) == (403, "OMS007")
    assert oms.get(ORDER + "?an=acme").status_code == 200


# Cancel --------------------------------------------------------------------------------------


def test_cancel_releases_the_stock_and_answers_a_receipt(oms, placed, shop):
    assert reserved(shop) == 1
    response = oms.post(ORDER + "/cancel", {"reason": "Unexpected stock shortage"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert contract_errors(body, response_schema("/api/oms/pvt/orders/{orderId}/cancel", "post")) == []
    assert body["orderId"] == "MKP-123456789"
    assert len(body["receipt"]) == 32 and body["date"].endswith("Z")
    assert reserved(shop) == 0
    document = oms.get(ORDER).json()
    assert (document["status"], document["allowCancellation"]) == ("canceled", False)
    assert document["cancelReason"] == "Unexpected stock shortage"
    assert document["cancellationData"]["CancellationDate"] == body["date"]
    event = placed.events.get(to_status="canceled")
    assert event.actor_label == "connector SkyHub (MKP)"
    assert "Unexpected stock shortage" in event.note


def test_canceling_again_answers_the_same_receipt_and_changes_nothing(oms, placed, shop):
    first = oms.post(ORDER + "/cancel", {"reason": "Unexpected stock shortage"}).json()
    again = oms.post(ORDER + "/cancel", {"reason": "Sent twice"})
    assert again.status_code == 200
    assert again.json() == first
    assert placed.events.filter(to_status="canceled").count() == 1
    assert reserved(shop) == 0


def test_cancel_without_a_reason_is_accepted(oms, placed):
    response = oms.post(ORDER + "/cancel")
    assert response.status_code == 200
    assert oms.get(ORDER).json()["status"] == "canceled"


def test_canceling_a_held_order_stops_its_approval(
    oms, held_order, approver, api_client_for, shop, connector_server
):
    assert oms.post(ORDER + "/cancel", {"reason": "Customer gave up"}).status_code == 200
    assert ApprovalTask.objects.get(order=held_order).next_notification_at is None
    assert reserved(shop) == 0
    before = observed(shop.account)
    with oms.capture(execute=True):
        response = api_client_for(approver).post(
            f"/api/orders/{held_order.main_order_id}/approve?an=acme", {}, format="json"
        )
    assert response.status_code == 409
    assert response.json()["message"] == "Order MKP-123456789 is canceled: it no longer waits for a decision."
    assert observed(shop.account) == before
    held_order.refresh_from_db()
    assert (held_order.status, held_order.approval_task.decision) == ("canceled", "")
    assert connector_server.codes() == ["SOI001"]


def test_an_invoiced_order_cannot_be_canceled(oms, ready):
    oms.post(ORDER + "/invoice", invoice())
    response = oms.post(ORDER + "/cancel", {"reason": "Too late"})
    assert api_error(response) == (409, "OMS003")
    assert response.json()["error"]["message"] == (
        "Order MKP-123456789 is invoiced and cannot be canceled: send a return invoice (type Input) instead."
    )
    assert oms.get(ORDER).json()["status"] == "invoiced"


def test_a_cancel_reason_over_2000_characters_answers_400(oms, placed):
    response = oms.post(ORDER + "/cancel", {"reason": "x" * 2001})
    assert api_error(response) == (400, "OMS001")
    assert response.json()["error"]["message"].startswith("reason: ")


# Invoice -------------------------------------------------------------------------------------


def test_an_output_invoice_moves_a_ready_order_through_handling_to_invoiced(oms, ready, shop):
    response = oms.post(ORDER + "/invoice", invoice())
    assert response.status_code == 200, response.json()
    body = response.json()
    assert contract_errors(body, response_schema("/api/oms/pvt/orders/{orderId}/invoice", "post")) == []
    assert body["orderId"] == "MKP-123456789" and len(body["receipt"]) == 32
    assert list(ready.events.exclude(to_status="").values_list("from_status", "to_status")) == [
        ("", "ready-for-handling"),
        ("ready-for-handling", "handling"),
        ("handling", "invoiced"),
    ]
    document = oms.get(ORDER).json()
    assert contract_errors(document, response_schema("/api/oms/pvt/orders/{orderId}", "get")) == []
    assert (document["status"], document["allowCancellation"]) == ("invoiced", False)
    assert document["invoicedDate"] is not None
    (package,) = document["packageAttachment"]["packages"]
    assert (package["type"], package["invoiceNumber"], package["invoiceValue"], package["receipt"]) == (
        "Output",
        "NF-1001",
        3025,
        body["receipt"],
    )
    assert package["items"] == [{"itemIndex": 0, "quantity": 1, "price": 975}]


def test_invoicing_enters_the_feed(oms, ready):
    oms.post(
        "/api/orders/feed/config", {"filter": {"type": "FromWorkflow", "status": ["handling", "invoiced"]}}
    )
    oms.post(ORDER + "/invoice", invoice())
    states = [item["state"] for item in oms.get("/api/orders/feed?maxlot=10").json()]
    assert states == ["handling", "invoiced"]


def test_an_order_not_yet_ready_cannot_be_invoiced(oms, placed):
    response = oms.post(ORDER + "/invoice", invoice())
    assert api_error(response) == (409, "OMS003")
    assert response.json()["error"]["message"] == (
        "Order MKP-123456789 is payment-pending: order status should be ready-for-handling or handling to be "
        "invoiced."
    )
    assert oms.get(ORDER).json()["status"] == "payment-pending"


def test_the_same_invoice_sent_again_gets_a_new_receipt_and_another_is_refused(oms, ready):
    first = oms.post(ORDER + "/invoice", invoice()).json()
    again = oms.post(ORDER + "/invoice", invoice())
    assert again.status_code == 200
    assert again.json()["receipt"] != first["receipt"]
    (package,) = oms.get(ORDER).json()["packageAttachment"]["packages"]
    assert package["receipt"] == again.json()["receipt"]
    other = oms.post(ORDER + "/invoice", invoice(invoiceNumber="NF-2002"))
    assert api_error(other) == (409, "OMS003")
    assert (
        other.json()["error"]["message"] == "Order MKP-123456789 is already invoiced, with invoice NF-1001."
    )


def test_a_return_invoice_is_recorded_on_an_invoiced_order_only(oms, ready):
    refused = oms.post(ORDER + "/invoice", invoice(type="Input", invoiceNumber="DEV-1"))
    assert api_error(refused) == (409, "OMS003")
    assert (
        "a return invoice (type Input) is for invoiced orders; cancel it instead"
        in refused.json()["error"]["message"]
    )
    oms.post(ORDER + "/invoice", invoice())
    response = oms.post(ORDER + "/invoice", invoice(type="input", invoiceNumber="DEV-1"))
    assert response.status_code == 200
    document = oms.get(ORDER).json()
    assert document["status"] == "invoiced"
    assert [(p["type"], p["invoiceNumber"]) for p in document["packageAttachment"]["packages"]] == [
        ("Output", "NF-1001"),
        ("Input", "DEV-1"),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"type": "Sale"}, "type: Output (a sale) or Input (a return)."),
        ({"invoiceValue": "24.99"}, "invoiceValue: A whole number is required"),
        ({"invoiceValue": 0}, "invoiceValue: Ensure this value is greater than or equal to 1."),
        ({"issuanceDate": "yesterday"}, "issuanceDate: An ISO 8601 date (2026-05-01) or date and time"),
        ({"invoiceNumber": None}, "invoiceNumber: This field may not be null."),
        ({"items": [{"id": "1", "price": 975}]}, "items[0].quantity: This field is required."),
        (
            {"items": [{"id": "42", "price": 975, "quantity": 1}]},
            "items: order MKP-123456789 has no item 42.",
        ),
    ],
)
def test_an_invoice_with_errors_answers_400_naming_the_field(oms, ready, changes, message):
    response = oms.post(ORDER + "/invoice", invoice(**changes))
    assert api_error(response) == (400, "OMS001")
    assert message in response.json()["error"]["message"]
    assert oms.get(ORDER).json()["status"] == "ready-for-handling"


def test_an_invoice_needs_its_number_value_date_and_type(oms, ready):
    response = oms.post(ORDER + "/invoice", {})
    message = response.json()["error"]["message"]
    for field in ("type", "invoiceNumber", "invoiceValue", "issuanceDate"):
        assert f"{field}: This field is required." in message
    assert oms.get(ORDER).json()["status"] == "ready-for-handling"


def test_an_order_invoiced_in_the_admin_shows_its_invoice_number_and_takes_only_that_invoice(
    oms, ready, owner
):
    from orders.events import Actor
    from orders.services import order_invoice, order_start_handling

    order_start_handling(order=ready, actor=Actor.of_user(owner))
    order_invoice(order=ready, actor=Actor.of_user(owner), invoice_number="NF-9")
    document = oms.get(ORDER).json()
    assert contract_errors(document, response_schema("/api/oms/pvt/orders/{orderId}", "get")) == []
    assert [(p["type"], p["invoiceNumber"]) for p in document["packageAttachment"]["packages"]] == [
        ("Output", "NF-9")
    ]
    refused = oms.post(ORDER + "/invoice", invoice())
    assert refused.json()["error"]["message"] == "Order MKP-123456789 is already invoiced, with invoice NF-9."
    assert oms.post(ORDER + "/invoice", invoice(invoiceNumber="NF-9")).status_code == 200
    (package,) = oms.get(ORDER).json()["packageAttachment"]["packages"]
    assert (package["invoiceNumber"], package["invoiceValue"]) == ("NF-9", 3025)
