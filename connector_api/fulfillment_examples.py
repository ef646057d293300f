"""Examples of the previous fulfillment protocol's bodies (vtex-contract.md §2), shown in /api/docs and
/api/redoc: the guide's order (seed 002), an array of one, priced as `examples` prices the contract's
example seller.
"""

SIMULATION = {
    "items": [{"id": "1", "quantity": 1, "seller": "1"}],
    "postalCode": "81020-235",
    "country": "BRA",
}
SIMULATED = {
    "items": [
        {
            "id": "1",
            "requestIndex": 0,
            "quantity": 1,
            "seller": "1",
            "sellerChain": ["1"],
            "tax": 0,
            "price": 975,
            "listPrice": 975,
            "sellingPrice": 975,
            "measurementUnit": "un",
            "unitMultiplier": 1,
            "availability": "available",
            "priceDefinition": {
                "calculatedSellingPrice": 975,
                "total": 975,
                "sellingPrices": [{"value": 975, "quantity": 1}],
            },
        }
    ],
    "postalCode": "81020-235",
    "country": "BRA",
    "geoCoordinates": [],
    "logisticsInfo": [
        {
            "itemIndex": 0,
            "quantity": 1,
            "selectedSla": None,
            "selectedDeliveryChannel": None,
            "addressId": None,
            "slas": [
                {
                    "id": "Express",
                    "deliveryChannel": "delivery",
                    "name": "Express",
                    "deliveryIds": [{"warehouseId": "WH1", "quantity": 1}],
                    "shippingEstimate": "2d",
                    "price": 2050,
                    "listPrice": 2050,
                    "tax": 0,
                    "pickupStoreInfo": {
                        "isPickupStore": False,
                        "friendlyName": None,
                        "address": None,
                        "additionalInfo": None,
                        "dockId": None,
                    },
                    "pickupPointId": None,
                    "transitTime": "2d",
                }
            ],
            "deliveryChannels": [{"id": "delivery"}],
        }
    ],
    "messages": [],
    "pickupPoints": [],
    "totals": [
        {"id": "Items", "name": "Items total", "value": 975},
        {"id": "Shipping", "name": "Shipping total (cheapest SLA of each item)", "value": 2050},
    ],
}
SIMULATED_UNKNOWN = {
    **SIMULATED,
    "items": [],
    "logisticsInfo": [],
    "messages": [
        {"messageId": "ORD027", "messageText": "Item 404 not found or unavailable", "messageType": "error"}
    ],
    "totals": [
        {"id": "Items", "name": "Items total", "value": 0},
        {"id": "Shipping", "name": "Shipping total (cheapest SLA of each item)", "value": 0},
    ],
}
FULFILLMENT_ORDER = {
    "items": [{"id": "1", "price": 975, "quantity": 1, "seller": "1"}],
    "isCreatedAsync": True,
    "marketplaceOrderGroup": "794901324",
    "marketplaceOrderId": "2630580124",
    "marketplacePaymentValue": 3025,
    "marketplacePaymentReferenceValue": 3025,
    "marketplaceServicesEndpoint": "https://connector-endpoint.com/api/skyhubintegration/commercialcondition?an=acme",
    "clientProfileData": {
        "email": "conta@dominio.com.br",
        "firstName": "Nome",
        "lastName": "Sobrenome",
        "document": "14310315771",
        "phone": "41998718616",
        "isCorporate": False,
        "corporateName": None,
        "corporateDocument": None,
        "corporatePhone": None,
        "stateInscription": None,
        "tradeName": None,
    },
    "shippingData": {
        "address": {
            "addressId": "Casa",
            "addressType": "residential",
            "receiverName": "Marcelo",
            "postalCode": "81020230",
            "city": "Curitiba",
            "state": "PR",
            "country": "BRA",
            "street": "Rua Eduardo Carlos Pereira",
            "number": "4000",
            "neighborhood": "Novo Mundo",
            "complement": None,
            "reference": None,
            "geoCoordinates": [],
        },
        "logisticsInfo": [
            {
                "itemIndex": 0,
                "price": 2050,
                "selectedDeliveryChannel": "delivery",
                "selectedSla": "Express",
                "lockTTL": "1d",
                "shippingEstimate": "2d",
            }
        ],
        "isFob": False,
    },
    "customData": {
        "customApps": [
            {
                "id": "marketplace-integration",
                "major": 1,
                "fields": {"orderIdMarketplace": "2630580148", "paymentIdMarketplace": "8191598627"},
            }
        ]
    },
}
PLACED_FULFILLMENT_ORDER = [
    {
        "marketplaceOrderId": "2630580124",
        "orderId": "MKP-2630580124",
        "followUpEmail": None,
        "items": FULFILLMENT_ORDER["items"],
        "shippingData": FULFILLMENT_ORDER["shippingData"],
        "paymentData": None,
    }
]
AUTHORIZE_DISPATCH = [{"marketplaceOrderId": "2630580124"}]
