"""A Black Friday mix of orders: most plain, some divergent, held, denied, franchise, pickup point.

`mix_prepare(shop)` gives a benchmark shop what the mix needs (a franchise account with stock
and a pickup point with its policy), and `MixedBodies` is `OrderBodies` whose i-th order is of
the kind `KINDS` places at i, spread so that any run of a hundred orders has the whole mix:

- 60 % no divergence, 15 % within the authorize band (3 % underpaid),
- 15 % held for approval (7 % underpaid: the first manual band), 5 % denied (30 % underpaid),
- 3 % fulfilled by a franchise (`pickupAccountName`), 2 % collected at a pickup point.

The shop's rule is `bench.seed`'s: authorize 0–5 %, manual 5–10 % and 10–20 %, deny above.
"""

import copy
import json

from accounts.services import account_create
from catalog.models import PickupPoint, ShippingPolicy, Sku, Stock, Warehouse

from .load import OrderBodies
from .seed import FREIGHT_CENTS, Shop

MIX = {
    "plain": 60,
    "authorized": 15,
    "held": 15,
    "denied": 5,
    "franchise": 3,
    "pickup": 2,
}
UNDERPAID_PERCENT = {"authorized": 3, "held": 7, "denied": 30}
POINT_ID = "BENCHPP1"

# Kind of the i-th order of each hundred: the mix, interleaved by a stride prime to 100.
_ORDERED = [kind for kind, share in MIX.items() for _ in range(share)]
KINDS = [_ORDERED[(position * 37) % 100] for position in range(100)]


def kind_of(i: int) -> str:
    return KINDS[i % 100]


def expected(count: int, kind: str) -> int:
    """How many of orders 0 … count − 1 are of `kind`."""
    return sum(1 for i in range(count) if kind_of(i) == kind)


def franchise_name(shop: Shop) -> str:
    return f"{shop.account.name}-fr"[:60]


def mix_prepare(shop: Shop) -> None:
    """Add the franchise account and the pickup point that the mix's orders use."""
    account = shop.account
    franchise = account_create(name=franchise_name(shop), parent=account, order_prefix="FR")
    warehouse = Warehouse.objects.create(account=franchise, warehouse_id="FRWH", name="Franchise warehouse")
    skus = Sku.objects.bulk_create(
        Sku(
            account=franchise,
            sku_id=sku.sku_id,
            name=sku.name,
            price_cents=sku.price_cents,
            sales_channels=["1"],
        )
        for sku in shop.skus
    )
    Stock.objects.bulk_create(
        Stock(account=franchise, sku=sku, warehouse=warehouse, quantity=1_000_000_000) for sku in skus
    )
    ShippingPolicy.objects.create(
        account=franchise,
        policy_id="Express",
        delivery_channel="delivery",
        freight_cents=FREIGHT_CENTS,
        estimate="2d",
    ).warehouses.add(warehouse)
    point = PickupPoint.objects.create(
        account=account,
        point_id=POINT_ID,
        name="Bench pickup point",
        warehouse=shop.policy.warehouses.get(),
        latitude=-25.48,
        longitude=-49.28,
    )
    ShippingPolicy.objects.create(
        account=account,
        policy_id="Pickup",
        delivery_channel="pickup-in-point",
        freight_cents=0,
        estimate="1d",
    ).pickup_points.add(point)


class MixedBodies(OrderBodies):
    """`OrderBodies` of the mix: the i-th order is of kind `kind_of(i)`."""

    def __init__(self, *, prefix: str, franchise: str):
        super().__init__(prefix=prefix)
        from tests.orders.payloads import EXAMPLE_ORDER

        self.example = EXAMPLE_ORDER
        self.franchise = franchise

    def body(self, i: int) -> dict:
        body = copy.deepcopy(self.example)
        body["marketplaceOrderId"] = self.order_id(i)
        kind = kind_of(i)
        price = body["items"][0]["price"]
        seller_value = price + FREIGHT_CENTS
        if kind in UNDERPAID_PERCENT:
            body["priceDivergenceAllowanceRate"] = 0
            body["marketplacePaymentValue"] = seller_value * (100 - UNDERPAID_PERCENT[kind]) // 100
        elif kind == "franchise":
            body["allowFranchises"] = True
            body["pickupAccountName"] = self.franchise
        elif kind == "pickup":
            body["marketplacePaymentValue"] = price
            body["shippingData"]["logisticsInfo"][0].update(
                selectedDeliveryChannel="pickup-in-point", selectedSla="", price=0
            )
            body["shippingData"]["selectedAddresses"][0].update(
                addressType="pickup",
                addressId=POINT_ID,
                geoCoordinates={"latitude": -25.48, "longitude": -49.28},
            )
        return body

    def __call__(self, i: int) -> bytes:
        return json.dumps(self.body(i), separators=(",", ":"), ensure_ascii=False).encode()
