"""Processing reads an account, its connectors, rule and shipping policies once a change of them,
not once a batch: every write to them, whoever makes it, moves the account's settings version,
and an order processed after a change is decided (and notified) by the change."""

import os
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from accounts.settings_version import settings_version
from authorization.models import PriceDivergenceRule
from catalog.models import PickupPoint, ShippingPolicy
from connectors.models import Connector, FeedConfig, HookConfig, Notification
from orders.intake import account_settings
from orders.intake.account_settings import account_settings_read
from orders.intake.pipeline import intakes_process
from orders.models import Order
from tests.factories import (
    AccountFactory,
    PickupPointFactory,
    ShippingPolicyFactory,
    SkuFactory,
    StockFactory,
    WarehouseFactory,
    band,
    connector,
)
from tests.support.orders import ANA, HELD, held_bands, outcome, receive, rule_set

pytestmark = pytest.mark.usefixtures("postgresql_only")


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("The settings version is kept by PostgreSQL's triggers; elsewhere nothing is kept.")


def moves(account, write) -> bool:
    before = settings_version(account.pk)
    write()
    return settings_version(account.pk) != before


def test_every_write_to_what_processing_keeps_moves_the_account_version(shop, owner, approver):
    account, other = shop.account, AccountFactory()
    policy, spare = shop.policy, WarehouseFactory(account=account, warehouse_id="spare")
    connectors = Connector.objects.filter(pk=shop.connector.pk)
    writes = {
        "the account changed in bulk": lambda: Account.objects.filter(pk=account.pk).update(
            email_decisions=False
        ),
        "a connector added": lambda: connector(account, name="Second", affiliate_id="SEC"),
        "a connector's endpoint changed in bulk": lambda: connectors.update(
            endpoint="https://new.example/vtex"
        ),
        "a feed set up": lambda: FeedConfig.objects.create(
            account=account, connector=shop.connector, statuses=["canceled"]
        ),
        "a feed changed in bulk": lambda: FeedConfig.objects.filter(account=account).update(statuses=[]),
        "a hook set up": lambda: HookConfig.objects.create(
            account=account, connector=shop.connector, statuses=["canceled"], url="https://hook.example/"
        ),
        "a hook deleted": lambda: HookConfig.objects.filter(account=account).delete(),
        "a franchise added": lambda: AccountFactory(name="acme-franchise", parent=account),
        "a franchise renamed in bulk": lambda: Account.objects.filter(parent=account).update(
            name="acme-franchise-2"
        ),
        "a franchise let go": lambda: Account.objects.filter(parent=account).update(parent=None),
        "a pickup point added": lambda: PickupPointFactory(
            account=account, point_id="P1", warehouse=shop.warehouse
        ),
        "a pickup point put on a policy": lambda: policy.pickup_points.add(
            *PickupPoint.objects.filter(account=account)
        ),
        "a pickup point moved in bulk": lambda: PickupPoint.objects.filter(account=account).update(
            city="Recife"
        ),
        "a policy's pickup points cleared": lambda: policy.pickup_points.clear(),
        "the rule saved": lambda: rule_set(account, held_bands([ANA])),
        "the rule saved again, its bands replaced": lambda: rule_set(account, [band(0, 100, "authorize")]),
        "a band changed in bulk": lambda: PriceDivergenceRule.objects.get(account=account).bands.update(
            action="deny"
        ),
        "a policy added": lambda: ShippingPolicyFactory(account=account, policy_id="Normal"),
        "a policy changed in bulk": lambda: ShippingPolicy.objects.filter(pk=policy.pk).update(active=False),
        "a warehouse taken off a policy": lambda: policy.warehouses.remove(shop.warehouse),
        "a warehouse put on a policy": lambda: policy.warehouses.add(shop.warehouse, spare),
        "a warehouse of a policy deleted": lambda: spare.delete(),
        "a policy's warehouses cleared": lambda: policy.warehouses.clear(),
        "a policy deleted": lambda: ShippingPolicy.objects.filter(
            account=account, policy_id="Normal"
        ).delete(),
        "the rule deleted": lambda: PriceDivergenceRule.objects.filter(account=account).delete(),
    }
    other_before = settings_version(other.pk)
    assert [what for what, write in writes.items() if not moves(account, write)] == []
    assert settings_version(other.pk) == other_before


def _tables(sql: str) -> set[str]:
    return set(re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', sql))


def test_what_processing_keeps_is_read_only_from_tables_that_move_the_version(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))
    with CaptureQueriesContext(connection) as queries:
        account_settings_read(shop.account.pk)
    read = set().union(*(_tables(query["sql"]) for query in queries.captured_queries))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = event_object_table || '_settings_changed'"
        )
        kept = {row[0] for row in cursor.fetchall()}
    assert read and read <= kept, f"read without a trigger moving the version: {sorted(read - kept)}"


def test_an_order_processed_after_a_change_is_decided_by_the_change(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))
    receive(shop, marketplaceOrderId="before", marketplacePaymentValue=HELD)
    intakes_process(limit=10)

    rule_set(shop.account, [band(0, 100, "authorize")])
    receive(shop, marketplaceOrderId="rule-changed", marketplacePaymentValue=HELD)
    intakes_process(limit=10)

    ShippingPolicy.objects.filter(pk=shop.policy.pk).update(active=False)
    receive(shop, marketplaceOrderId="policy-off")
    intakes_process(limit=10)

    Connector.objects.filter(pk=shop.connector.pk).update(endpoint="https://moved.example/vtex")
    receive(shop, marketplaceOrderId="connector-moved")
    intakes_process(limit=10)

    assert [outcome(name) for name in ("before", "rule-changed", "policy-off")] == [
        (("integrated", "SOI001", "waiting-for-manual-authorization"),),
        (("integrated", "SOI001", "payment-pending"),),
        (("rejected", "EOI002", None),),  # no active policy reaches its stock
    ]
    notified = Notification.objects.get(marketplace_order_id="connector-moved")
    assert notified.url.startswith("https://moved.example/vtex/")


def test_an_unchanged_account_is_not_read_again(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))
    receive(shop, marketplaceOrderId="first")
    intakes_process(limit=10)
    receive(shop, marketplaceOrderId="second")
    with CaptureQueriesContext(connection) as queries:
        intakes_process(limit=10)
    read = set().union(*(_tables(query["sql"]) for query in queries.captured_queries))
    assert not read & {
        "authorization_account",
        "connectors_connector",
        "catalog_shippingpolicy",
        "authorization_pricedivergencerule",
    }
    assert outcome("second") == (("integrated", "SOI001", "payment-pending"),)


def test_a_forked_process_keeps_nothing_of_its_parent(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))
    receive(shop, marketplaceOrderId="first")
    intakes_process(limit=10)
    assert account_settings._kept  # the parent keeps what it read
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a worker of a prefork pool, or a mutant's test process
        os.write(write, str(len(account_settings._kept)).encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"0"


def test_what_is_kept_carries_nothing_read_through_it_later(shop, owner, approver):
    """A related row read through a kept object would be kept with it, and no trigger moves the
    version for it: processing every kind of submission reads nothing through them."""
    rule_set(shop.account, held_bands([ANA]))
    FeedConfig.objects.create(account=shop.account, connector=shop.connector, statuses=["canceled"])
    HookConfig.objects.create(
        account=shop.account, connector=shop.connector, statuses=["canceled"], url="https://hook.example/"
    )
    for name, paid in (("none", None), ("held", HELD), ("denied", 1)):
        receive(shop, marketplaceOrderId=name, **({} if paid is None else {"marketplacePaymentValue": paid}))
    receive(shop, marketplaceOrderId="none")  # a duplicate
    intakes_process(limit=10)

    _, kept = account_settings._kept[shop.account.pk]
    assert outcome("held")[0][2] == "waiting-for-manual-authorization"
    assert outcome("denied")[0][:2] == ("rejected", "EOI003")
    assert set(kept.account._state.fields_cache) == set()
    for each in kept.connectors.values():
        assert set(each._state.fields_cache) == {"account", "feed_config", "hook_config"}
        assert not hasattr(each, "_prefetched_objects_cache")
    hook = kept.connectors[shop.connector.pk].hook_config
    assert set(hook._state.fields_cache) == {"account", "connector"}


def test_a_pickup_point_or_franchise_added_after_a_batch_is_planned_with(shop, owner, approver):
    receive(shop, marketplaceOrderId="first")
    intakes_process(limit=10)
    point = PickupPointFactory(account=shop.account, point_id="PP1", warehouse=shop.warehouse)
    ShippingPolicyFactory(
        account=shop.account, policy_id="Pickup", delivery_channel="pickup-in-point", freight_cents=0
    ).pickup_points.add(point)
    pickup = {
        "logistics": {"selectedDeliveryChannel": "pickup-in-point", "selectedSla": "", "price": 0},
        "address": {
            "addressType": "pickup",
            "addressId": "PP1",
            "geoCoordinates": {"latitude": 0, "longitude": 0},
        },
    }
    receive(shop, marketplaceOrderId="picked-up", marketplacePaymentValue=975, **pickup)
    intakes_process(limit=10)

    franchise = AccountFactory(name="acme-franchise", parent=shop.account, order_prefix="MKT")
    warehouse = WarehouseFactory(account=franchise, warehouse_id="FR1")
    StockFactory(
        sku=SkuFactory(account=franchise, sku_id="1", price_cents=975), warehouse=warehouse, quantity=3
    )
    ShippingPolicyFactory(account=franchise, policy_id="Express", freight_cents=2050).warehouses.add(
        warehouse
    )
    receive(shop, marketplaceOrderId="franchised", allowFranchises=True, pickupAccountName="acme-franchise")
    intakes_process(limit=10)

    assert outcome("picked-up") == (("integrated", "SOI001", "payment-pending"),)
    assert outcome("franchised") == (("integrated", "SOI001", "payment-pending"),)
    assert Order.objects.get(marketplace_order_id="picked-up").items.get().pickup_point == point
    assert Order.objects.get(marketplace_order_id="franchised").franchise_account == franchise
