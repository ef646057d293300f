"""How a seeded account's orders are laid out: what the i-th order is (`Plan`, `Facts`) and its body (`BodyTemplate`).

Every value of an order is a function of its position `i`, so each table's rows are made in
one pass without keeping the orders in memory (`bench.seed_rows`).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection

from accounts.models import Account
from authorization.decision import Band
from catalog.models import ShippingPolicy, Sku, Stock
from connectors.models import Connector
from connectors.services import Credentials
from orders.statuses import OrderStatus

from .seed_load import Computed

SPAN = timedelta(days=365)
FREIGHT_CENTS = 2050
SKUS = 25
# Statuses of the orders that no longer wait, by i % 20: mostly invoiced, as in a shop that runs.
SETTLED = (
    [OrderStatus.INVOICED] * 10
    + [OrderStatus.HANDLING] * 2
    + [OrderStatus.READY_FOR_HANDLING] * 3
    + [OrderStatus.PAYMENT_PENDING] * 2
    + [OrderStatus.CANCELED] * 3
)
MARKETPLACE_APPROVED = {OrderStatus.READY_FOR_HANDLING, OrderStatus.HANDLING, OrderStatus.INVOICED}


@dataclass(frozen=True)
class Shop:
    account: Account
    approver: object
    connectors: list[Connector]
    skus: list[Sku]
    stock: list[Stock]
    policy: ShippingPolicy
    bands: dict[str, Band]  # "authorize", "manual-a", "manual-b", "deny"
    credentials: list[Credentials]  # of each connector, in the order of `connectors`


@dataclass(slots=True)
class Facts:
    """What one order is, as a function of its position."""

    number: int  # 0-based position in the account, oldest first
    order_id: int
    intake_id: int
    connector: Connector
    status: str
    outcome: str  # no-divergence, authorize, manual
    band_key: str | None
    seller_cents: int
    paid_cents: int
    divergence: str  # "7.50"
    created_at: datetime
    marketplace_order_id: str
    main_order_id: str
    items: int


class Plan:
    """How the account's `orders` orders are laid out; `facts(i)` describes the i-th."""

    def __init__(self, shop: Shop, *, orders: int, waiting: int, first_order_id: int, first_intake_id: int):
        self.shop, self.orders, self.waiting = shop, orders, waiting
        self.first_order_id, self.first_intake_id = first_order_id, first_intake_id
        self.end = datetime.now(UTC) - timedelta(minutes=1)
        self.step = SPAN / max(orders, 1)
        self.band_json = {key: json.dumps(band.as_dict()) for key, band in shop.bands.items()}
        self.rule_json = json.dumps([band.as_dict() for band in shop.bands.values()])

    def is_waiting(self, i: int) -> bool:
        return (i + 1) * self.waiting // self.orders > i * self.waiting // self.orders

    def facts(self, i: int) -> Facts:
        connector = self.shop.connectors[i % len(self.shop.connectors)]
        if self.is_waiting(i):
            status, outcome = OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION, "manual"
        else:
            status = SETTLED[i % len(SETTLED)]
            kind = (i // 7) % 10
            outcome = "manual" if kind == 0 else "authorize" if kind <= 3 else "no-divergence"
        if outcome == "manual":
            band_key = "manual-a" if (i // 10) % 2 == 0 else "manual-b"
            percent = 750 if band_key == "manual-a" else 1250  # hundredths of a percent
        elif outcome == "authorize":
            band_key, percent = "authorize", 200
        else:
            band_key, percent = None, 0
        seller = 3025 + (i % 40) * 250
        paid = seller - seller * percent // 10000
        divergence = f"{(seller - paid) * 100 / seller:.2f}"
        marketplace_order_id = str(1_000_000_000 + i)
        return Facts(
            number=i,
            order_id=self.first_order_id + i,
            intake_id=self.first_intake_id + i,
            connector=connector,
            status=status,
            outcome=outcome,
            band_key=band_key,
            seller_cents=seller,
            paid_cents=paid,
            divergence=divergence,
            created_at=self.end - self.step * (self.orders - 1 - i),
            marketplace_order_id=marketplace_order_id,
            main_order_id=f"{connector.affiliate_id}-{marketplace_order_id}",
            items=2 if i % 3 == 0 else 1,
        )

    def all(self) -> Iterator[Facts]:
        return (self.facts(i) for i in range(self.orders))


class BodyTemplate:
    """The order body as a connector posts it, with this order's id and values filled in."""

    def __init__(self, account_name: str):
        text = json.dumps(
            {
                "marketplaceOrderId": "@ID@",
                "connectorName": "@CONNECTOR@",
                "connectorEndpoint": "https://connector.example/api/vtex",
                "marketplaceOrderStatus": "new",
                "marketplacePaymentValue": 900000001,
                "marketplaceInterestValue": 0,
                "priceDivergenceAllowanceRate": 0.05,
                "allowFranchises": False,
                "items": [{"id": "1", "price": 900000002, "quantity": 1}],
                "clientProfileData": {
                    "email": "@EMAIL@",
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
                            "price": FREIGHT_CENTS,
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
                "taxData": [],
                "openTextField": f"Benchmark order of {account_name}.",
            },
            ensure_ascii=False,
        )
        self.text = text
        self.in_python = connection.vendor != "postgresql"
        self.parts = []
        for marker in ('"@ID@"', '"@CONNECTOR@"', "900000001", "900000002", '"@EMAIL@"'):
            head, text = text.split(marker)
            self.parts.append(head)
        self.parts.append(text)

    def value(self, facts: Facts) -> str | None:
        """The body as JSON text; None on PostgreSQL, which builds it (see `order_payload`)."""
        return self.render(facts) if self.in_python else None

    def order_payload(self) -> Computed:
        """Build each order's payload in PostgreSQL from the template's binary JSON.

        Parsing a kilobyte of JSON text per row would be most of the seeding time.
        """
        return Computed(
            expressions={
                "payload": "%s::jsonb || jsonb_build_object("
                "'marketplaceOrderId', s.marketplace_order_id, "
                "'connectorName', c.name, "
                "'marketplacePaymentValue', s.paid_value_cents, "
                "'items', jsonb_build_array(jsonb_build_object("
                f"'id', '1', 'price', s.paid_value_cents - {FREIGHT_CENTS}, 'quantity', 1)), "
                "'clientProfileData', %s::jsonb || jsonb_build_object('email', s.customer_email))"
            },
            params=(self.text, json.dumps(json.loads(self.text)["clientProfileData"])),
            joins="JOIN connectors_connector c ON c.id = s.connector_id",
        )

    def intake_body(self) -> Computed:
        """A connection order's body is its order's payload, as received."""
        return Computed(expressions={"body": "o.payload"}, joins="JOIN orders_order o ON o.id = s.order_id")

    def render(self, facts: Facts) -> str:
        p = self.parts
        return (
            f'{p[0]}"{facts.marketplace_order_id}"{p[1]}"{facts.connector.name}"{p[2]}{facts.paid_cents}'
            f'{p[3]}{facts.paid_cents - FREIGHT_CENTS}{p[4]}"{customer_email(facts)}"{p[5]}'
        )


def customer_email(facts: Facts) -> str:
    return f"customer{facts.number % 5000}@example.com"
