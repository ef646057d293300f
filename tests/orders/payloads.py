"""Order bodies as connectors send them, starting from the contract's own examples: the order API's
(`order_body`) and the previous protocol's place-fulfillment-order (`seed_order`)."""

import copy

from connector_api import examples

# The contract's example, as /api/docs shows it to connector developers.
EXAMPLE_ORDER = copy.deepcopy(examples.PLACE_ORDER)


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


def seed_order(**changes) -> dict:
    """The guide's place-fulfillment-order example (seed 002), priced for the example seller.

    SKU 1 costs 975 and the cheapest SLA, Express, 2050 a unit: the seller expects 3025.
    """
    order = {
        "items": [{"id": "1", "price": 975, "quantity": 1, "seller": "1"}],
        "marketplaceOrderGroup": "794901324",
        "marketplaceOrderId": "2630580124",
        "marketplacePaymentValue": 3025,
        "marketplacePaymentReferenceValue": 3025,
        "marketplaceServicesEndpoint": "http://skyhub.example/api/skyhubintegration/commercialcondition?an=acme",
        "clientProfileData": {
            "CorporateDocument": None,
            "CorporateName": None,
            "CorporatePhone": None,
            "Document": "14310315771",
            "DocumentType": None,
            "Email": "conta@dominio.com.br",
            "FirstName": "Nome",
            "IsCorporate": False,
            "LastName": "Sobrenome",
            "Phone": "41998718616",
            "StateInscription": None,
            "TradeName": None,
            "UserProfileId": None,
        },
        "shippingData": {
            "address": {
                "addressId": "Casa",
                "addressType": "Residencial",
                "receiverName": "Marcelo",
                "city": "Curitiba",
                "complement": None,
                "country": "BRA",
                "geoCoordinates": [],
                "neighborhood": "Novo Mundo",
                "number": "4000",
                "postalCode": "81020230",
                "reference": None,
                "state": "PR",
                "street": "Rua Eduardo Carlos Pereira",
            },
            "logisticsInfo": [
                {
                    "itemIndex": 0,
                    "price": 2050,
                    "selectedDeliveryChannel": "delivery",
                    "selectedSla": None,
                    "lockTTL": "1d",
                    "shippingEstimate": "1d",
                }
            ],
            "selectedAddresses": [
                {
                    "addressType": "Residencial",
                    "receiverName": "Henrique Vianna",
                    "addressId": "2",
                    "postalCode": "81020-235",
                    "city": "Curitiba",
                    "state": "PR",
                    "country": "BRA",
                    "street": "Rua Eduardo Carlos Pereira",
                    "number": "4125",
                    "neighborhood": "Portão",
                    "complement": "",
                    "reference": None,
                    "geoCoordinates": [-49.2892059, -25.4826319],
                }
            ],
            "isFob": False,
        },
        "customData": {
            "customApps": [
                {
                    "fields": {"orderIdMarketplace": "2630580148", "paymentIdMarketplace": "8191598627"},
                    "id": "marketplace-integration",
                    "major": 1,
                }
            ]
        },
        "openTextField": {"value": '{"Phones":["21998718616"]}'},
    }
    order.update(changes)
    return order
