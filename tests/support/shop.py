"""The example seller of the contract: its catalog, stock, shipping policy and connector."""

from dataclasses import dataclass

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


def make_shop(account, endpoint, **connector_fields) -> Shop:
    """The seller of the contract's example: SKU 1 at 975, Express freight 2050, ten in stock;
    its connector SkyHub (MKP) notifying `endpoint`, or as `connector_fields` say."""
    warehouse = WarehouseFactory(account=account, warehouse_id="WH1")
    sku = SkuFactory(account=account, sku_id="1", price_cents=975, name="Shirt")
    stock = StockFactory(sku=sku, warehouse=warehouse, quantity=10)
    policy = ShippingPolicyFactory(account=account, policy_id="Express", freight_cents=2050, estimate="2d")
    policy.warehouses.add(warehouse)
    marketplace, credentials = connector(account, endpoint=endpoint, **{"name": "SkyHub", **connector_fields})
    return Shop(account, marketplace, credentials, sku, stock, warehouse, policy)


def reserved(shop: Shop) -> int:
    """The units of the shop's SKU 1 its orders hold now, as the database has them."""
    shop.stock.refresh_from_db()
    return shop.stock.reserved
