"""The seller catalog API: SKUs with prices and stock, shipping policies, pickup points."""

import pytest
from rest_framework.test import APIClient

from catalog.models import PickupPoint, ShippingPolicy, Sku, Stock, Warehouse
from tests.factories import PickupPointFactory, SkuFactory, StockFactory, WarehouseFactory
from tests.support.observe import observed

SKUS = "/api/catalog/skus?an=acme"
POLICIES = "/api/catalog/shipping-policies?an=acme"
POINTS = "/api/catalog/pickup-points?an=acme"

SHIRT = {
    "id": "1",
    "name": "Shirt",
    "price": 975,
    "active": True,
    "salesChannels": ["1"],
    "stock": {"WH1": 10},
}
TROUSERS = {
    "id": "2",
    "name": "Trousers",
    "price": 15990,
    "active": False,
    "salesChannels": ["1", "2"],
    "stock": {"WH1": 0, "WH2": 7},
}
STORE = {
    "id": "PP1",
    "name": "Store 1",
    "warehouse": "WH1",
    "address": {
        "postalCode": "81020-235",
        "street": "Rua X",
        "number": "1",
        "neighborhood": "",
        "complement": "",
        "city": "Curitiba",
        "state": "PR",
        "country": "BRA",
    },
    "geoCoordinates": {"latitude": -25.48, "longitude": -49.28},
}
EXPRESS = {
    "id": "Express",
    "deliveryChannel": "delivery",
    "freight": 2050,
    "estimate": "3bd",
    "active": True,
    "warehouses": ["WH1"],
    "pickupPoints": [],
}
PICKUP = {
    "id": "Pickup",
    "deliveryChannel": "pickup-in-point",
    "freight": 0,
    "estimate": "1d",
    "active": True,
    "warehouses": [],
    "pickupPoints": ["PP1"],
}


def fields_of(response) -> dict[str, str]:
    return {error["field"]: error["message"] for error in response.json()["errors"]}


# SKUs


def test_owner_upserts_skus_and_reads_back_what_was_sent(api_client_for, owner):
    client = api_client_for(owner)
    response = client.put(SKUS, [TROUSERS, SHIRT], format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == [SHIRT, TROUSERS]
    listed = client.get(SKUS)
    assert listed.json() == [SHIRT, TROUSERS]
    assert listed["X-Total-Count"] == "2"


def test_what_get_answers_can_be_sent_back_unchanged(api_client_for, owner):
    client = api_client_for(owner)
    client.put(SKUS, [SHIRT, TROUSERS], format="json")
    body = client.get(SKUS).json()
    assert client.put(SKUS, body, format="json").json() == body
    assert Sku.objects.get(sku_id="1").history.count() == 1


def test_price_only_row_keeps_the_rest_of_the_sku(api_client_for, owner):
    client = api_client_for(owner)
    client.put(SKUS, [SHIRT], format="json")
    response = client.put(SKUS, [{"id": "1", "price": 990}], format="json")
    assert response.json() == [{**SHIRT, "price": 990}]


def test_price_change_is_kept_in_the_skus_history_with_who_made_it(api_client_for, owner):
    client = api_client_for(owner)
    client.put(SKUS, [SHIRT], format="json")
    client.put(SKUS, [{"id": "1", "price": 1050}], format="json")
    history = Sku.objects.get(sku_id="1").history.order_by("history_date")
    assert [(record.price_cents, record.history_user) for record in history] == [(975, owner), (1050, owner)]


def test_oms_full_may_upsert_skus(api_client_for, oms_full):
    assert api_client_for(oms_full).put(SKUS, [SHIRT], format="json").status_code == 200
    sku = Sku.objects.get()
    assert (sku.account.name, sku.sku_id, sku.name, sku.price_cents, sku.history.get().history_user) == (
        "acme",
        "1",
        "Shirt",
        975,
        oms_full,
    )
    assert list(Stock.objects.values_list("warehouse__warehouse_id", "quantity")) == [("WH1", 10)]


def test_one_bad_row_among_good_ones_saves_nothing(api_client_for, owner):
    response = api_client_for(owner).put(
        SKUS, [SHIRT, TROUSERS, {**SHIRT, "id": "3", "price": -5}], format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == [
        {"field": "[2].price", "message": "Ensure this value is greater than or equal to 0."}
    ]
    assert not Sku.objects.exists()
    assert not Warehouse.objects.exists()


def test_every_bad_row_is_named(api_client_for, owner):
    rows = [
        {**SHIRT, "price": "9.75"},
        TROUSERS,
        {"id": "3", "price": 100},
        {**SHIRT, "id": "4", "stock": {"WH 1": 1, "WH2": -1}},
        {**SHIRT, "id": "a/b"},
        "not a row",
        {**SHIRT, "id": "2"},
    ]
    response = api_client_for(owner).put(SKUS, rows, format="json")
    assert response.status_code == 400
    errors = fields_of(response)
    assert errors["[0].price"] == "A whole number is required, written without a fraction or an exponent."
    assert errors["[2].name"] == "Required for a new SKU."
    assert "Not a warehouse id: 'WH 1'" in errors["[3].stock.WH 1"]
    assert errors["[3].stock.WH2"] == "Ensure this value is greater than or equal to 0."
    assert errors["[4].id"] == "An id has no spaces and none of / ? #."
    assert errors["[5]"] == "Invalid data. Expected a dictionary, but got str."
    assert errors["[6].id"] == "'2' is sent more than once; send each id once."
    assert not any(field.startswith("[1]") for field in errors)
    assert not Sku.objects.exists()


def test_sales_channels_must_be_distinct_ids(api_client_for, owner):
    response = api_client_for(owner).put(SKUS, [{**SHIRT, "salesChannels": ["1", "1"]}], format="json")
    assert fields_of(response) == {"[0].salesChannels": "A sales channel is listed twice."}


def test_stock_cannot_go_below_what_orders_reserved(api_client_for, owner, account):
    stock = StockFactory(
        sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10, reserved=4
    )
    response = api_client_for(owner).put(SKUS, [{"id": "1", "stock": {"WH1": 3}}], format="json")
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid",
            "message": "The request has errors.",
            "errors": [
                {
                    "field": "[0].stock.WH1",
                    "message": "3 is below the 4 units reserved by orders; set at least 4, or release the orders first.",
                }
            ],
        },
    )
    stock.refresh_from_db()
    assert stock.quantity == 10


def test_stock_may_be_set_down_to_what_orders_reserved(api_client_for, owner, account):
    stock = StockFactory(
        sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10, reserved=4
    )
    response = api_client_for(owner).put(SKUS, [{"id": "1", "stock": {"WH1": 4}}], format="json")
    assert response.status_code == 200
    stock.refresh_from_db()
    assert (stock.quantity, stock.reserved, stock.available) == (4, 4, 0)


def test_unknown_warehouse_in_stock_is_created_and_unnamed_ones_keep_their_stock(
    api_client_for, owner, account
):
    StockFactory(sku__account=account, sku__sku_id="1", warehouse__warehouse_id="WH1", quantity=10)
    response = api_client_for(owner).put(SKUS, [{"id": "1", "stock": {"WH9": 5}}], format="json")
    assert response.json()[0]["stock"] == {"WH1": 10, "WH9": 5}
    assert Warehouse.objects.filter(account=account, warehouse_id="WH9").exists()


def test_upsert_never_deletes_skus_missing_from_the_list(api_client_for, owner, account):
    SkuFactory(account=account, sku_id="old")
    api_client_for(owner).put(SKUS, [SHIRT], format="json")
    assert [sku["id"] for sku in api_client_for(owner).get(SKUS).json()] == ["1", "old"]


def test_skus_are_listed_by_id_a_page_at_a_time(api_client_for, viewer, account):
    for sku_id in ["c", "a", "d", "b"]:
        SkuFactory(account=account, sku_id=sku_id)
    response = api_client_for(viewer).get(SKUS + "&limit=2&offset=1")
    assert [sku["id"] for sku in response.json()] == ["b", "c"]
    assert response["X-Total-Count"] == "4"
    chosen = api_client_for(viewer).get(SKUS + "&id=d&id=a")
    assert [sku["id"] for sku in chosen.json()] == ["a", "d"]


def test_viewer_may_read_but_not_change_the_catalog(api_client_for, owner, viewer):
    api_client_for(owner).put(SKUS, [SHIRT], format="json")
    client = api_client_for(viewer)
    assert client.get(SKUS).json() == [SHIRT]
    for url, body in [(SKUS, [SHIRT]), (POLICIES, [EXPRESS]), (POINTS, [STORE])]:
        response = client.put(url, body, format="json")
        assert response.status_code == 403
        assert response.json()["message"] == "Only an Owner or OMS Full user of acme may change its catalog."
    assert Sku.objects.get().price_cents == 975
    assert not (ShippingPolicy.objects.exists() or PickupPoint.objects.exists())


def test_approver_may_not_change_the_catalog(api_client_for, approver, account):
    before = observed(account)
    for url, body in [(SKUS, [SHIRT]), (POLICIES, [EXPRESS]), (POINTS, [STORE])]:
        response = api_client_for(approver).put(url, body, format="json")
        assert response.status_code == 403
        assert response.json()["message"] == "Only an Owner or OMS Full user of acme may change its catalog."
    assert observed(account) == before
    assert not Warehouse.objects.exists()


@pytest.mark.parametrize("url", [SKUS, POLICIES, POINTS])
def test_another_account_answers_403(api_client_for, owner, other_account, url):
    SkuFactory(account=other_account, sku_id="secret")
    client = api_client_for(owner)
    other = url.replace("an=acme", "an=globex")
    assert client.get(other).status_code == 403
    before = observed(other_account)
    row = {SKUS: {**SHIRT, "id": "secret", "price": 1}, POLICIES: EXPRESS, POINTS: STORE}[url]
    response = client.put(other, [row], format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "You have no access to account 'globex'."
    assert observed(other_account) == before


@pytest.mark.parametrize("url", [SKUS, POLICIES, POINTS])
def test_without_a_token_answers_401(db, url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert APIClient().put(url, [], format="json").status_code == 401


def test_body_must_be_a_list(api_client_for, owner):
    response = api_client_for(owner).put(SKUS, SHIRT, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": None, "message": "Send a JSON list of rows: [{...}, {...}]."}
    ]


# Pickup points and shipping policies


def test_pickup_points_round_trip(api_client_for, owner):
    client = api_client_for(owner)
    sent = [STORE, {**STORE, "id": "PP0", "name": "Kiosk", "warehouse": "WH2"}]
    response = client.put(POINTS, sent, format="json")
    assert response.status_code == 200, response.json()
    assert client.get(POINTS).json() == [sent[1], STORE]
    assert client.put(POINTS, client.get(POINTS).json(), format="json").status_code == 200
    assert PickupPoint.objects.count() == 2


def test_pickup_point_with_the_short_address_of_the_contract(api_client_for, owner):
    short = {
        **STORE,
        "address": {"postalCode": "81020-235", "city": "Curitiba", "state": "PR", "country": "BRA"},
    }
    response = api_client_for(owner).put(POINTS, [short], format="json")
    assert response.status_code == 200
    assert response.json()[0]["address"]["street"] == ""


def test_bad_pickup_points_are_each_named_and_nothing_saved(api_client_for, owner):
    rows = [
        STORE,
        {**STORE, "id": "PP2", "geoCoordinates": {"latitude": -95, "longitude": 0}},
        {**STORE, "id": "PP3", "address": {**STORE["address"], "country": "BR"}},
    ]
    response = api_client_for(owner).put(POINTS, rows, format="json")
    assert response.status_code == 400
    assert fields_of(response) == {
        "[1].geoCoordinates.latitude": "Ensure this value is greater than or equal to -90.",
        "[2].address.country": "A three-letter country code, e.g. BRA.",
    }
    assert not PickupPoint.objects.exists()


def test_shipping_policies_round_trip(api_client_for, owner):
    client = api_client_for(owner)
    client.put(POINTS, [STORE], format="json")
    response = client.put(POLICIES, [PICKUP, EXPRESS], format="json")
    assert response.status_code == 200, response.json()
    assert client.get(POLICIES).json() == [EXPRESS, PICKUP]
    assert client.put(POLICIES, client.get(POLICIES).json(), format="json").json() == [EXPRESS, PICKUP]


def test_policy_examples_of_the_contract_are_accepted_without_optional_fields(api_client_for, owner):
    client = api_client_for(owner)
    client.put(POINTS, [STORE], format="json")
    express = {
        "id": "Express",
        "deliveryChannel": "delivery",
        "freight": 2050,
        "estimate": "3bd",
        "warehouses": ["WH1"],
    }
    pickup = {
        "id": "Pickup",
        "deliveryChannel": "pickup-in-point",
        "freight": 0,
        "estimate": "1d",
        "pickupPoints": ["PP1"],
    }
    assert client.put(POLICIES, [express, pickup], format="json").json() == [EXPRESS, PICKUP]


def test_policy_naming_an_unknown_pickup_point_is_refused(api_client_for, owner, account, other_account):
    PickupPointFactory(account=other_account, point_id="PP9")
    response = api_client_for(owner).put(
        POLICIES, [EXPRESS, {**PICKUP, "pickupPoints": ["PP9"]}], format="json"
    )
    assert response.status_code == 400
    assert fields_of(response) == {
        "[1].pickupPoints": "No pickup point PP9 in account acme; upsert pickup points before the policies that name them."
    }
    assert not ShippingPolicy.objects.exists()


def test_every_bad_policy_is_named(api_client_for, owner, account):
    PickupPointFactory(account=account, point_id="PP1")
    rows = [
        {**EXPRESS, "estimate": "3 days"},
        {**EXPRESS, "id": "Slow", "warehouses": [], "pickupPoints": ["PP1"]},
        {**PICKUP, "pickupPoints": []},
        {**EXPRESS, "id": "Air", "deliveryChannel": "drone"},
    ]
    response = api_client_for(owner).put(POLICIES, rows, format="json")
    assert fields_of(response) == {
        "[0].estimate": "A number then d, bd, h or m, e.g. 3bd.",
        "[1].warehouses": "A delivery policy ships from at least one warehouse.",
        "[1].pickupPoints": "Only pickup-in-point policies have pickup points.",
        "[2].pickupPoints": "A pickup-in-point policy needs at least one pickup point.",
        "[3].deliveryChannel": '"drone" is not a valid choice.',
    }


def test_policy_warehouses_are_replaced_by_the_rows(api_client_for, owner, account):
    WarehouseFactory(account=account, warehouse_id="WH2")
    client = api_client_for(owner)
    client.put(POLICIES, [{**EXPRESS, "warehouses": ["WH1", "WH2"]}], format="json")
    response = client.put(POLICIES, [{**EXPRESS, "warehouses": ["WH2"]}], format="json")
    assert response.json()[0]["warehouses"] == ["WH2"]
    assert Warehouse.objects.filter(account=account).count() == 2


def test_stock_rows_belong_to_the_account(api_client_for, owner, account):
    api_client_for(owner).put(SKUS, [SHIRT], format="json")
    assert Stock.objects.get().account == account


def test_openapi_document_describes_the_catalog_api(client):
    schema = client.get("/api/schema", {"format": "json"}).json()
    skus = schema["paths"]["/api/catalog/skus"]
    assert skus["put"]["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    item = skus["put"]["requestBody"]["content"]["application/json"]["schema"]["items"]["$ref"]
    assert item.endswith("/SkuInputRequest")
    assert {"200", "400", "401", "403"} <= set(skus["put"]["responses"])
    for path in ("/api/catalog/shipping-policies", "/api/catalog/pickup-points"):
        assert {"get", "put"} <= set(schema["paths"][path])
