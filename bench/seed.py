"""Seed benchmark accounts with up to millions of orders, in minutes.

The few rows an account starts with (the account, its team, connectors, catalog and rule) are
made through the services, as the app makes them. Its orders, with their items, events,
connection orders, notifications and approval tasks, are generated in Python and streamed
into each table with PostgreSQL's COPY, while the tables' secondary indexes and keys are set
aside and built again once at the end; PostgreSQL builds each order's payload from a template.
On another database (SQLite, in the smoke test of a bare `pytest`) the same rows go through
`executemany`, which is only fit for the smoke mode's few hundred orders.

Every value of an order is a function of its position `i`, so each table's rows are made in
one pass without keeping the orders in memory. Orders are spread evenly over the last year;
`waiting` of them, spread evenly too, wait for manual authorization, each in one of two manual
bands: ana and bo approve the first, bo and carl the second. bo, on both, is the approver the
benchmarks log in as: every waiting order needs their decision, so their filtered queue fills
its pages as the whole queue does. An account is named after its sizes
(`bench-1000000-100000`) and seeded once: a database kept between runs (`bench/run --keep`)
reuses it.
"""

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

from accounts.models import Account
from accounts.roles import Role
from accounts.services import account_create, membership_set, user_create
from authorization.decision import Band, BandAction
from authorization.models import ApprovalTask
from authorization.services import rule_replace
from catalog.models import ShippingPolicy, Sku, Stock, Warehouse
from connectors.models import Connector, Notification
from connectors.services import Credentials, connector_create
from orders.models import IntakeRecord, Order, OrderEvent, OrderItem
from orders.statuses import OrderStatus

SPAN = timedelta(days=365)
FREIGHT_CENTS = 2050
SKUS = 25
CONNECTORS = (  # name, type, affiliate id
    ("SkyHub", "external", "SKY"),
    ("Amazon", "native", "AMZ"),
    ("Telesales", "own-store", "TEL"),
)
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
class Seeded:
    """A seeded account and the approver who benchmarks it."""

    account: Account
    approver: object  # bo@<account>.example, an approver on both manual bands
    orders: int
    waiting: int
    seconds: float  # time spent seeding; 0 when a kept database already held the account
    reused: bool


def account_name(*, orders: int, waiting: int) -> str:
    return f"bench-{orders}-{waiting}"


def approver_email(account_name: str, who: str = "bo") -> str:
    return f"{who}@{account_name}.example"


def seed_account(
    *,
    orders: int,
    waiting: int,
    progress: Callable[[str], None] = lambda line: None,
    name: str | None = None,
    endpoint: str | None = None,
) -> Seeded:
    """Return the account with `orders` orders of which `waiting` wait; seed it unless it exists.

    `name` replaces the name made of the sizes; `endpoint`, the connectors' made-up endpoints
    (for a benchmark whose workers notify a receiver on 127.0.0.1).
    """
    if not 0 <= waiting <= orders:
        raise ValueError(f"waiting ({waiting}) must be between 0 and orders ({orders})")
    name = name or account_name(orders=orders, waiting=waiting)
    existing = Account.objects.filter(name=name).first()
    if existing is not None:
        approver = existing.memberships.get(user__email=approver_email(name)).user
        return Seeded(existing, approver, orders, waiting, 0.0, reused=True)

    started = time.perf_counter()
    progress(f"seeding {name}: {orders:,} orders, {waiting:,} waiting")
    with transaction.atomic():
        shop = _shop(name, endpoint=endpoint)
        _orders(shop, orders=orders, waiting=waiting, progress=progress)
    _analyze(progress)
    seconds = time.perf_counter() - started
    progress(f"seeded {name} in {seconds:.1f} s")
    return Seeded(shop.account, shop.approver, orders, waiting, seconds, reused=False)


# The account, its team, connectors, catalog and rule: through the services ---------------------


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


def seed_shop(*, name: str, endpoint: str) -> Shop:
    """An account with no orders, its connectors notifying `endpoint`: for benchmarks that post orders."""
    with transaction.atomic():
        return _shop(name, endpoint=endpoint)


def _shop(name: str, *, endpoint: str | None = None) -> Shop:
    account = account_create(name=name)
    team = {}
    for who, role in (
        ("owner", Role.OWNER),
        ("ana", Role.APPROVER),
        ("bo", Role.APPROVER),
        ("carl", Role.APPROVER),
    ):
        # No password: benchmarks log in with force_login, and hashing one costs a second.
        team[who] = user_create(email=approver_email(name, who), password=None)
        membership_set(user=team[who], account=account, role=role)
    made = [
        connector_create(
            account=account,
            name=connector_name,
            type=kind,
            affiliate_id=affiliate_id,
            endpoint=endpoint or f"https://{affiliate_id.lower()}.connector.example/api/vtex",
        )
        for connector_name, kind, affiliate_id in CONNECTORS
    ]
    connectors = [connector for connector, _ in made]
    warehouse = Warehouse.objects.create(account=account, warehouse_id="WH1", name="Main warehouse")
    skus = Sku.objects.bulk_create(
        Sku(
            account=account,
            sku_id=str(n + 1),
            name=f"Product {n + 1}",
            price_cents=975 + 100 * n,
            sales_channels=["1"],
        )
        for n in range(SKUS)
    )
    stock = Stock.objects.bulk_create(
        Stock(account=account, sku=sku, warehouse=warehouse, quantity=1_000_000_000) for sku in skus
    )
    policy = ShippingPolicy.objects.create(
        account=account,
        policy_id="Express",
        delivery_channel="delivery",
        freight_cents=FREIGHT_CENTS,
        estimate="2d",
    )
    policy.warehouses.add(warehouse)
    emails = {who: user.email for who, user in team.items()}
    bands = {
        "authorize": _band(0, 5, "authorize"),
        "manual-a": _band(5, 10, "manual", (emails["ana"], emails["bo"])),
        "manual-b": _band(10, 20, "manual", (emails["bo"], emails["carl"])),
        "deny": _band(20, 100, "deny"),
    }
    rule_replace(account=account, bands=list(bands.values()), actor=team["owner"])
    return Shop(account, team["bo"], connectors, skus, stock, policy, bands, [key for _, key in made])


def _band(lower, upper, action, approvers=()) -> Band:
    return Band(Decimal(lower), Decimal(upper), BandAction(action), tuple(approvers), 240)


# The orders and what hangs off them: generated, then streamed ------------------------------------


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


def _orders(shop: Shop, *, orders: int, waiting: int, progress) -> None:
    plan = Plan(
        shop,
        orders=orders,
        waiting=waiting,
        first_order_id=_next_id(Order),
        first_intake_id=_next_id(IntakeRecord),
    )
    body = _BodyTemplate(shop.account.name)
    with _bulk_mode(SEEDED_MODELS, progress):
        _load_all(plan, body, progress)
    _reset_sequence(Order)
    _reset_sequence(IntakeRecord)


def _load_all(plan: Plan, body: "_BodyTemplate", progress) -> None:
    _load(
        Order,
        ORDER_FIELDS,
        (_order_row(plan, facts, body) for facts in plan.all()),
        progress,
        computed=body.order_payload(),
    )
    _load(OrderItem, ITEM_FIELDS, (row for facts in plan.all() for row in _item_rows(plan, facts)), progress)
    _load(
        OrderEvent, EVENT_FIELDS, (row for facts in plan.all() for row in _event_rows(plan, facts)), progress
    )
    _load(
        IntakeRecord,
        INTAKE_FIELDS,
        (_intake_row(plan, facts, body) for facts in plan.all()),
        progress,
        computed=body.intake_body(),
    )
    _load(
        Notification, NOTIFICATION_FIELDS, (_notification_row(plan, facts) for facts in plan.all()), progress
    )
    _load(
        ApprovalTask,
        TASK_FIELDS,
        (_task_row(plan, facts) for facts in plan.all() if facts.outcome == "manual"),
        progress,
    )


class _BodyTemplate:
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

    def order_payload(self) -> "Computed":
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

    def intake_body(self) -> "Computed":
        """A connection order's body is its order's payload, as received."""
        return Computed(expressions={"body": "o.payload"}, joins="JOIN orders_order o ON o.id = s.order_id")

    def render(self, facts: Facts) -> str:
        p = self.parts
        return (
            f'{p[0]}"{facts.marketplace_order_id}"{p[1]}"{facts.connector.name}"{p[2]}{facts.paid_cents}'
            f'{p[3]}{facts.paid_cents - FREIGHT_CENTS}{p[4]}"{_customer(facts)}"{p[5]}'
        )


def _customer(facts: Facts) -> str:
    return f"customer{facts.number % 5000}@example.com"


ORDER_FIELDS = [
    "id",
    "account",
    "connector",
    "marketplace_order_id",
    "main_order_id",
    "franchise_order_id",
    "status",
    "marketplace_approved",
    "payload",
    "payment_value_cents",
    "interest_cents",
    "tax_cents",
    "marketplace_freight_cents",
    "paid_value_cents",
    "seller_value_cents",
    "divergence_percent",
    "allowance_rate",
    "outcome",
    "decision_route",
    "decision_reason",
    "band",
    "rule_snapshot",
    "customer_email",
    "customer_name",
    "reservation_expires_at",
    "reservation_released_at",
    "reservation_expired",
    "created_at",
    "updated_at",
]


def _order_row(plan: Plan, facts: Facts, body: _BodyTemplate) -> tuple:
    settled = facts.status in (OrderStatus.INVOICED, OrderStatus.CANCELED)
    reason = {"manual": "band", "authorize": "band", "no-divergence": "no-divergence"}
    return (
        facts.order_id,
        plan.shop.account.pk,
        facts.connector.pk,
        facts.marketplace_order_id,
        facts.main_order_id,
        "",
        facts.status,
        facts.status in MARKETPLACE_APPROVED,
        body.value(facts),
        facts.paid_cents,
        0,
        0,
        0,
        facts.paid_cents,
        facts.seller_cents,
        facts.divergence,
        "0.0500",
        facts.outcome,
        "rule",
        reason[facts.outcome],
        plan.band_json[facts.band_key] if facts.band_key else "null",
        plan.rule_json,
        _customer(facts),
        "John Doe",
        facts.created_at + timedelta(days=1),
        facts.created_at + timedelta(hours=6) if settled else None,
        False,
        facts.created_at,
        facts.created_at + timedelta(hours=6) if settled else facts.created_at,
    )


ITEM_FIELDS = [
    "order",
    "index",
    "catalog_sku",
    "sku_id",
    "name",
    "quantity",
    "price_cents",
    "seller_price_cents",
    "freight_cents",
    "seller_freight_cents",
    "delivery_channel",
    "sla",
    "shipping_policy",
    "stock",
    "reserved_quantity",
    "divergence_percent",
]


def _item_rows(plan: Plan, facts: Facts) -> Iterator[tuple]:
    shop = plan.shop
    second = 1000 if facts.items == 2 else 0  # a second line sold at the seller's price
    lines = [
        (
            facts.paid_cents - FREIGHT_CENTS - second,
            facts.seller_cents - FREIGHT_CENTS - second,
            facts.divergence,
        )
    ]
    if second:
        lines.append((second, second, "0.00"))
    for index, (price, seller_price, divergence) in enumerate(lines):
        position = (facts.number + index) % SKUS
        yield (
            facts.order_id,
            index,
            shop.skus[position].pk,
            shop.skus[position].sku_id,
            shop.skus[position].name,
            1,
            price,
            seller_price,
            FREIGHT_CENTS if index == 0 else 0,
            FREIGHT_CENTS if index == 0 else 0,
            "delivery",
            "Express",
            shop.policy.pk,
            shop.stock[position].pk,
            1,
            divergence,
        )


EVENT_FIELDS = ["order", "kind", "from_status", "to_status", "actor_label", "note", "data", "created_at"]


def _event_rows(plan: Plan, facts: Facts) -> Iterator[tuple]:
    connector = facts.connector
    initial = (
        facts.status
        if facts.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
        else OrderStatus.READY_FOR_HANDLING
        if facts.status in MARKETPLACE_APPROVED
        else OrderStatus.PAYMENT_PENDING
    )
    yield (
        facts.order_id,
        OrderEvent.Kind.CREATED,
        "",
        initial,
        f"connector {connector.name} ({connector.affiliate_id})",
        f"Integrated from {connector.name}: paid {facts.paid_cents}, seller value {facts.seller_cents}, "
        f"divergence {facts.divergence} %.",
        "{}",
        facts.created_at,
    )
    band = plan.shop.bands.get(facts.band_key) if facts.band_key else None
    note = (
        f"{facts.outcome} by the band {band.lower_percent:.2f}–{band.upper_percent:.2f} % (rule)."
        if band
        else f"{facts.outcome} (rule, no-divergence)."
    )
    yield (
        facts.order_id,
        OrderEvent.Kind.DECISION,
        "",
        "",
        "system",
        note,
        json.dumps({"route": "rule", "outcome": facts.outcome, "divergencePercent": facts.divergence}),
        facts.created_at + timedelta(milliseconds=1),
    )
    if facts.status != initial:
        yield (
            facts.order_id,
            OrderEvent.Kind.STATUS,
            initial,
            facts.status,
            "system",
            "",
            "{}",
            facts.created_at + timedelta(hours=6),
        )


INTAKE_FIELDS = [
    "id",
    "account",
    "connector",
    "flow",
    "marketplace_order_id",
    "body",
    "body_digest",
    "status",
    "code",
    "errors",
    "held_reason",
    "held_until_rule",
    "operation_id",
    "order",
    "ignore_divergence",
    "attempts",
    "last_error",
    "received_at",
    "processed_at",
]


def _intake_row(plan: Plan, facts: Facts, body: _BodyTemplate) -> tuple:
    return (
        facts.intake_id,
        plan.shop.account.pk,
        facts.connector.pk,
        "PlaceOrder",
        facts.marketplace_order_id,
        body.value(facts),
        hashlib.sha256(facts.main_order_id.encode()).hexdigest(),
        "integrated",
        "SOI001",
        "[]",
        "",
        False,
        uuid.uuid4(),
        facts.order_id,
        False,
        1,
        "",
        facts.created_at - timedelta(milliseconds=200),
        facts.created_at,
    )


NOTIFICATION_FIELDS = [
    "account",
    "connector",
    "order",
    "intake",
    "marketplace_order_id",
    "flow",
    "code",
    "body",
    "url",
    "idempotency_key",
    "state",
    "attempt_count",
    "next_attempt_at",
    "last_status",
    "last_error",
    "created_at",
    "delivered_at",
]


def _notification_row(plan: Plan, facts: Facts) -> tuple:
    account = plan.shop.account.name
    body = json.dumps(
        {
            "marketplaceOrderId": facts.marketplace_order_id,
            "accountName": account,
            "code": "SOI001",
            "flow": "PlaceOrder",
            "success": True,
            "operationId": None,
            "errors": None,
            "fields": {"mainOrderId": facts.main_order_id, "franchiseOrderId": None},
            "message": "Order integrated successfully",
        }
    )
    return (
        plan.shop.account.pk,
        facts.connector.pk,
        facts.order_id,
        facts.intake_id,
        facts.marketplace_order_id,
        "PlaceOrder",
        "SOI001",
        body,
        f"{facts.connector.endpoint}/order-integration/notification/processing-result?an={account}",
        uuid.uuid4(),
        Notification.State.DELIVERED,
        1,
        facts.created_at,
        200,
        "",
        facts.created_at,
        facts.created_at + timedelta(milliseconds=300),
    )


TASK_FIELDS = [
    "order",
    "account",
    "approvers",
    "escalate_after_minutes",
    "level",
    "notified",
    "next_notification_at",
    "decision",
    "decided_at",
    "reason_code",
    "note",
    "created_at",
]


def _task_row(plan: Plan, facts: Facts) -> tuple:
    band = plan.shop.bands[facts.band_key]
    first = {"level": 0, "email": band.approvers[0], "kind": "first", "at": facts.created_at.isoformat()}
    waiting = facts.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
    if waiting:
        decision, decided_at = "", None
    else:
        decided_at = facts.created_at + timedelta(hours=1)
        decision = "denied" if facts.status == OrderStatus.CANCELED else "approved"
    return (
        facts.order_id,
        plan.shop.account.pk,
        json.dumps(list(band.approvers)),
        band.escalate_after_minutes,
        0,
        json.dumps([first]),
        facts.created_at + timedelta(minutes=band.escalate_after_minutes) if waiting else None,
        decision,
        decided_at,
        "price-error" if decision == "denied" else "",
        "Price checked." if decision else "",
        facts.created_at,
    )


# Loading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    """Columns PostgreSQL computes from the others (`s.` a row, plus `joins`) instead of reading them."""

    expressions: dict[str, str]
    params: tuple = ()
    joins: str = ""


def _load(
    model, field_names: list[str], rows: Iterable[tuple], progress, computed: Computed | None = None
) -> int:
    """Insert `rows` (values in `field_names` order; JSON as text) into the model's table.

    A column this file does not know yet (a field added later) gets the field's default, so
    a new field with a default does not break seeding; one without a default is named. On
    PostgreSQL the `computed` columns are left out of the rows, which go through a temporary
    table, and are computed on the way in.
    """
    started = time.perf_counter()
    fields = [model._meta.get_field(name) for name in field_names]
    fill = [field for field in model._meta.concrete_fields if field not in fields and not field.primary_key]
    defaults = [_default_of(model, field) for field in fill]
    if fill:
        rows = (row + tuple(default() for default in defaults) for row in rows)
    fields += fill
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and computed:
            count = _copy_computed(cursor, table, fields, rows, computed)
        elif connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            prepare = [
                (lambda value: value)
                if field.get_internal_type() == "JSONField"
                else (lambda value, field=field: field.get_db_prep_save(value, connection))
                for field in fields
            ]
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
            batch = []
            for row in rows:
                batch.append([convert(value) for convert, value in zip(prepare, row, strict=True)])
                if len(batch) == 500:
                    cursor.executemany(sql, batch)
                    count, batch = count + len(batch), []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    progress(f"  {model._meta.db_table}: {count:,} rows in {time.perf_counter() - started:.1f} s")
    return count


def _copy_computed(cursor, table: str, fields, rows: Iterable[tuple], computed: Computed) -> int:
    quote = connection.ops.quote_name
    keep = [position for position, field in enumerate(fields) if field.name not in computed.expressions]
    staged = ", ".join(quote(fields[position].column) for position in keep)
    cursor.execute(
        f"CREATE TEMPORARY TABLE bench_stage ON COMMIT DROP AS SELECT {staged} FROM {table} WITH NO DATA"
    )
    count = 0
    with cursor.cursor.copy(f"COPY bench_stage ({staged}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[position] for position in keep))
            count += 1
    values = ", ".join(computed.expressions.get(field.name) or f"s.{quote(field.column)}" for field in fields)
    columns = ", ".join(quote(field.column) for field in fields)
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {values} FROM bench_stage s {computed.joins}",
        computed.params,
    )
    cursor.execute("DROP TABLE bench_stage")
    return count


def _default_of(model, field) -> Callable[[], object]:
    """Return a function giving the value of a column the rows leave out."""
    if field.has_default():
        if field.get_internal_type() == "JSONField":
            return lambda: json.dumps(field.get_default())
        return field.get_default
    if field.null:
        return lambda: None
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: datetime.now(UTC)
    if field.blank and field.get_internal_type() in ("CharField", "TextField"):
        return lambda: ""
    raise RuntimeError(
        f"bench/seed.py gives no value to {model._meta.db_table}.{field.column}, which has no default: add it."
    )


@contextmanager
def _bulk_mode(models, progress):
    """Load without secondary indexes and constraints, then build them again, on PostgreSQL.

    Building an index from a million rows at once is many times faster than updating it a
    million times, and a foreign key added at the end is checked by one join instead of a
    deferred check per row at commit. It all happens in the seeding transaction: whatever
    fails, the tables keep their indexes and constraints.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # Check the rows written so far in this transaction now: a table with checks still
        # pending cannot gain a foreign key pointing at it.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
            ORDER BY contype DESC, conrelid::regclass::text, conname
            """,
            [tables],
        )
        constraints = cursor.fetchall()  # unique ones first, so foreign keys can be added after
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _, _ in reversed(constraints):
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, _, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django's keys are
    progress(
        f"  {len(indexes)} indexes, {len(constraints)} keys and unique constraints built again "
        f"in {time.perf_counter() - started:.1f} s"
    )


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(model._meta.db_table)}"
        )
        return cursor.fetchone()[0]


def _reset_sequence(model) -> None:
    """Move the id sequence past the ids given explicitly (SQLite follows by itself)."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {connection.ops.quote_name(table)}))",
            [table],
        )


SEEDED_MODELS = (Order, OrderItem, OrderEvent, IntakeRecord, Notification, ApprovalTask)


def _analyze(progress) -> None:
    """Give the planner fresh statistics, and set the visibility map as autovacuum would have."""
    if connection.vendor != "postgresql":
        return
    started = time.perf_counter()
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in SEEDED_MODELS)
    with connection.cursor() as cursor:
        # VACUUM cannot run in a transaction (the smoke test's); ANALYZE alone can.
        cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM (ANALYZE)'} {tables}")
    progress(f"  vacuum and analyze: {time.perf_counter() - started:.1f} s")
