"""An example of the seller API's order, for the OpenAPI document: held for manual authorization,
its divergence explained (tests/connectors/test_api_examples.py checks it against the schema).

The marketplace paid 127.78 for a shirt the seller sells at 129.00 plus 9.90 of freight: it charged
119.00, the seller's price until earlier that day, and gave 1.12 of discount on its own total.
"""

# What a band that holds no order says of approvers and their deadline.
NO_CHAIN = {
    "approvers": [],
    "escalateAfterMinutes": 240,
    "onDeadline": "wait",
    "deadlineMinutes": None,
    "approveUpToCents": None,
}

ORDER = {
    "mainOrderId": "MKP-123456789",
    "marketplaceOrderId": "123456789",
    "franchiseOrderId": None,
    "connector": {"affiliateId": "MKP", "name": "SkyHub", "type": "external"},
    "status": "waiting-for-manual-authorization",
    "marketplaceApproved": False,
    "paymentValue": 12778,
    "interestValue": 0,
    "taxValue": 0,
    "marketplaceFreightValue": 0,
    "paidValue": 12778,
    "sellerValue": 13890,
    "divergencePercent": "8.01",
    "outcome": "manual",
    "decisionReason": "rule:band",
    "band": {
        "from": "5.00",
        "to": "20.00",
        "action": "manual",
        "approvers": ["ana@acme.example", "bo@acme.example"],
        "escalateAfterMinutes": 240,
        "onDeadline": "deny",
        "deadlineMinutes": 1440,
        "approveUpToCents": None,
    },
    "currency": "BRL",
    "divergenceExplained": {
        "differenceCents": 1112,
        "components": [
            {
                "kind": "item",
                "cents": 1000,
                "sku": "1",
                "label": "Shirt (SKU 1): 1 × R$119.00, your price R$129.00",
            },
            {
                "kind": "marketplace-discount",
                "cents": 112,
                "label": "The marketplace paid R$1.12 less than its own items and freight add up to",
            },
        ],
        "causes": [
            {
                "kind": "earlier-price",
                "message": "SKU 1: paid R$119.00, which was your price until 12/05/2026 2:02 p.m.",
                "sku": "1",
                "until": "2026-12-05T14:02:00-03:00",
            },
            {
                "kind": "marketplace-discount",
                "message": "The marketplace gave a discount of R$1.12 on its own total",
            },
        ],
    },
    "customerEmail": "email@email.com.br",
    "createdAt": "2026-12-05T16:07:15.000000-03:00",
    "updatedAt": "2026-12-05T16:07:15.000000-03:00",
    "items": [
        {
            "id": "1",
            "name": "Shirt",
            "quantity": 1,
            "price": 11900,
            "sellerPrice": 12900,
            "freight": 990,
            "sellerFreight": 990,
            "divergencePercent": "7.75",
            "deliveryChannel": "delivery",
            "sla": "Express",
            "warehouseId": "WH1",
            "pickupPointId": None,
            "reservedQuantity": 1,
        }
    ],
    "ruleSnapshot": [
        {"from": "0.00", "to": "5.00", "action": "authorize", **NO_CHAIN},
        {
            "from": "5.00",
            "to": "20.00",
            "action": "manual",
            "approvers": ["ana@acme.example", "bo@acme.example"],
            "escalateAfterMinutes": 240,
            "onDeadline": "deny",
            "deadlineMinutes": 1440,
            "approveUpToCents": None,
        },
        {"from": "20.00", "to": "100.00", "action": "deny", **NO_CHAIN},
    ],
    "manualDecision": {"decision": None, "decidedBy": None, "decidedAt": None, "onBehalfOf": None},
    "events": [
        {
            "createdAt": "2026-12-05T16:07:15.000000-03:00",
            "kind": "created",
            "actor": "connector SkyHub (MKP)",
            "fromStatus": None,
            "toStatus": "waiting-for-manual-authorization",
            "note": "Integrated from SkyHub: paid 12778, seller value 13890, divergence 8.01 %.",
        },
        {
            "createdAt": "2026-12-05T16:07:15.000000-03:00",
            "kind": "decision",
            "actor": "system",
            "fromStatus": None,
            "toStatus": None,
            "note": "manual by the band 5.00–20.00 % (rule).",
        },
    ],
    "notifications": [
        {
            "code": "SOI001",
            "flow": "PlaceOrder",
            "state": "delivered",
            "attempts": 1,
            "lastStatus": 200,
            "createdAt": "2026-12-05T16:07:15.000000-03:00",
            "deliveredAt": "2026-12-05T16:07:16.000000-03:00",
        }
    ],
}
