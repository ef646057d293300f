"""The order integration contract: request shapes, checks, codes and the response body.

Every API answer and every notification to a connector has the same body (contract §1.3).
"""

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import fastjsonschema
from jsonschema import Draft202012Validator

from kit.text import unstorable_problems

HERE = Path(__file__).resolve().parent

# Codes and their messages (contract §1.5).
MESSAGES = {
    "SOI001": "Order integrated successfully",
    "SOI002": "Order approved successfully",
    "SOI003": "Order successfully enqueued",
    "EOI000": "An unknown error occurred when processing the order",
    "EOI001": "An unmapped error occurred when processing the order: see errors",
    "EOI002": "There are no SLAs or items available to fulfill this order",
    "EOI003": "The order total payment value differs from what is expected by the seller",
    "EOI004": "This order's cart is invalid",
    "EOI005": "A validation error occurred in the order's fields",
    "EOI006": "An unexpected internal error occurred: send the request again later",
    "EOI007": "The order already exists and duplicated orders are not created",
    "EOI008": "The order cannot be approved because it is not integrated yet",
    "EOI009": "The order is out of the valid status to approve",
    "EOI011": "The order was integrated with a price divergence and waits for the seller's manual authorization",
}

PLACE_ORDER = "PlaceOrder"
APPROVE_ORDER = "ApproveOrder"
UNKNOWN_FLOW = "Unknown"

SOURCE_FULFILLMENT = "Fulfillment"
SOURCE_CHECKOUT = "Checkout"
SOURCE_INTEGRATION = "Order Integration"
# The code in `errors[]` of a 429 (top-level EOI001, "see errors[]", as for credentials' AUTH):
# the connector is over its request rate and sends again after Retry-After.
RATE_LIMITED = "RATE_LIMIT"


@dataclass(frozen=True)
class ContractError:
    """One entry of `errors[]`."""

    code: str
    description: str
    source: str = SOURCE_INTEGRATION

    def as_dict(self) -> dict:
        return {"source": self.source, "code": self.code, "description": self.description}


def response_body(
    *,
    code: str,
    flow: str,
    account_name: str | None = None,
    marketplace_order_id: str | None = None,
    operation_id: str | None = None,
    errors: list[ContractError] | None = None,
    main_order_id: str | None = None,
    franchise_order_id: str | None = None,
    message: str | None = None,
) -> dict:
    """Return the contract's body; `success` follows from the code (S… succeeds, E… fails)."""
    success = code.startswith("S")
    return {
        "marketplaceOrderId": marketplace_order_id,
        "accountName": account_name,
        "code": code,
        "flow": flow,
        "success": success,
        "operationId": operation_id,
        "errors": [error.as_dict() for error in errors] if errors else None,
        "fields": {"mainOrderId": main_order_id, "franchiseOrderId": franchise_order_id}
        if success and main_order_id
        else None,
        "message": message or MESSAGES[code],
    }


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((HERE / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


# What the compiled check reads exactly as jsonschema does. fastjsonschema compiles to draft 7,
# which ignores the siblings of `$ref` and knows none of 2020-12's new keywords; and its `enum`
# takes True for 1, which jsonschema tells apart. A schema using anything else is checked by
# jsonschema alone.
_FAST_KEYWORDS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "type", "properties", "required"}
    | {"items", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum"}
    | {"exclusiveMinimum", "exclusiveMaximum", "enum", "oneOf", "anyOf", "allOf", "not", "$ref", "$defs"}
    | {"additionalProperties"}
)
_ANNOTATIONS = frozenset({"$comment", "title", "description", "examples"})


def _fast_compatible(node) -> bool:
    if isinstance(node, bool):
        return True
    if not isinstance(node, dict) or not set(node) <= _FAST_KEYWORDS:
        return False
    if "$ref" in node and not set(node) - {"$ref"} <= _ANNOTATIONS:
        return False
    if any(not (value is None or isinstance(value, str)) for value in node.get("enum", [])):
        return False
    children = [*node.get("properties", {}).values(), *node.get("$defs", {}).values()]
    children += [node[key] for key in ("items", "not", "additionalProperties") if key in node]
    children += [child for key in ("oneOf", "anyOf", "allOf") for child in node.get(key, [])]
    return all(_fast_compatible(child) for child in children)


@cache
def fast_check(name: str):
    """Return a compiled check of schema `name` that raises on any departure, or None.

    Compiled to Python, so the valid order of every request is checked cheaply; jsonschema still
    names the fields of an invalid one. The compiled check may refuse a little more than jsonschema (its `$` does
    not match before a final newline), never less: what it refuses goes to jsonschema.
    """
    schema = _validator(name).schema
    if not _fast_compatible(schema):
        return None
    return fastjsonschema.compile(schema, use_default=False, use_formats=False, detailed_exceptions=False)


def _conforms(name: str, body) -> bool:
    check = fast_check(name)
    if check is None:
        return False
    try:
        check(body)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def schema(name: str) -> dict:
    """Return the JSON schema of a request body with its definitions inlined, for the OpenAPI document."""
    source = _validator(name).schema
    definitions = source.get("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return inline(definitions[reference.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items() if key not in ("$schema", "$defs")}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(source)


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error) -> str:
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{_path([*error.absolute_path, missing])} is required"
    where = _path(error.absolute_path) or "body"
    if error.validator == "type":
        expected = error.validator_value
        if expected == "integer" or (isinstance(expected, list) and "integer" in expected):
            return f"{where} must be a whole number (integer cents for money)"
        expected_text = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where} must be of type {expected_text}"
    if error.validator == "enum":
        return f"{where} must be one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "minimum":
        return f"{where} must be at least {error.validator_value}"
    if error.validator == "maximum":
        return f"{where} must be at most {error.validator_value}"
    if error.validator == "minItems":
        return f"{where} must have at least {error.validator_value} entr{'y' if error.validator_value == 1 else 'ies'}"
    if error.validator == "maxItems":
        return f"{where} must have at most {error.validator_value} entr{'y' if error.validator_value == 1 else 'ies'}"
    if error.validator == "minLength":
        return f"{where} must not be empty"
    if error.validator == "maxLength":
        return f"{where} must be at most {error.validator_value} characters"
    if error.validator == "pattern":
        hint = error.schema.get("description")
        return f"{where} is not in the expected format" + (f": {hint}" if hint else "")
    return f"{where}: {error.message}"


def shape_errors(name: str, body, *, texts: bool = True) -> list[ContractError]:
    """Return every way `body` departs from the JSON schema `name`, each naming its field.

    `texts=False` skips the search for text no database stores, for a body whose JSON text
    cannot hold any (`kit.text.may_hold_unstorable`)."""
    if not isinstance(body, dict):
        return [ContractError("EOI005", "body must be a JSON object")]
    found = (
        []
        if _conforms(name, body)
        else sorted(_validator(name).iter_errors(body), key=lambda error: list(map(str, error.absolute_path)))
    )
    return [ContractError("EOI005", _describe(error)) for error in found] + [
        ContractError("EOI005", problem) for problem in (unstorable_problems(body) if texts else ())
    ]


def _is_true(value) -> bool:
    return value is True


def check_place_order(body, *, texts: bool = True) -> list[ContractError]:
    """Return every problem with a place-order body, each naming its field; empty when it is fine."""
    errors = shape_errors("place_order", body, texts=texts)
    if not isinstance(body, dict):
        return errors
    status = body.get("marketplaceOrderStatus")
    if isinstance(status, str) and status.lower() not in ("new", "approved"):
        errors.append(ContractError("EOI005", "marketplaceOrderStatus must be new or approved"))
    items = body.get("items")
    shipping = body.get("shippingData") if isinstance(body.get("shippingData"), dict) else {}
    logistics = shipping.get("logisticsInfo")
    if isinstance(items, list) and isinstance(logistics, list) and len(items) != len(logistics):
        errors.append(
            ContractError(
                "EOI005",
                f"shippingData.logisticsInfo must have one entry per item, in the items' order "
                f"({len(logistics)} for {len(items)} items)",
            )
        )
    addresses = shipping.get("selectedAddresses")
    address = (
        addresses[0] if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict) else {}
    )
    if isinstance(logistics, list):
        for index, info in enumerate(logistics):
            if not isinstance(info, dict):
                continue
            where = f"shippingData.logisticsInfo[{index}]"
            if info.get("selectedDeliveryChannel") == "pickup-in-point":
                if _is_true(shipping.get("isFob")):
                    errors.append(
                        ContractError("EOI005", "shippingData.isFob cannot be true for pickup-in-point")
                    )
                if str(address.get("addressType", "")).lower() != "pickup":
                    errors.append(
                        ContractError(
                            "EOI005",
                            "shippingData.selectedAddresses[0].addressType must be pickup for pickup-in-point",
                        )
                    )
                if not address.get("addressId"):
                    errors.append(
                        ContractError(
                            "EOI005",
                            "shippingData.selectedAddresses[0].addressId is required for pickup-in-point "
                            "(the pickup point id)",
                        )
                    )
                if not address.get("geoCoordinates"):
                    errors.append(
                        ContractError(
                            "EOI005",
                            "shippingData.selectedAddresses[0].geoCoordinates is required for pickup-in-point",
                        )
                    )
                if _is_true(body.get("allowFranchises")) and not body.get("pickupAccountName"):
                    errors.append(
                        ContractError(
                            "EOI005", "pickupAccountName is required for a franchise pickup-in-point order"
                        )
                    )
            if (
                _is_true(shipping.get("isFob"))
                and _is_true(shipping.get("isMarketplaceFulfillment"))
                and not info.get("deliveryIds")
            ):
                errors.append(
                    ContractError(
                        "EOI005",
                        f"{where}.deliveryIds is required when the marketplace delivers from its own stock",
                    )
                )
    return _unique(errors)


def check_update_status(body, *, texts: bool = True) -> list[ContractError]:
    errors = shape_errors("update_status", body, texts=texts)
    if isinstance(body, dict):
        status = body.get("marketplaceOrderStatus")
        if isinstance(status, str) and status.lower() != "approved":
            errors.append(ContractError("EOI005", "marketplaceOrderStatus must be approved"))
    return errors


def body_digest(body) -> str:
    """Identify a body by its content, whatever its key order or spacing: exact replays share it."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _unique(errors: list[ContractError]) -> list[ContractError]:
    seen, unique = set(), []
    for error in errors:
        if error.description not in seen:
            seen.add(error.description)
            unique.append(error)
    return unique
