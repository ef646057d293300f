"""Examples of the connector operations' bodies, shown in /api/docs and /api/redoc.

Requests are the contract's own examples (vtex-contract.md §1.2, §1.4, §2.1, §2.2, seed 002),
priced for the contract's example seller: SKU 1 at 9.75 and Express freight at 20.50, so the
order of the example is paid exactly what the seller expects. Answers are what the app answers
them. The previous protocol's are in `fulfillment_examples`. tests/connectors/test_api_examples.py
checks every example against its operation's schema and places the order examples.
"""

import copy

from django.conf import settings
from drf_spectacular.utils import OpenApiExample

from connectors import contract
from kit.api import json_media_type_problem


def request_example(name: str, value, description: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=value, description=description, request_only=True)


def answer(name: str, value, description: str = "") -> OpenApiExample:
    """An answer's example, for an `OpenApiResponse`: it takes that response's status."""
    return OpenApiExample(name, value=value, description=description, response_only=True)


def contract_answer(name: str, *, code: str, flow: str, errors=(), message=None, **fields) -> OpenApiExample:
    """The contract's body (`contract.response_body`); `errors` as (source, code, description)."""
    found = [contract.ContractError(code_, description, source) for source, code_, description in errors]
    return answer(
        name, contract.response_body(code=code, flow=flow, errors=found or None, message=message, **fields)
    )


ACCOUNT = "acme"
UNKNOWN_CREDENTIALS = "Invalid X-VTEX-API-AppKey or X-VTEX-API-AppToken."
OTHER_ACCOUNT = "This connector cannot act on account other-account."
# DRF's message for a request over the connector's rate (`rate_limit.ConnectorRateThrottle`).
OVER_THE_RATE = "Request was throttled. Expected available in 1 second."
OVER_THE_RATE_DESCRIPTION = (
    "Over the connector's request rate, nothing done: send it again after the seconds of Retry-After. "
    "An order the connector placed before is answered as usual."
)
NOT_JSON = json_media_type_problem("text/plain")


def too_large() -> str:
    return f"The body is over the limit of {settings.ORDER_BODY_MAX_BYTES} bytes"


DATE, LATER = "2026-12-05T13:07:15.000000Z", "2026-12-05T13:09:02.000000Z"

# POST /api/order-integration/orders: the contract's example (§1.2): item 975 + freight 2050 = 3025.
PLACE_ORDER = {
    "marketplaceOrderId": "123456789",
    "connectorName": "SkyHub",
    "connectorEndpoint": "https://connector-endpoint.com/api/vtex",
    "marketplaceOrderStatus": "new",
    "marketplacePaymentValue": 3025,
    "marketplaceInterestValue": 0,
    "priceDivergenceAllowanceRate": 0.05,
    "allowFranchises": False,
    "items": [{"id": "1", "price": 975, "quantity": 1}],
    "clientProfileData": {
        "email": "email@email.com.br",
        "firstName": "John",
        "lastName": "Doe",
        "phone": "99999999999",
        "document": "99999999999",
        "corporateDocument": None,
        "corporatePhone": None,
        "corporateName": None,
        "tradeName": None,
        "stateInscription": None,
    },
    "shippingData": {
        "logisticsInfo": [
            {
                "price": 2050,
                "selectedDeliveryChannel": "delivery",
                "selectedSla": "Express",
                "lockTTL": "1d",
                "shippingEstimate": "2d",
            }
        ],
        "selectedAddresses": [
            {
                "addressType": "Residential",
                "addressId": "1",
                "receiverName": "John Doe",
                "postalCode": "81020-235",
                "city": "Curitiba",
                "state": "PR",
                "country": "BRA",
                "street": "Rua Eduardo Carlos Pereira",
                "number": "4125",
                "neighborhood": "Portão",
                "complement": "101",
                "geoCoordinates": {"latitude": -29.5, "longitude": -45.8},
            }
        ],
        "isFob": False,
        "isMarketplaceFulfillment": False,
    },
    "invoiceData": {"userPaymentInfo": {"paymentMethods": ["creditCardPaymentGroup"]}},
    "customData": {
        "customApps": [
            {
                "id": "marketplace-integration",
                "major": 1,
                "fields": {"marketplacePaymentMethod": "credit card"},
            }
        ]
    },
    "taxData": [],
    "openTextField": "Additional order information.",
}
ADDRESS = PLACE_ORDER["shippingData"]["selectedAddresses"][0]
PLACE_APPROVED_ORDER = {
    **copy.deepcopy(PLACE_ORDER),
    "marketplaceOrderId": "123456790",
    "marketplaceOrderStatus": "approved",
}
UPDATE_STATUS = {
    "marketplaceOrderId": "123456789",
    "marketplaceOrderStatus": "approved",
    "connectorName": "SkyHub",
    "connectorEndpoint": "https://connector-endpoint.com/api/vtex",
}
PLACE_ORDER_EXAMPLES = [
    request_example(
        "A new order",
        PLACE_ORDER,
        "The contract's example: the marketplace approves its payment later, with PUT …/orders/status.",
    ),
    request_example(
        "An order already approved",
        PLACE_APPROVED_ORDER,
        "Approved with the order: once integrated (SOI001) it is approved (SOI002), unless it waits for the "
        "seller's manual authorization.",
    ),
]
UPDATE_STATUS_EXAMPLES = [request_example("Approve an order", UPDATE_STATUS)]

# The OMS API (§4.2), the feed (§4.3) and the hook (§4.4).
HELD_ORDER = {
    "orderId": "MKP-123456789",
    "marketplaceOrderId": "123456789",
    "franchiseOrderId": None,
    "origin": "Fulfillment",
    "affiliateId": "MKP",
    "salesChannel": "1",
    "hostname": ACCOUNT,
    "status": "waiting-for-manual-authorization",
    "statusDescription": "Waiting for manual authorization",
    "workflowIsInError": False,
    "value": 2571,
    "creationDate": DATE,
    "lastChange": DATE,
    "isCompleted": True,
    "allowCancellation": True,
    "allowEdition": False,
    "authorizedDate": None,
    "invoicedDate": None,
    "cancelReason": None,
    "cancellationData": None,
    "totals": [
        {"id": "Items", "name": "Items total", "value": 975},
        {"id": "Discounts", "name": "Discounts total", "value": 0},
        {"id": "Shipping", "name": "Shipping total", "value": 2050},
        {"id": "Tax", "name": "Tax total", "value": 0},
    ],
    "items": [
        {
            "uniqueId": "MKP-123456789-0",
            "id": "1",
            "sellerSku": "1",
            "name": "Shirt",
            "quantity": 1,
            "seller": "1",
            "price": 975,
            "listPrice": 975,
            "sellingPrice": 975,
            "measurementUnit": "un",
            "unitMultiplier": 1,
            "isGift": False,
            "sellerPrice": 975,
            "divergencePercent": "0.00",
            "reservedQuantity": 1,
        }
    ],
    "shippingData": {
        "id": "shippingData",
        "isFob": False,
        "address": {**ADDRESS, "geoCoordinates": [-45.8, -29.5]},  # longitude first, as the contract's
        "logisticsInfo": [
            {
                "itemIndex": 0,
                "selectedSla": "Express",
                "selectedDeliveryChannel": "delivery",
                "lockTTL": "1d",
                "price": 2050,
                "listPrice": 2050,
                "sellingPrice": 2050,
                "shippingEstimate": "2d",
                "sellerFreight": 2050,
                "deliveryIds": [{"warehouseId": "WH1", "quantity": 1}],
            }
        ],
    },
    "clientProfileData": {**PLACE_ORDER["clientProfileData"], "isCorporate": False},
    "marketplace": {
        "name": "SkyHub",
        "baseURL": "https://connector-endpoint.com/api/vtex",
        "isCertified": False,
    },
    "packageAttachment": {"packages": []},
    "priceDivergence": {
        "paidValue": 2571,
        "sellerValue": 3025,
        "divergencePercent": "15.01",
        "allowanceRate": "0.0500",
        "outcome": "manual",
        "reason": "rule:band",
        "band": {"from": "10.00", "to": "20.00", "action": "manual"},
        "decision": {"decision": None, "decidedAt": None, "reasonCode": None, "note": None},
    },
}
CANCEL = {"reason": "The customer gave up the purchase."}
INVOICE = {
    "type": "Output",
    "invoiceNumber": "NFE-00001",
    "invoiceValue": 3025,
    "issuanceDate": "2026-12-05T13:07:15Z",
    "invoiceKey": "35261212345678000199550010000000011000000019",
    "invoiceUrl": "https://connector-endpoint.com/invoices/NFE-00001.pdf",
    "courier": "Correios",
    "trackingNumber": "BR123456789BR",
    "trackingUrl": "https://rastreamento.correios.com.br/?objeto=BR123456789BR",
    "dispatchedDate": "2026-12-05T15:00:00Z",
    "items": [{"id": "1", "price": 975, "quantity": 1}],
}
RECEIPT = {"date": LATER, "orderId": "MKP-123456789", "receipt": "e248bb9440784e3cb0f6bceb79c1d6af"}

FILTER = {"type": "FromWorkflow", "status": ["ready-for-handling", "invoiced", "canceled"]}
FEED_CONFIG = {
    "filter": FILTER,
    "queue": {"visibilityTimeoutInSeconds": 250, "MessageRetentionPeriodInSeconds": 345600},
}
FEED = {**FEED_CONFIG, "quantity": 2, "approximateAgeOfOldestMessageInSeconds": 107.2}
FEED_ITEMS = [
    {
        "eventId": "4BF01CF729A556049B336F926EE5EDD6",
        "handle": "b8aEawV12yxyAqALyelV8QwxsGMbTSL2EUL_XxCaQ3ujXx7PA9VL247oxqvOrHw-",
        "domain": "Fulfillment",
        "state": "invoiced",
        "lastState": "handling",
        "orderId": "MKP-123456789",
        "lastChange": DATE,
        "currentChange": LATER,
    }
]
FEED_COMMIT = {"handles": [FEED_ITEMS[0]["handle"]]}
HOOK_CONFIG = {
    "filter": {"type": "FromWorkflow", "status": ["invoiced", "canceled"]},
    "hook": {
        "url": "https://connector-endpoint.com/api/vtex/hook",
        "headers": {"X-Connector-Token": "s3cr3t"},
    },
}
