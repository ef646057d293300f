"""The previous fulfillment protocol in the OpenAPI description: its bodies, parameters, refusals and
examples, as `fulfillment_api`'s views declare them."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    OpenApiTypes,
)

from connectors import contract
from connectors.contract import ContractError
from kit.openapi import BODY_REQUIRED

from . import examples
from .api import CONTRACT_RESPONSE
from .examples import answer, request_example
from .fulfillment_body import error_body

ERROR_RESPONSE = {
    "type": "object",
    "required": ["error", "errors"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "exception"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "exception": {"type": "null"},
            },
        },
        "errors": {"type": "array", "items": CONTRACT_RESPONSE["properties"]["errors"]["items"]},
    },
}
AFFILIATE_PARAMETER = OpenApiParameter(
    "affiliateId",
    OpenApiTypes.STR,
    required=True,
    description="The connector's affiliate id (FMT0021 otherwise).",
)
SALES_CHANNEL_PARAMETER = OpenApiParameter(
    "sc",
    OpenApiTypes.STR,
    description="Sales channel; the connector's own when left out, and the only one it sells in.",
)


def refused(name: str, code: str, message: str, *errors: ContractError) -> OpenApiExample:
    """An example of the Fulfillment style's refusal: `errors`, or the code and message as its one error."""
    body = error_body(code=code, message=message, errors=list(errors) or [ContractError(code, message)])
    return answer(name, body)


DIVERGENCE = "Payment total (2900) differs from store desired value (3025)"
DIVERGENCE_ERROR = ContractError("FMT007", DIVERGENCE, contract.SOURCE_FULFILLMENT)
DIVERGENCE_RULE = ContractError(
    "DIVERGENCE",
    "Price divergence of 4.13 %: an order placed without isCreatedAsync is refused whatever the rule",
)
DUPLICATE = "The request order with marketplace order id 2630580124 for affiliate MKP already exists"
WAITING = (
    "Order MKP-2630580124 waits for the seller's manual authorization (price divergence): dispatch is "
    "authorized as soon as the seller approves it"
)
MALFORMED = refused("A malformed body", "EOI005", "shippingData.logisticsInfo[0].lockTTL is required")
OTHER_AFFILIATE = refused("Another affiliate id", "FMT0021", "Invalid affiliate id")


def refusals(described: dict[int, tuple[str, list[OpenApiExample]]]) -> dict:
    """The operation's refusals, {status: (description, examples)}, with those of every call."""
    common = {
        401: (
            "Missing or invalid credentials.",
            [refused("Unknown credentials", "EOI001", examples.UNKNOWN_CREDENTIALS)],
        ),
        403: (
            "Another account than the connector's.",
            [
                refused(
                    "Another account",
                    "EOI001",
                    examples.OTHER_ACCOUNT,
                    ContractError("AUTH", examples.OTHER_ACCOUNT),
                )
            ],
        ),
        413: (
            "The body is over the size limit (EOI005).",
            [refused("Too large", "EOI005", examples.too_large())],
        ),
        415: ("The body is not JSON (EOI005).", [refused("Not JSON", "EOI005", examples.NOT_JSON)]),
        429: (
            f"{examples.OVER_THE_RATE_DESCRIPTION} (EOI001, {contract.RATE_LIMITED})",
            [
                refused(
                    "Over the request rate",
                    "EOI001",
                    examples.OVER_THE_RATE,
                    ContractError(contract.RATE_LIMITED, examples.OVER_THE_RATE),
                )
            ],
        ),
        500: (
            "Unexpected failure, nothing done: send it again (EOI006).",
            [refused("Send it again", "EOI006", contract.MESSAGES["EOI006"])],
        ),
    }
    return {
        status: OpenApiResponse(ERROR_RESPONSE, description=description, examples=found)
        for status, (description, found) in (common | described).items()
    }


def one_or_array(schema: dict) -> dict:
    """A body of one object, or an array of one; never none (`ConnectorAPIView.body`)."""
    return {
        "oneOf": [schema, {"type": "array", "minItems": 1, "maxItems": 1, "items": schema}],
        BODY_REQUIRED: True,
    }


def request_body(name: str, title: str, example) -> dict:
    """The body of the contract's schema `name`, one object or an array of one, with an example."""
    body = one_or_array(contract.schema(name))
    return {"application/json": OpenApiRequest(body, examples=[request_example(title, example)])}


SIMULATION_RESPONSE = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "requestIndex": {"type": "integer"},
                    "quantity": {"type": "integer"},
                    "seller": {"type": "string"},
                    "price": {"type": "integer", "description": "The seller's unit price, in cents."},
                    "availability": {
                        "type": "string",
                        "enum": ["available", "withoutStock", "cannotBeDelivered", "unavailable"],
                    },
                },
            },
        },
        "postalCode": {"type": ["string", "null"]},
        "country": {"type": ["string", "null"]},
        "logisticsInfo": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "itemIndex": {"type": "integer"},
                    "slas": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "deliveryChannel": {"type": "string"},
                                "price": {"type": "integer", "description": "Freight × quantity, in cents."},
                                "shippingEstimate": {"type": "string"},
                                "pickupPointId": {"type": ["string", "null"]},
                            },
                        },
                    },
                },
            },
        },
        "messages": {"type": "array", "items": {"type": "object"}},
        "pickupPoints": {"type": "array", "items": {"type": "object"}},
        "totals": {"type": "array", "items": {"type": "object"}},
    },
}
PLACED_RESPONSE = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "marketplaceOrderId": {"type": "string"},
            "orderId": {"type": "string", "description": "{affiliateId}-{marketplaceOrderId}"},
            "followUpEmail": {"type": "null"},
            "items": {"type": "array", "items": {"type": "object"}},
            "shippingData": {"type": "object"},
            "paymentData": {"type": "null"},
        },
    },
}
DISPATCH_RESPONSE = {"type": "object", "properties": {"marketplaceOrderId": {"type": "string"}}}
