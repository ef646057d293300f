"""Order bodies as connectors send them, starting from the contract's own example."""

import copy

EXAMPLE_ORDER = {
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


def order_body(**changes) -> dict:
    """Return the example order with top-level `changes` (use `shipping=` for shippingData keys)."""
    body = copy.deepcopy(EXAMPLE_ORDER)
    shipping = changes.pop("shipping", None)
    logistics = changes.pop("logistics", None)
    address = changes.pop("address", None)
    body.update(changes)
    if shipping:
        body["shippingData"].update(shipping)
    if logistics:
        for info in body["shippingData"]["logisticsInfo"]:
            info.update(logistics)
    if address:
        body["shippingData"]["selectedAddresses"][0].update(address)
    return body
