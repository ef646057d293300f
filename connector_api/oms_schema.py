"""The order document's schema, for the OpenAPI document: a subset of the contract's, plus priceDivergence.

What `connector_api.oms_document.order_document` answers, field by field.
"""

from orders.statuses import OrderStatus

_STRING = {"type": "string"}
_INT = {"type": "integer"}
_NULLABLE_STRING = {"type": ["string", "null"]}
ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "orderId": {**_STRING, "description": "The mainOrderId."},
        "marketplaceOrderId": _STRING,
        "franchiseOrderId": _NULLABLE_STRING,
        "origin": {"type": "string", "enum": ["Fulfillment"]},
        "affiliateId": _STRING,
        "salesChannel": _STRING,
        "hostname": {**_STRING, "description": "The seller account."},
        "status": {"type": "string", "enum": list(OrderStatus.values)},
        "statusDescription": _STRING,
        "workflowIsInError": {"type": "boolean"},
        "value": {**_INT, "description": "marketplacePaymentValue, in cents."},
        "creationDate": _STRING,
        "lastChange": _STRING,
        "isCompleted": {"type": "boolean"},
        "allowCancellation": {"type": "boolean"},
        "allowEdition": {"type": "boolean"},
        "authorizedDate": _NULLABLE_STRING,
        "invoicedDate": _NULLABLE_STRING,
        "cancelReason": _NULLABLE_STRING,
        "cancellationData": {
            "type": ["object", "null"],
            "properties": {
                "RequestedByUser": {"type": "boolean"},
                "RequestedBySystem": {"type": "boolean"},
                "RequestedBySellerNotification": {"type": "boolean"},
                "RequestedByPaymentNotification": {"type": "boolean"},
                "Reason": _NULLABLE_STRING,
                "CancellationDate": _STRING,
            },
        },
        "totals": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "enum": ["Items", "Discounts", "Shipping", "Tax"]},
                    "name": _STRING,
                    "value": _INT,
                },
            },
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "uniqueId": _STRING,
                    "id": {**_STRING, "description": "The SKU id."},
                    "sellerSku": _STRING,
                    "name": _STRING,
                    "quantity": _INT,
                    "seller": _STRING,
                    "price": {**_INT, "description": "Marketplace unit price, in cents."},
                    "listPrice": _INT,
                    "sellingPrice": _INT,
                    "measurementUnit": _STRING,
                    "unitMultiplier": _INT,
                    "isGift": {"type": "boolean"},
                    "sellerPrice": {**_INT, "description": "The seller's catalog unit price, in cents."},
                    "divergencePercent": _STRING,
                    "reservedQuantity": _INT,
                },
            },
        },
        "shippingData": {
            "type": "object",
            "properties": {
                "id": _STRING,
                "isFob": {"type": "boolean"},
                "address": {"type": "object", "additionalProperties": True},
                "logisticsInfo": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "itemIndex": _INT,
                            "selectedSla": _STRING,
                            "selectedDeliveryChannel": _STRING,
                            "lockTTL": _STRING,
                            "price": _INT,
                            "listPrice": _INT,
                            "sellingPrice": _INT,
                            "shippingEstimate": _STRING,
                            "sellerFreight": _INT,
                            "deliveryIds": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"warehouseId": _STRING, "quantity": _INT},
                                },
                            },
                        },
                    },
                },
            },
        },
        "clientProfileData": {"type": "object", "additionalProperties": True},
        "marketplace": {
            "type": "object",
            "properties": {"name": _STRING, "baseURL": _STRING, "isCertified": {"type": "boolean"}},
        },
        "packageAttachment": {
            "type": "object",
            "properties": {
                "packages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string", "enum": ["Output", "Input"]},
                            "invoiceNumber": _STRING,
                            "invoiceValue": _INT,
                            "issuanceDate": _STRING,
                            "invoiceKey": _NULLABLE_STRING,
                            "invoiceUrl": _NULLABLE_STRING,
                            "courier": _NULLABLE_STRING,
                            "trackingNumber": _NULLABLE_STRING,
                            "trackingUrl": _NULLABLE_STRING,
                            "embeddedInvoice": _STRING,
                            "items": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"itemIndex": _INT, "quantity": _INT, "price": _INT},
                                },
                            },
                            "receipt": _STRING,
                            "receivedAt": _STRING,
                        },
                    },
                }
            },
        },
        "priceDivergence": {
            "type": "object",
            "description": "What the app decided about the order's price divergence.",
            "properties": {
                "paidValue": {**_INT, "description": "What the marketplace pays for what the seller prices."},
                "sellerValue": {**_INT, "description": "What the seller expects, at catalog prices."},
                "divergencePercent": {
                    **_STRING,
                    "description": "(seller − paid) / seller × 100; positive when the marketplace pays less.",
                },
                "allowanceRate": _NULLABLE_STRING,
                "outcome": {**_STRING, "description": "no-divergence, authorize, manual or deny."},
                "reason": _STRING,
                "band": {
                    "type": ["object", "null"],
                    "properties": {"from": _STRING, "to": _STRING, "action": _STRING},
                },
                "decision": {
                    "type": ["object", "null"],
                    "description": "The manual authorization, for an order that waited for one.",
                    "properties": {
                        "decision": {"type": ["string", "null"], "enum": ["approved", "denied", None]},
                        "decidedAt": _NULLABLE_STRING,
                        "reasonCode": _NULLABLE_STRING,
                        "note": _NULLABLE_STRING,
                    },
                },
            },
        },
    },
}
