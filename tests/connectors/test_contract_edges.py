"""Contract validation at its edges: the rules beyond the JSON schema (pickup-in-point, franchises,
the marketplace's own stock, the statuses), each answered as the `errors[]` entry the connector
reads; the approval's own check; the digest that recognises a replay; what the compiled check
may be trusted with; and the schemas as the OpenAPI document shows them.
"""

import hashlib
import json

import pytest

from connectors import contract
from tests.orders.payloads import order_body

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
