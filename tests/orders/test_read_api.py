"""The seller reads orders over the API: the list with its filters and pages, one order with its history."""

import datetime

import pytest
from django.utils import timezone

from catalog.models import Stock
from tests.factories import band, member
from tests.orders.payloads import order_body
from tests.support.orders import rule_set

LIST = "/api/orders?an=acme"


def detail_url(main_order_id, an="acme"):
    return f"/api/orders/{main_order_id}?an={an}"


@pytest.fixture
def plenty_of_stock(shop):
    Stock.objects.filter(pk=shop.stock.pk).update(quantity=1000)


@pytest.fixture
def two_orders(mkp, shop, plenty_of_stock):
    """Order 1 is still awaiting the marketplace's approval; order 2 came approved."""
    mkp.place(order_body(marketplaceOrderId="1"))
    mkp.place(order_body(marketplaceOrderId="2", marketplaceOrderStatus="approved"))


def ids(response):
    return [order["mainOrderId"] for order in response.json()["results"]]


def test_list_shows_the_accounts_orders_newest_first_in_the_contracts_shape(
    api_client_for, viewer, two_orders
):
    response = api_client_for(viewer).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert ids(response) == ["MKP-2", "MKP-1"]
    assert body["next"] is None and body["previous"] is None
    first = body["results"][1]
    assert first["marketplaceOrderId"] == "1"
    assert first["franchiseOrderId"] is None
    assert first["connector"] == {"affiliateId": "MKP", "name": "SkyHub", "type": "external"}
    assert first["status"] == "payment-pending"
    assert (first["paidValue"], first["sellerValue"], first["divergencePercent"]) == (3025, 3025, "0.00")
    assert (first["outcome"], first["decisionReason"]) == ("no-divergence", "deny-without-rule:no-divergence")
    assert first["items"] == [
        {
            "id": "1",
            "name": "Shirt",
            "quantity": 1,
            "price": 975,
            "sellerPrice": 975,
            "freight": 2050,
            "sellerFreight": 2050,
            "divergencePercent": "0.00",
            "deliveryChannel": "delivery",
            "sla": "Express",
            "warehouseId": "WH1",
            "pickupPointId": None,
            "reservedQuantity": 1,
        }
    ]
    assert "events" not in first


def test_list_filters_by_status(api_client_for, owner, two_orders):
    client = api_client_for(owner)
    assert ids(client.get(f"{LIST}&status=ready-for-handling")) == ["MKP-2"]
    assert ids(client.get(f"{LIST}&status=ready-for-handling&status=payment-pending")) == ["MKP-2", "MKP-1"]
    wrong = client.get(f"{LIST}&status=shipped")
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "status"


def test_list_filters_by_connector_affiliate_id_or_name(api_client_for, owner, two_orders):
    client = api_client_for(owner)
    assert ids(client.get(f"{LIST}&connector=mkp")) == ["MKP-2", "MKP-1"]
    assert ids(client.get(f"{LIST}&connector=SkyHub")) == ["MKP-2", "MKP-1"]
    assert ids(client.get(f"{LIST}&connector=AMZ")) == []


def test_list_filters_by_creation_date_range(api_client_for, owner, two_orders):
    client = api_client_for(owner)
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    assert ids(client.get(f"{LIST}&createdFrom={today}&createdTo={today}")) == ["MKP-2", "MKP-1"]
    assert ids(client.get(f"{LIST}&createdFrom={tomorrow}")) == []
    assert ids(client.get(f"{LIST}&createdTo={today - datetime.timedelta(days=1)}")) == []
    an_hour_ago = (timezone.now() - datetime.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert ids(client.get(f"{LIST}&createdFrom={an_hour_ago}")) == ["MKP-2", "MKP-1"]
    wrong = client.get(f"{LIST}&createdFrom=yesterday")
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == [
        {
            "field": "createdFrom",
            "message": "Enter an ISO 8601 date (2026-05-01) or date and time (2026-05-01T12:00:00Z), "
            "in the years 1900 to 2999.",
        }
    ]


def test_list_pages_follow_next_and_previous_links(api_client_for, owner, two_orders):
    client = api_client_for(owner)
    first = client.get(f"{LIST}&pageSize=1").json()
    assert [order["mainOrderId"] for order in first["results"]] == ["MKP-2"]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [order["mainOrderId"] for order in second["results"]] == ["MKP-1"]
    assert second["next"] is None
    assert [order["mainOrderId"] for order in client.get(second["previous"]).json()["results"]] == ["MKP-2"]


def test_list_of_twenty_orders_takes_a_fixed_number_of_queries(
    api_client_for, owner, mkp, plenty_of_stock, django_assert_max_num_queries
):
    for number in range(20):
        mkp.place(order_body(marketplaceOrderId=str(number)))
    client = api_client_for(owner)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 20


def test_detail_adds_the_events_and_notifications(api_client_for, viewer, two_orders):
    response = api_client_for(viewer).get(detail_url("MKP-2"))
    assert response.status_code == 200
    order = response.json()
    assert order["status"] == "ready-for-handling"
    assert order["marketplaceApproved"] is True
    assert [(event["kind"], event["toStatus"]) for event in order["events"]] == [
        ("created", "ready-for-handling"),
        ("decision", None),
    ]
    assert order["events"][0]["actor"] == "connector SkyHub (MKP)"
    assert [(n["code"], n["state"], n["attempts"]) for n in order["notifications"]] == [
        ("SOI001", "delivered", 1),
        ("SOI002", "delivered", 1),
    ]
    assert order["ruleSnapshot"] == []


def test_unknown_order_answers_404(api_client_for, owner, two_orders):
    response = api_client_for(owner).get(detail_url("MKP-404"))
    assert response.status_code == 404
    assert response.json()["message"] == "Account 'acme' has no order MKP-404."


def test_another_accounts_order_is_not_found_and_its_account_is_forbidden(
    api_client_for, other_account, two_orders
):
    stranger = member(other_account, "owner", "owner@globex.example")
    client = api_client_for(stranger)
    assert client.get(detail_url("MKP-1", an="globex")).status_code == 404
    assert client.get("/api/orders?an=globex").json()["results"] == []
    forbidden = client.get(detail_url("MKP-1"))
    assert forbidden.status_code == 403
    assert forbidden.json()["message"] == "You have no access to account 'acme'."
    assert client.get(LIST).status_code == 403


def test_reading_needs_a_token(client, two_orders):
    response = client.get(LIST)
    assert response.status_code == 401


def test_an_orders_divergence_is_explained_in_parts_that_add_up_with_its_likely_cause(
    api_client_for, viewer, owner, mkp, shop, plenty_of_stock
):
    """SKU 1 cost 9.75 until it went up to 11.00; the marketplace still charged 9.75."""
    rule_set(shop.account, [band(0, 10, "authorize"), band(10, 100, "deny")])
    shop.sku.price_cents = 1100
    shop.sku.save()
    mkp.place(order_body(marketplaceOrderId="7", marketplacePaymentValue=3025))

    client = api_client_for(viewer)
    order = client.get(detail_url("MKP-7")).json()
    listed = client.get(LIST).json()["results"][0]

    explained = order["divergenceExplained"]
    assert order["currency"] == "BRL"
    assert explained["differenceCents"] == order["sellerValue"] - order["paidValue"] == 125
    assert [(c["kind"], c["cents"], c.get("sku")) for c in explained["components"]] == [("item", 125, "1")]
    assert explained["components"][0]["label"] == "Shirt (SKU 1): 1 × R$9.75, your price R$11.00"
    (cause,) = explained["causes"]
    assert cause["kind"] == "earlier-price" and cause["sku"] == "1"
    assert cause["message"].startswith("SKU 1: paid R$9.75, which was your price until ")
    assert listed["divergenceExplained"] == explained

    in_portuguese = client.get(detail_url("MKP-7"), HTTP_ACCEPT_LANGUAGE="pt-BR").json()
    assert in_portuguese["divergenceExplained"]["components"][0]["label"] == (
        "Shirt (SKU 1): 1 × R$\xa09,75, seu preço R$\xa011,00"
    )
