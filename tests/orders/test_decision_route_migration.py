"""orders 0005 splits the stored "route:reason" into route and reason, and joins them again going back."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from authorization.decision import IGNORED_DIVERGENCE
from orders.models import Order
from tests.factories import OrderFactory

JOINED = ("orders", "0004_drop_indexes_a_composite_index_covers")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state(target).apps.get_model("orders", "Order")


def migrate_to_today():
    """Forward through 0005 and every later migration of every app: going back to 0004 unapplied
    those, and the tests after this one need the whole schema."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_every_order_keeps_its_route_and_reason_back_and_forth(transactional_db, shop):
    routed = OrderFactory(connector=shop.connector)
    ignored = OrderFactory(connector=shop.connector)
    Order.objects.filter(pk=ignored.pk).update(decision_route="", decision_reason=IGNORED_DIVERGENCE)
    split = {routed.pk: ("deny-without-rule", "no-divergence"), ignored.pk: ("", "ignored-divergence")}
    assert {
        pk: (route, reason)
        for pk, route, reason in Order.objects.values_list("pk", "decision_route", "decision_reason")
    } == split

    try:
        joined = migrate(JOINED)
        assert dict(joined.objects.values_list("pk", "decision_reason")) == {
            routed.pk: "deny-without-rule:no-divergence",
            ignored.pk: "ignored-divergence",
        }
    finally:
        migrate_to_today()

    rows = Order.objects.values_list("pk", "decision_route", "decision_reason")
    assert {pk: (route, reason) for pk, route, reason in rows} == split
    assert [order.route_and_reason for order in Order.objects.order_by("pk")] == [
        "deny-without-rule:no-divergence",
        "ignored-divergence",
    ]


def test_the_whole_schema_is_there_after_going_back_and_forth(transactional_db):
    """Run after the test above: a later migration it left unapplied would be missing here."""
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
