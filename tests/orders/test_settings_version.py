"""Processing reads an account's rule and shipping policies once a change of them, not once a
batch: every write to them, whoever makes it, moves the account's settings version, and an
order processed after a change is decided by the change."""

import os
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.settings_version import settings_version
from authorization.models import PriceDivergenceRule
from authorization.selectors import account_bands
from catalog.availability import active_policies
from catalog.models import ShippingPolicy
from orders.intake import pipeline
from orders.intake.pipeline import intakes_process
from tests.factories import AccountFactory, ShippingPolicyFactory, WarehouseFactory, band
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


def test_every_write_to_the_rule_or_the_shipping_policies_moves_the_account_version(shop, owner, approver):
    account, other = shop.account, AccountFactory()
    policy, spare = shop.policy, WarehouseFactory(account=account, warehouse_id="spare")
    writes = {
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
        active_policies(shop.account, picks_up=False)
        account_bands(account=shop.account)
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

    assert [outcome(name) for name in ("before", "rule-changed", "policy-off")] == [
        (("integrated", "SOI001", "waiting-for-manual-authorization"),),
        (("integrated", "SOI001", "payment-pending"),),
        (("rejected", "EOI002", None),),  # no active policy reaches its stock
    ]


def test_an_unchanged_account_is_not_read_again(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))
    receive(shop, marketplaceOrderId="first")
    intakes_process(limit=10)
    receive(shop, marketplaceOrderId="second")
    with CaptureQueriesContext(connection) as queries:
        intakes_process(limit=10)
    read = set().union(*(_tables(query["sql"]) for query in queries.captured_queries))
    assert not read & {"catalog_shippingpolicy", "authorization_pricedivergencerule"}
    assert outcome("second") == (("integrated", "SOI001", "payment-pending"),)


def test_a_forked_process_keeps_nothing_of_its_parent(shop, owner, approver):
    rule_set(shop.account, held_bands([ANA]))
    receive(shop, marketplaceOrderId="first")
    intakes_process(limit=10)
    assert pipeline._settings_read  # the parent keeps what it read
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a worker of a prefork pool, or a mutant's test process
        os.write(write, str(len(pipeline._settings_read)).encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"0"
