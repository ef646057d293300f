"""One account's connector and people reach nothing of another account, through any endpoint.

globex has the same catalog as acme and a connector with the same affiliate id (MKP), so its
order ids look like acme's: every lookup must still stay inside the caller's own account.
"""

import json

import pytest

from connectors.models import FeedItem, HookDelivery, Notification
from orders.models import Order
from tests.factories import SkuFactory
from tests.orders.payloads import order_body, seed_order
from tests.reliability.shapes import problems_of
from tests.support.clients import token_header
from tests.support.observe import observed


def error_code(path: str, body) -> str:
    if path.startswith(
        ("/api/oms/", "/api/orders/feed", "/api/orders/hook", "/api/fulfillment/", "/api/checkout/")
    ):
        return body["error"]["code"]
    return body["code"]


def call(client, method, url, body, **headers):
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data=data, content_type="application/json", **headers)


SIMULATION = {
    "items": [{"id": "1", "quantity": 1, "seller": "1"}],
    "country": "BRA",
    "postalCode": "81020235",
}
INVOICE = {
    "type": "Output",
    "invoiceNumber": "666",
    "invoiceValue": 3025,
    "issuanceDate": "2024-02-07T15:22:56Z",
}
APPROVAL = {"marketplaceOrderId": "123456789", "marketplaceOrderStatus": "approved"}
ORDER = "/api/oms/pvt/orders/MKP-123456789"
DISPATCH = "/api/fulfillment/pvt/orders/MKP-123456789/fulfill"

CONNECTOR_CASES = [
    (
        "post",
        "/api/order-integration/orders?an=acme",
        order_body(marketplaceOrderId="intruder"),
        403,
        "EOI001",
    ),
    ("put", "/api/order-integration/orders/status?an=acme", APPROVAL, 403, "EOI001"),
    ("post", "/api/checkout/pub/orderForms/simulation?an=acme&affiliateId=MKP", SIMULATION, 403, "EOI001"),
    ("post", "/api/fulfillment/pvt/orders?an=acme&affiliateId=MKP", [seed_order()], 403, "EOI001"),
    ("post", f"{DISPATCH}?an=acme&affiliateId=MKP", {"marketplaceOrderId": "123456789"}, 403, "EOI001"),
    ("post", f"{DISPATCH}?affiliateId=MKP", {"marketplaceOrderId": "123456789"}, 404, "EOI008"),
    ("get", ORDER, None, 404, "OMS002"),
    ("get", f"{ORDER}?an=acme", None, 403, "OMS007"),
    ("post", f"{ORDER}/cancel", {"reason": "mine now"}, 404, "OMS002"),
    ("post", f"{ORDER}/cancel?an=acme", {"reason": "mine now"}, 403, "OMS007"),
    ("post", f"{ORDER}/invoice", INVOICE, 404, "OMS002"),
    ("post", f"{ORDER}/invoice?an=acme", INVOICE, 403, "OMS007"),
    ("get", "/api/orders/feed?an=acme", None, 403, "OMS007"),
    ("post", "/api/orders/feed?an=acme", {"handles": ["any"]}, 403, "OMS007"),
    ("get", "/api/orders/feed/config?an=acme", None, 403, "OMS007"),
    ("post", "/api/orders/feed/config?an=acme", {}, 403, "OMS007"),
    ("delete", "/api/orders/feed/config?an=acme", None, 403, "OMS007"),
    ("get", "/api/orders/hook/config?an=acme", None, 403, "OMS007"),
    (
        "post",
        "/api/orders/hook/config?an=acme",
        {"hook": {"url": "https://globex.example/hook"}},
        403,
        "OMS007",
    ),
    ("delete", "/api/orders/hook/config?an=acme", None, 403, "OMS007"),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code"),
    CONNECTOR_CASES,
    ids=[f"{method} {url}" for method, url, *_ in CONNECTOR_CASES],
)
def test_a_connector_of_another_account_reaches_nothing_of_this_one(
    held_order, globex, client, mkp, method, url, body, status, code, connector_server, other_server
):
    before = observed(held_order.account)
    with mkp.capture(execute=True):
        response = call(client, method, url, body, **globex.connector_headers())
    assert response.status_code == status, response.content[:300]
    path = url.split("?")[0]
    assert problems_of(path, response) == []
    assert error_code(path, response.json()) == code
    if status == 403:  # refused before any lookup: the answer says nothing of acme's order
        assert "MKP-123456789" not in response.content.decode()
    assert observed(held_order.account) == before
    assert (connector_server.codes(), other_server.received) == (["SOI001"], [])  # acme's intake only


def test_its_own_order_with_the_same_id_stays_apart_from_this_accounts(
    held_order, globex, client, mkp, connector_server, other_server
):
    from tests.connector_client import ConnectorClient

    intruder = ConnectorClient(client, globex.shop.credentials, mkp.capture)
    before = observed(held_order.account)
    assert intruder.place(order_body(), an="globex").status_code == 200
    assert intruder.approve("123456789", an="globex").status_code == 200
    theirs = Order.objects.get(account=globex.shop.account)
    assert (theirs.main_order_id, theirs.status) == ("MKP-123456789", "ready-for-handling")
    assert observed(held_order.account) == before
    told = [received.body for received in other_server.wait_for(2)]
    assert [(body["code"], body["accountName"]) for body in told] == [
        ("SOI001", "globex"),
        ("SOI002", "globex"),
    ]
    assert connector_server.codes() == ["SOI001"]  # acme's endpoint heard only of acme's own order
    mine = client.get(ORDER, **mkp.headers()).json()
    assert mine["status"] == "waiting-for-manual-authorization"
    assert client.get(ORDER, **globex.connector_headers()).json()["status"] == "ready-for-handling"


def test_approving_an_order_only_another_account_has_is_not_integrated_there(
    held_order, globex, client, mkp, connector_server, other_server
):
    from tests.connector_client import ConnectorClient

    before = observed(held_order.account)
    response = ConnectorClient(client, globex.shop.credentials, mkp.capture).approve("123456789", an="globex")
    assert response.status_code == 200
    told = [received.body for received in other_server.wait_for(1)]
    assert [(body["code"], body["accountName"]) for body in told] == [("EOI008", "globex")]
    assert observed(held_order.account) == before
    assert connector_server.codes() == ["SOI001"]


def test_a_simulation_never_prices_with_another_accounts_catalog(held_order, globex, client):
    SkuFactory(account=held_order.account, sku_id="acme-only", price_cents=1)
    body = {**SIMULATION, "items": [{"id": "acme-only", "quantity": 1, "seller": "1"}]}
    response = call(
        client,
        "post",
        "/api/checkout/pub/orderForms/simulation?affiliateId=MKP",
        body,
        **globex.connector_headers(),
    )
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert "ORD027" in json.dumps(response.json()["messages"])


def test_another_accounts_feed_and_hook_never_carry_this_accounts_changes(
    globex, client, mkp, settings, other_server
):
    headers = globex.connector_headers()
    assert call(client, "post", "/api/orders/feed/config", {}, **headers).status_code == 200
    hook = {"hook": {"url": other_server.url + "/hook"}}  # beside globex's notifications, apart from acme's
    assert call(client, "post", "/api/orders/hook/config", hook, **headers).status_code == 200
    mkp.place(order_body())
    mkp.approve("123456789")
    assert Order.objects.get().status == "ready-for-handling"
    assert FeedItem.objects.filter(feed__connector=globex.shop.connector).count() == 0
    assert call(client, "get", "/api/orders/feed?maxlot=10", None, **headers).json() == []
    assert HookDelivery.objects.filter(connector=globex.shop.connector).count() == 0
    assert Notification.objects.filter(connector=globex.shop.connector).count() == 0
    assert [received.body for received in other_server.received] == [{"hookConfig": "ping"}]


SELLER_CASES = [
    ("get", "/api/authorization/price-divergence-rule?an=acme", None),
    (
        "put",
        "/api/authorization/price-divergence-rule?an=acme",
        {"bands": [{"from": 0, "to": 100, "action": "authorize"}]},
    ),
    ("delete", "/api/authorization/price-divergence-rule?an=acme", None),
    ("get", "/api/authorization/price-divergence-rule/history?an=acme", None),
    ("get", "/api/catalog/skus?an=acme", None),
    ("put", "/api/catalog/skus?an=acme", [{"id": "1", "price": 1}]),
    ("get", "/api/catalog/shipping-policies?an=acme", None),
    (
        "put",
        "/api/catalog/shipping-policies?an=acme",
        [{"id": "Express", "deliveryChannel": "delivery", "freight": 1, "estimate": "1d"}],
    ),
    ("get", "/api/catalog/pickup-points?an=acme", None),
    ("put", "/api/catalog/pickup-points?an=acme", [{"id": "PP9", "name": "Mine", "warehouse": "WH1"}]),
    ("get", "/api/orders?an=acme", None),
    ("get", "/api/orders/MKP-123456789?an=acme", None),
    ("post", "/api/orders/MKP-123456789/approve?an=acme", {}),
    ("post", "/api/orders/MKP-123456789/deny?an=acme", {"reasonCode": "other", "note": "Mine now."}),
    ("get", "/api/account?an=acme", None),
    ("patch", "/api/account?an=acme", {"emailDecisions": True}),
]


@pytest.mark.parametrize(
    ("method", "url", "body"), SELLER_CASES, ids=[f"{m} {u}" for m, u, _ in SELLER_CASES]
)
def test_a_user_of_another_account_reaches_nothing_of_this_one(held_order, globex, client, method, url, body):
    before = observed(held_order.account)
    response = call(client, method, url, body, **token_header(globex.token))
    assert response.status_code == 403, response.content[:300]
    assert problems_of(url.split("?")[0], response) == []
    assert response.json()["message"] == "You have no access to account 'acme'."
    assert observed(held_order.account) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/orders/MKP-123456789", None),
        ("post", "/api/orders/MKP-123456789/approve", {}),
        ("post", "/api/orders/MKP-123456789/deny", {"reasonCode": "other", "note": "Mine now."}),
    ],
)
def test_another_accounts_order_id_in_ones_own_account_is_not_found(
    held_order, globex, client, method, path, body
):
    before = observed(held_order.account)
    for query in ("?an=globex", ""):  # named, or the user's only account
        response = call(client, method, path + query, body, **token_header(globex.token))
        assert response.status_code == 404, response.content[:300]
        assert response.json()["message"] == "Account 'globex' has no order MKP-123456789."
    assert observed(held_order.account) == before


def test_connector_credentials_open_no_seller_endpoint_and_a_token_no_connector_endpoint(
    held_order, globex, client, mkp, connector_server
):
    before = observed(held_order.account)
    token = token_header(globex.token)
    with mkp.capture(execute=True):
        answers = [
            client.get("/api/orders?an=acme", **mkp.headers()),
            call(client, "post", "/api/orders/MKP-123456789/approve?an=acme", {}, **mkp.headers()),
            client.get(ORDER, **token),
            call(client, "put", "/api/order-integration/orders/status?an=acme", APPROVAL, **token),
        ]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 401]
    assert all("MKP-123456789" not in answer.content.decode() for answer in answers)
    assert observed(held_order.account) == before
    assert connector_server.codes() == ["SOI001"]  # the approval was never taken: no EOI011
