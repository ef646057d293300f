"""Bad input on every endpoint that takes a body: refused with a 4xx in its API's error body, nothing kept.

Sizes over the limit (413), JSON nested too deeply, bodies that are not JSON, text no database
stores (NUL, lone surrogates), numbers out of range, zero and negative quantities; and unicode
everywhere a text goes, which must come back unchanged.
"""

import json

import pytest

from connectors.models import HookConfig
from orders.models import IntakeRecord, Order
from tests.orders.payloads import order_body, seed_order
from tests.reliability.shapes import problems_of
from tests.support.endpoints import BY_NAME, ENDPOINTS, Endpoint
from tests.support.observe import observed
from tests.support.orders import ANA, place_held


def refused(endpoint: Endpoint, response, status: int) -> str:
    """Assert the refusal and its shape; return the body's text, to look for the reason in."""
    assert response.status_code == status, response.content[:500]
    assert problems_of(endpoint.path, response) == [], response.content[:500]
    return response.content.decode()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_a_body_over_the_size_limit_answers_413(send, endpoint, settings):
    settings.ORDER_BODY_MAX_BYTES = 4000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4000
    before = observed()
    text = refused(endpoint, send(endpoint, json.dumps({"padding": "x" * 5000})), 413)
    assert "4000 bytes" in text
    assert observed() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_json_nested_too_deeply_answers_400(send, endpoint):
    before = observed()
    refused(endpoint, send(endpoint, "[" * 50_000 + "]" * 50_000), 400)
    assert observed() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
    ],
)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_a_body_that_is_not_json_answers_415(send, endpoint, content_type):
    before = observed()
    refused(endpoint, send(endpoint, "marketplaceOrderId=1&a=b", content_type=content_type), 415)
    assert observed() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_malformed_json_answers_400(send, endpoint):
    before = observed()
    refused(endpoint, send(endpoint, '{"marketplaceOrderId": "1",'), 400)
    assert observed() == before


@pytest.mark.parametrize(
    ("escaped", "character"), [("\\u0000", "U+0000"), ("\\ud800", "U+D800")], ids=["NUL", "lone surrogate"]
)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_text_no_database_stores_is_refused_naming_where_it_is(send, endpoint, escaped, character):
    """NUL breaks PostgreSQL's text and JSON columns and a lone surrogate UTF-8 itself: both were 500s."""
    row = json.dumps({"marketplaceOrderId": "123456789", "note": "PLACE"}).replace("PLACE", f"a{escaped}b")
    raw = f"[{row}]" if endpoint.name in ("skus", "shipping policies", "pickup points") else row
    before = observed()
    text = refused(endpoint, send(endpoint, raw), 400)
    assert f"note must not contain the character {character}" in text
    assert observed() == before


def test_an_order_body_with_nul_anywhere_is_refused_before_it_is_stored(mkp, shop):
    body = order_body()
    body["shippingData"]["selectedAddresses"][0]["street"] = "Rua\x00 1"
    body["customData"] = {"x\x00": 1}
    response = mkp.place(body)
    assert response.status_code == 400
    descriptions = [error["description"] for error in response.json()["errors"]]
    assert "shippingData.selectedAddresses[0].street must not contain the character U+0000" in descriptions
    assert "customData must not have a key with the character U+0000" in descriptions
    assert IntakeRecord.objects.count() == 0


NUL_URLS = [
    "/api/orders/MKP-123456789%00?an=acme",
    "/api/orders?an=acme&connector=%00",
    "/api/orders?an=ac%00me",
    "/api/catalog/skus?an=acme&id=%00",
    "/api/authorization/price-divergence-rule?an=acme%00",
    "/api/oms/pvt/orders/MKP-123456789%00",
    "/api/orders/feed?maxlot=%00",
    "/api/order-integration/orders/status?an=%00",
    "/api/checkout/pub/orderForms/simulation?sc=%00",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_url_with_nul_answers_400_in_its_apis_error_body(send, url, owner, shop):
    """A lookup with NUL fails on PostgreSQL: an order id, a filter or an account name with %00 was a 500."""
    path = url.split("?")[0]
    seller = not path.startswith(("/api/oms/", "/api/orders/feed", "/api/order-integration", "/api/checkout"))
    endpoint = Endpoint("url", "get", url, seller=seller)
    response = send(endpoint, None)
    assert response.status_code == 400
    assert problems_of(endpoint.path, response) == []
    assert "The URL has a NUL character (%00)." in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/admin/orders/order/?status=%00", "/admin/orders/order/%00/change/", "/admin/catalog/sku/?q=%00"]
)
def test_an_admin_url_with_nul_answers_400(client, owner, url):
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 400
    assert response.content.decode() == "The URL has a NUL character (%00)."


HUGE = 10**30
OUT_OF_RANGE = [
    (
        "place order",
        order_body(marketplacePaymentValue=HUGE),
        "marketplacePaymentValue must be at most 100000000000",
    ),
    (
        "place order",
        order_body(marketplaceOrderId="2", items=[{"id": "1", "price": 975, "quantity": HUGE}]),
        "items[0].quantity must be at most 100000",
    ),
    (
        "place order",
        order_body(marketplaceOrderId="3", marketplacePaymentValue=1e300),
        "marketplacePaymentValue",
    ),
    (
        "place order",
        order_body(items=[{"id": "1", "price": 975, "quantity": 0}]),
        "items[0].quantity must be at least 1",
    ),
    (
        "simulation",
        {"items": [{"id": "1", "quantity": HUGE, "seller": "1"}], "country": "BRA", "postalCode": "1"},
        "items[0].quantity must be at most 100000",
    ),
    (
        "simulation",
        {"items": [{"id": "1", "quantity": -1, "seller": "1"}], "country": "BRA", "postalCode": "1"},
        "items[0].quantity must be at least 1",
    ),
    (
        "place fulfillment order",
        seed_order(items=[{"id": "1", "price": 975, "quantity": 0, "seller": "1"}]),
        "items[0].quantity must be at least 1",
    ),
    (
        "invoice",
        {
            "type": "Output",
            "invoiceNumber": "1",
            "invoiceValue": HUGE,
            "issuanceDate": "2024-02-07T15:22:56Z",
        },
        "invoiceValue: Ensure this value is less than or equal to 100000000000.",
    ),
    (
        "invoice",
        {
            "type": "Output",
            "invoiceNumber": "1",
            "invoiceValue": 3025,
            "issuanceDate": "2024-02-07T15:22:56Z",
            "items": [{"id": "1", "price": 975, "quantity": 0}],
        },
        "items[0].quantity: Ensure this value is greater than or equal to 1.",
    ),
    (
        "feed config",
        {"queue": {"visibilityTimeoutInSeconds": HUGE}},
        "queue.visibilityTimeoutInSeconds: a whole number of seconds from 0 to 43200.",
    ),
    ("skus", [{"id": "9", "name": "Hat", "price": HUGE}], "less than or equal to"),
    ("skus", [{"id": "9", "name": "Hat", "price": -1}], "greater than or equal to 0"),
    ("skus", [{"id": "9", "name": "Hat", "price": 100, "stock": {"WH1": -5}}], "[0].stock"),
    (
        "rule",
        {"bands": [{"from": 0, "to": 100, "action": "authorize", "escalateAfterMinutes": HUGE}]},
        "bands[0].escalateAfterMinutes",
    ),
    ("rule", {"bands": [{"from": 1e300, "to": 100, "action": "authorize"}]}, "bands[0].from"),
    ("rule", {"bands": [{"from": -1, "to": 100, "action": "authorize"}]}, "bands[0].from"),
]


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    OUT_OF_RANGE,
    ids=[f"{name}: {reason[:40]}" for name, _, reason in OUT_OF_RANGE],
)
def test_numbers_out_of_range_are_refused_naming_the_field(send, shop, name, body, reason):
    endpoint = BY_NAME[name]
    if name == "invoice":
        send(
            BY_NAME["approve order"],
            json.dumps({"marketplaceOrderId": "123456789", "marketplaceOrderStatus": "approved"}),
        )
        assert Order.objects.get().status == "ready-for-handling"
    before = observed()
    text = refused(endpoint, send(endpoint, json.dumps(body)), 400)
    assert reason in text
    assert observed() == before


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/catalog/skus?an=acme&offset=177580353060291674112", "offset"),
        ("/api/catalog/skus?an=acme&offset=-1", "offset"),
        ("/api/catalog/skus?an=acme&limit=99999999999999999999", "limit"),
        ("/api/catalog/skus?an=acme&limit=0", "limit"),
        ("/api/orders?an=acme&cursor=not-a-cursor", "cursor"),
    ],
)
def test_query_numbers_out_of_range_answer_400_naming_the_parameter(send, url, field):
    """A huge offset overflowed the database's OFFSET (500); a made-up cursor answered an undocumented 404."""
    response = send(Endpoint("list", "get", url, seller=True), None)
    assert response.status_code == 400, response.content
    assert problems_of(url.split("?")[0], response) == []
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_feed_maxlot_out_of_range_answers_400(send):
    for maxlot in ("0", "-1", "11", "99999999999999999999"):
        response = send(Endpoint("feed", "get", f"/api/orders/feed?maxlot={maxlot}"), None)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "OMS001")


def test_a_hook_url_that_does_not_parse_answers_400(send):
    """An unclosed IPv6 host or a port out of range made the URL parser raise: a 500."""
    for url in ("http://[::1/hook", "http://example.com:99999/hook", "http://example.com:0/hook"):
        response = send(BY_NAME["hook config"], json.dumps({"hook": {"url": url}}))
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "OMS001"
    assert HookConfig.objects.count() == 0


UNICODE = "Zoë Ångström 北京 مرحبا עברית 🛒👩🏽‍💻 e\u0301 \u200b ﷽"


def test_unicode_in_every_text_of_an_order_comes_back_unchanged(
    mkp, shop, connector_server, owner, api_client_for
):
    body = order_body(marketplaceOrderId="pedido-ção-🛒", connectorName=UNICODE, openTextField=UNICODE)
    body["clientProfileData"].update(
        firstName=UNICODE, lastName=UNICODE, tradeName=UNICODE, corporateName=UNICODE
    )
    body["shippingData"]["selectedAddresses"][0].update(
        receiverName=UNICODE,
        street=UNICODE,
        neighborhood=UNICODE,
        complement=UNICODE,
        city=UNICODE,
        number="١٢٣",
    )
    body["customData"]["customApps"][0]["fields"]["marketplacePaymentMethod"] = UNICODE
    assert mkp.place(body).status_code == 200
    assert connector_server.wait_for(1)[0].body["code"] == "SOI001"
    order = Order.objects.get()
    assert order.main_order_id == "MKP-pedido-ção-🛒"
    assert order.payload == body

    seller = api_client_for(owner).get("/api/orders/MKP-pedido-ção-🛒?an=acme")
    assert seller.status_code == 200
    assert seller.json()["marketplaceOrderId"] == "pedido-ção-🛒"
    oms = mkp.client.get("/api/oms/pvt/orders/MKP-pedido-ção-🛒", **mkp.headers()).json()
    assert oms["clientProfileData"]["firstName"] == UNICODE
    assert oms["shippingData"]["address"]["street"] == UNICODE
    mkp.client.force_login(owner)
    page = mkp.client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "pedido-ção-🛒" in page


def test_unicode_in_the_catalog_and_a_denial_comes_back_unchanged(shop, owner, approver, api_client_for):
    seller = api_client_for(owner)
    saved = seller.put(
        "/api/catalog/skus?an=acme", [{"id": "ção-1", "name": UNICODE, "price": 100}], format="json"
    )
    assert saved.status_code == 200, saved.json()
    assert seller.get("/api/catalog/skus?an=acme&id=ção-1").json()[0]["name"] == UNICODE
    place_held(shop.connector, approvers=[ANA])
    denied = api_client_for(approver).post(
        "/api/orders/MKP-123456789/deny?an=acme", {"reasonCode": "other", "note": UNICODE}, format="json"
    )
    assert denied.status_code == 200, denied.json()
    assert Order.objects.get().approval_task.note == UNICODE
