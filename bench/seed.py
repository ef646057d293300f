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

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import Account
from accounts.roles import Role
from accounts.services import account_create, membership_set, user_create
from authorization.decision import Band, BandAction
from authorization.services import rule_replace
from catalog.models import ShippingPolicy, Sku, Stock, Warehouse
from connectors.services import connector_create
from orders.models import IntakeRecord, Order

from .seed_load import SEEDED_MODELS, analyze, bulk_mode, next_id, reset_sequence
from .seed_plan import FREIGHT_CENTS, SKUS, BodyTemplate, Plan, Shop
from .seed_rows import load_all

CONNECTORS = (  # name, type, affiliate id
    ("SkyHub", "external", "SKY"),
    ("Amazon", "native", "AMZ"),
    ("Telesales", "own-store", "TEL"),
)


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
    analyze(progress)
    seconds = time.perf_counter() - started
    progress(f"seeded {name} in {seconds:.1f} s")
    return Seeded(shop.account, shop.approver, orders, waiting, seconds, reused=False)


# The account, its team, connectors, catalog and rule: through the services ---------------------


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


def _orders(shop: Shop, *, orders: int, waiting: int, progress) -> None:
    plan = Plan(
        shop,
        orders=orders,
        waiting=waiting,
        first_order_id=next_id(Order),
        first_intake_id=next_id(IntakeRecord),
    )
    body = BodyTemplate(shop.account.name)
    with bulk_mode(SEEDED_MODELS, progress):
        load_all(plan, body, progress)
    reset_sequence(Order)
    reset_sequence(IntakeRecord)
