"""The endpoints that take a body, each with the credentials it wants: the bad-input tests walk them all."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: str
    seller: bool = False  # the seller API (a user's token) rather than a connector's credentials

    @property
    def path(self) -> str:
        return self.url.split("?")[0]


ENDPOINTS = [
    Endpoint("place order", "post", "/api/order-integration/orders?an=acme"),
    Endpoint("approve order", "put", "/api/order-integration/orders/status?an=acme"),
    Endpoint("simulation", "post", "/api/checkout/pub/orderForms/simulation?affiliateId=MKP"),
    Endpoint("place fulfillment order", "post", "/api/fulfillment/pvt/orders?affiliateId=MKP"),
    Endpoint(
        "authorize dispatch", "post", "/api/fulfillment/pvt/orders/MKP-123456789/fulfill?affiliateId=MKP"
    ),
    Endpoint("cancel", "post", "/api/oms/pvt/orders/MKP-123456789/cancel"),
    Endpoint("invoice", "post", "/api/oms/pvt/orders/MKP-123456789/invoice"),
    Endpoint("feed config", "post", "/api/orders/feed/config"),
    Endpoint("feed commit", "post", "/api/orders/feed"),
    Endpoint("hook config", "post", "/api/orders/hook/config"),
    Endpoint("rule", "put", "/api/authorization/price-divergence-rule?an=acme", seller=True),
    Endpoint("skus", "put", "/api/catalog/skus?an=acme", seller=True),
    Endpoint("shipping policies", "put", "/api/catalog/shipping-policies?an=acme", seller=True),
    Endpoint("pickup points", "put", "/api/catalog/pickup-points?an=acme", seller=True),
    Endpoint("approve", "post", "/api/orders/MKP-123456789/approve?an=acme", seller=True),
    Endpoint("deny", "post", "/api/orders/MKP-123456789/deny?an=acme", seller=True),
    Endpoint("account settings", "patch", "/api/account?an=acme", seller=True),
]
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}
