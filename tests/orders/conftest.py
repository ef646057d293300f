import json
from dataclasses import dataclass

import pytest

from tests.factories import ShippingPolicyFactory, SkuFactory, StockFactory, WarehouseFactory, connector


@dataclass
class Shop:
    account: object
    connector: object
    credentials: object
    sku: object
    stock: object
    warehouse: object
    policy: object


class ConnectorClient:
    """A connector calling the order integration API; tasks run as the transaction commits."""

    def __init__(self, client, credentials, capture):
        self.client, self.credentials, self.capture = client, credentials, capture

    def headers(self):
        return {
            "HTTP_X_VTEX_API_APPKEY": self.credentials.app_key,
            "HTTP_X_VTEX_API_APPTOKEN": self.credentials.app_token,
        }

    def place(self, body, an="acme", raw=None, content_type="application/json", **extra):
        with self.capture(execute=True):
            return self.client.post(
                f"/api/order-integration/orders?an={an}&affiliateId=MKP",
                data=raw if raw is not None else json.dumps(body),
                content_type=content_type,
                **{**self.headers(), **extra},
            )

    def approve(self, marketplace_order_id, an="acme", status="approved"):
        with self.capture(execute=True):
            return self.client.put(
                f"/api/order-integration/orders/status?an={an}",
                data=json.dumps(
                    {"marketplaceOrderId": marketplace_order_id, "marketplaceOrderStatus": status}
                ),
                content_type="application/json",
                **self.headers(),
            )


@pytest.fixture
def shop(account, connector_server, eager_tasks):
    """The seller of the contract's example: SKU 1 at 975, Express freight 2050, ten in stock."""
    warehouse = WarehouseFactory(account=account, warehouse_id="WH1")
    sku = SkuFactory(account=account, sku_id="1", price_cents=975, name="Shirt")
    stock = StockFactory(sku=sku, warehouse=warehouse, quantity=10)
    policy = ShippingPolicyFactory(account=account, policy_id="Express", freight_cents=2050, estimate="2d")
    policy.warehouses.add(warehouse)
    marketplace, credentials = connector(account, endpoint=connector_server.url, name="SkyHub")
    return Shop(account, marketplace, credentials, sku, stock, warehouse, policy)


@pytest.fixture
def mkp(client, shop, django_capture_on_commit_callbacks):
    return ConnectorClient(client, shop.credentials, django_capture_on_commit_callbacks)
