"""Contract validation at its edges: the rules beyond the JSON schema (pickup-in-point, franchises,
the marketplace's own stock, the statuses), each answered as the `errors[]` entry the connector
reads; the approval's own check; the digest that recognises a replay; what the compiled check
may be trusted with; and the schemas as the OpenAPI document shows them.
"""

import hashlib
import json

import pytest

from connector_api.fulfillment_body import _with_camel_profile
from connectors import contract
from tests.orders.payloads import order_body, seed_order

PICKUP = {"selectedDeliveryChannel": "pickup-in-point", "selectedSla": ""}
PICKUP_ADDRESS = {"addressType": "Pickup", "addressId": "PP1"}
FOB = "shippingData.isFob cannot be true for pickup-in-point"
ADDRESS_TYPE = "shippingData.selectedAddresses[0].addressType must be pickup for pickup-in-point"
ADDRESS_ID = (
    "shippingData.selectedAddresses[0].addressId is required for pickup-in-point (the pickup point id)"
)
GEO = "shippingData.selectedAddresses[0].geoCoordinates is required for pickup-in-point"
FRANCHISE = "pickupAccountName is required for a franchise pickup-in-point order"


def answered(errors: list[contract.ContractError]) -> list[dict]:
    """The `errors[]` of the contract's body, as the connector reads it (null when there are none)."""
    return contract.response_body(code="EOI005", flow=contract.PLACE_ORDER, errors=errors)["errors"] or []


def ours(description: str) -> dict:
    return {"source": "Order Integration", "code": "EOI005", "description": description}


def place_errors(body) -> list[dict]:
    return answered(contract.check_place_order(body))


def two_items(body: dict) -> dict:
    body["items"].append({"id": "2", "price": 100, "quantity": 1})
    body["shippingData"]["logisticsInfo"].append(dict(body["shippingData"]["logisticsInfo"][0]))
    return body


# Pickup-in-point, franchises and the marketplace's own stock -------------------------------------


def test_a_pickup_in_point_order_with_its_pickup_address_passes_whatever_the_case_of_its_type():
    assert place_errors(order_body(logistics=PICKUP, address=PICKUP_ADDRESS)) == []
    assert (
        place_errors(order_body(logistics=PICKUP, address={**PICKUP_ADDRESS, "addressType": "PICKUP"})) == []
    )


def test_every_rule_a_pickup_in_point_order_breaks_is_answered_once_in_order():
    body = two_items(
        order_body(
            allowFranchises=True,
            shipping={"isFob": True},
            logistics=PICKUP,
            address={"addressType": "residential", "addressId": None, "geoCoordinates": None},
        )
    )
    assert place_errors(body) == [ours(FOB), ours(ADDRESS_TYPE), ours(ADDRESS_ID), ours(GEO), ours(FRANCHISE)]


def test_a_franchise_pickup_names_its_pickup_account_and_only_true_asks_for_one():
    body = order_body(logistics=PICKUP, address=PICKUP_ADDRESS, allowFranchises=True)
    assert place_errors(body) == [ours(FRANCHISE)]
    assert place_errors({**body, "pickupAccountName": "acmepickup"}) == []
    assert FRANCHISE not in [e["description"] for e in place_errors({**body, "allowFranchises": 1})]


@pytest.mark.parametrize("addresses", [[], ["not an address"]])
def test_a_pickup_without_a_usable_address_is_answered_not_failed(addresses):
    body = order_body(logistics=PICKUP)
    body["shippingData"]["selectedAddresses"] = addresses
    descriptions = [error["description"] for error in place_errors(body)]
    assert descriptions[-3:] == [ADDRESS_TYPE, ADDRESS_ID, GEO]


def test_a_malformed_logistics_entry_does_not_hide_the_rules_of_the_next():
    body = two_items(order_body(shipping={"isFob": True}, address=PICKUP_ADDRESS))
    body["shippingData"]["logisticsInfo"] = [
        "not an entry",
        {**body["shippingData"]["logisticsInfo"][1], **PICKUP},
    ]
    descriptions = [error["description"] for error in place_errors(body)]
    assert "shippingData.logisticsInfo[0] must be of type object" in descriptions
    assert FOB in descriptions


def test_shipping_data_that_is_not_an_object_is_answered_by_its_shape_alone():
    body = order_body()
    body["shippingData"] = ["not", "an", "object"]
    assert place_errors(body) == [ours("shippingData must be of type object")]


def test_the_marketplaces_own_stock_needs_delivery_ids_on_each_entry_that_lacks_them():
    body = two_items(order_body(shipping={"isFob": True, "isMarketplaceFulfillment": True}))
    body["shippingData"]["logisticsInfo"][1]["deliveryIds"] = [{"warehouseId": "WH1"}]
    expected = "shippingData.logisticsInfo[0].deliveryIds is required when the marketplace delivers from its own stock"
    assert place_errors(body) == [ours(expected)]
    body["shippingData"]["logisticsInfo"][0]["deliveryIds"] = [{"warehouseId": "WH1"}]
    assert place_errors(body) == []
    # Either flag alone: the seller delivers, or the stock is the seller's.
    for flags in (
        {"isFob": True, "isMarketplaceFulfillment": False},
        {"isFob": False, "isMarketplaceFulfillment": True},
    ):
        assert place_errors(two_items(order_body(shipping=flags))) == []


@pytest.mark.parametrize(
    ("status", "refused"), [("new", False), ("Approved", False), ("NEW", False), ("canceled", True)]
)
def test_an_order_is_placed_new_or_approved_in_any_case(status, refused):
    expected = [ours("marketplaceOrderStatus must be new or approved")] if refused else []
    assert place_errors(order_body(marketplaceOrderStatus=status)) == expected


# The approval ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "descriptions"),
    [
        ({"marketplaceOrderId": "1", "marketplaceOrderStatus": "approved"}, []),
        ({"marketplaceOrderId": "1", "marketplaceOrderStatus": "APPROVED"}, []),
        (
            {"marketplaceOrderId": "1", "marketplaceOrderStatus": "new"},
            ["marketplaceOrderStatus must be approved"],
        ),
        (
            {"marketplaceOrderId": "1", "marketplaceOrderStatus": 5},
            ["marketplaceOrderStatus must be of type string"],
        ),
        (
            {"marketplaceOrderStatus": "canceled"},
            ["marketplaceOrderId is required", "marketplaceOrderStatus must be approved"],
        ),
        (["approved"], ["body must be a JSON object"]),
    ],
)
def test_an_approval_must_say_approved_and_name_the_order(body, descriptions):
    assert answered(contract.check_update_status(body)) == [ours(description) for description in descriptions]


# Recognising a replay ---------------------------------------------------------------------------


def test_a_body_has_one_digest_whatever_its_key_order_and_the_digest_never_changes():
    body = {"marketplaceOrderId": "ç-1", "items": [{"price": 975, "id": "1"}]}
    reordered = json.loads('{ "items": [ {"id": "1", "price": 975} ],  "marketplaceOrderId": "ç-1" }')
    assert contract.body_digest(body) == contract.body_digest(reordered)
    # Stored digests are compared with the bodies of later requests: the canonical form must stay.
    canonical = '{"items":[{"id":"1","price":975}],"marketplaceOrderId":"ç-1"}'
    assert contract.body_digest(body) == hashlib.sha256(canonical.encode()).hexdigest()


# What the compiled check is trusted with ------------------------------------------------------------

UNREAD = {"prefixItems": [{"type": "string"}]}  # 2020-12 only: the compiled check (draft 7) ignores it


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"x": UNREAD}},
        {"$defs": {"x": UNREAD}},
        {"type": "array", "items": UNREAD},
        {"not": UNREAD},
        {"type": "object", "additionalProperties": UNREAD},
        {"oneOf": [{"type": "string"}, UNREAD]},
        {"anyOf": [UNREAD]},
        {"allOf": [{"type": "string"}, UNREAD]},
        {"properties": {"x": {"enum": ["a", 1]}}},
        {"properties": {"x": {"$ref": "#/$defs/y", "minimum": 1}}, "$defs": {"y": {"type": "integer"}}},
        {"properties": {"x": "not a schema"}},
    ],
)
def test_a_schema_using_what_the_compiled_check_reads_otherwise_is_left_to_jsonschema(schema):
    assert contract._fast_compatible(schema) is False


@pytest.mark.parametrize(
    "schema",
    [
        True,
        {"type": "object", "properties": {"x": True, "y": {"enum": ["a", None]}}},
        {
            "properties": {"x": {"$ref": "#/$defs/y", "description": "why"}},
            "$defs": {"y": {"type": "integer"}},
        },
        {"type": "array", "items": {"type": "string"}, "additionalProperties": False},
        {
            "properties": {
                "x": {"$ref": "#/$defs/y", "$comment": "c", "title": "t", "description": "d", "examples": [1]}
            },
            "$defs": {"y": {"type": "integer"}},
        },
    ],
)
def test_a_schema_of_what_both_read_alike_is_compiled(schema):
    assert contract._fast_compatible(schema) is True


# The schemas in the OpenAPI document --------------------------------------------------------------


def walk(node):
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from walk(child)


def test_the_documented_schema_inlines_every_definition_and_keeps_everything_else():
    source = contract._validator("place_order").schema
    documented = contract.schema("place_order")
    keys = {key for node in walk(documented) if isinstance(node, dict) for key in node}
    assert not keys & {"$ref", "$defs", "$schema"}
    assert documented["properties"]["marketplacePaymentValue"] == source["$defs"]["cents"]
    item = documented["properties"]["items"]["items"]
    assert item["properties"]["price"] == source["$defs"]["cents"]
    assert item["required"] == source["properties"]["items"]["items"]["required"]
    assert set(documented) == set(source) - {"$schema", "$defs"}
    assert documented["required"] == source["required"]
    assert contract.schema("update_status") == {
        key: value for key, value in contract._validator("update_status").schema.items() if key != "$schema"
    }


# Each departure from the schema, named with its field ----------------------------------------


def changed(body: dict, path: str, value) -> dict:
    """`body` with the field at `path` ("items.0.price") set to `value`."""
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    node = body
    for part in parents:
        node = node[part]
    node[last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "descriptions"),
    [
        ("items.0.price", "975", ["items[0].price must be a whole number (integer cents for money)"]),
        ("pickupAccountName", 5, ["pickupAccountName must be of type string or null"]),
        ("allowFranchises", "yes", ["allowFranchises must be of type boolean"]),
        (
            "shippingData.logisticsInfo.0.selectedDeliveryChannel",
            "drone",
            [
                "shippingData.logisticsInfo[0].selectedDeliveryChannel must be one of: delivery, pickup-in-point"
            ],
        ),
        ("marketplaceInterestValue", -1, ["marketplaceInterestValue must be at least 0"]),
        ("marketplacePaymentValue", 10**12, ["marketplacePaymentValue must be at most 100000000000"]),
        ("items", [], ["items must have at least 1 entry"]),
        ("items", [{"id": "1", "price": 975, "quantity": 1}] * 501, ["items must have at most 500 entries"]),
        ("connectorName", "x" * 101, ["connectorName must be at most 100 characters"]),
        (
            "marketplaceOrderId",
            "",
            ["marketplaceOrderId must not be empty", "marketplaceOrderId is not in the expected format"],
        ),
        (
            "shippingData.logisticsInfo.0.lockTTL",
            "soon",
            ["shippingData.logisticsInfo[0].lockTTL is not in the expected format"],
        ),
        (
            "shippingData.selectedAddresses.0.addressType",
            "villa",
            [
                "shippingData.selectedAddresses[0].addressType is not in the expected format: "
                "residential, commercial or pickup, in any case."
            ],
        ),
    ],
)
def test_each_departure_from_the_order_schema_is_named_with_its_field(path, value, descriptions):
    body = changed(order_body(), path, value)
    if path == "items":  # one logistics entry per item, as the contract asks
        body["shippingData"]["logisticsInfo"] *= max(len(value), 1)
    assert answered(contract.shape_errors("place_order", body)) == [ours(d) for d in descriptions]


def fulfillment_order() -> dict:
    return _with_camel_profile(seed_order())  # as it is checked


def test_a_departure_the_answer_has_no_words_of_its_own_for_is_named_as_jsonschema_says():
    body = changed(fulfillment_order(), "marketplacePaymentReferenceValue", "x")
    assert answered(contract.shape_errors("place_fulfillment_order", body)) == [
        ours("marketplacePaymentReferenceValue: 'x' is not valid under any of the given schemas")
    ]
    body = changed(fulfillment_order(), "items.0.commission", "x")
    assert answered(contract.shape_errors("place_fulfillment_order", body)) == [
        ours("items[0].commission must be a whole number (integer cents for money)")
    ]


def test_a_schema_without_a_compiled_check_is_checked_by_jsonschema_alone(monkeypatch):
    body = changed(order_body(), "items.0.price", "x")
    expected = [ours("items[0].price must be a whole number (integer cents for money)")]
    assert answered(contract.shape_errors("place_order", body)) == expected
    monkeypatch.setattr(contract, "fast_check", lambda name: None)  # a schema the compiler cannot read
    assert answered(contract.shape_errors("place_order", body)) == expected
    assert contract.shape_errors("place_order", order_body()) == []


def test_items_and_logistics_entries_must_pair_up():
    body = two_items(order_body())
    del body["shippingData"]["logisticsInfo"][1]
    assert place_errors(body) == [
        ours("shippingData.logisticsInfo must have one entry per item, in the items' order (1 for 2 items)")
    ]


# The body of every answer and notification -------------------------------------------------------


def test_a_success_carries_its_order_ids_and_no_errors():
    assert contract.response_body(
        code="SOI001",
        flow=contract.PLACE_ORDER,
        account_name="acme",
        marketplace_order_id="123",
        operation_id="op-1",
        main_order_id="MKP-123",
        franchise_order_id=None,
    ) == {
        "marketplaceOrderId": "123",
        "accountName": "acme",
        "code": "SOI001",
        "flow": "PlaceOrder",
        "success": True,
        "operationId": "op-1",
        "errors": None,
        "fields": {"mainOrderId": "MKP-123", "franchiseOrderId": None},
        "message": "Order integrated successfully",
    }


def test_a_failure_carries_its_errors_and_never_order_ids():
    body = contract.response_body(
        code="EOI005",
        flow=contract.APPROVE_ORDER,
        errors=[contract.ContractError("EOI005", "items is required")],
        main_order_id="MKP-123",
        message="See errors",
    )
    assert (body["success"], body["fields"], body["message"]) == (False, None, "See errors")
    assert body["errors"] == [ours("items is required")]
    assert contract.response_body(code="SOI002", flow=contract.APPROVE_ORDER)["fields"] is None  # no order id
