"""The database's own checks of a submission (`orders.IntakeRecord`): its account is its
connector's, one foreign key checking both (orders 0010), and the lookups of its columns still
find an index where the columns filled later are indexed only once set."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from orders.models import IntakeRecord
from tests.factories import AccountFactory, OrderFactory, UserFactory
from tests.support.orders import receive

BEFORE = ("orders", "0009_decision_link")


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the composite key and the partial indexes are PostgreSQL's")


def submission(connector, account, number=1) -> IntakeRecord:
    return IntakeRecord(
        account=account,
        connector=connector,
        marketplace_order_id=f"KEYS-{number}",
        body={"marketplaceOrderId": f"KEYS-{number}"},
        body_digest=f"{number:064d}",
    )


def committed(record: IntakeRecord) -> None:
    """Insert the row and run the deferred checks, as its commit would."""
    with transaction.atomic():
        record.save(force_insert=True)
        connection.check_constraints()


def test_a_submission_of_another_accounts_connector_is_refused(shop):
    stranger = AccountFactory(name="Another seller")
    with pytest.raises(IntegrityError, match="intake_connector_of_its_account"):
        committed(submission(shop.connector, stranger))
    assert not IntakeRecord.objects.filter(account=stranger).exists()


def test_a_submission_of_a_connector_that_does_not_exist_is_refused(shop):
    missing = type(shop.connector)(pk=shop.connector.pk + 1000, account=shop.account)
    with pytest.raises(IntegrityError, match="intake_connector_of_its_account"):
        committed(submission(missing, shop.account))


def test_a_submission_of_its_connectors_account_is_stored(shop):
    committed(submission(shop.connector, shop.account))
    assert IntakeRecord.objects.filter(connector=shop.connector, account=shop.account).count() == 1


def plan(queryset) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ("order", "intake_order"),
        ("reprocessed_by", "intake_reprocessed_by"),
        ("marketplace_order_id", "intake_marketplace_order"),
    ],
)
def test_the_lookups_the_app_makes_find_their_index(shop, lookup, index):
    intake = receive(shop)
    values = {
        "order": OrderFactory(connector=shop.connector),
        "reprocessed_by": UserFactory(),
        "marketplace_order_id": intake.marketplace_order_id,
    }
    with transaction.atomic():  # SET LOCAL holds until its end
        assert index in plan(IntakeRecord.objects.filter(**{lookup: values[lookup]}))


def test_going_back_before_0010_and_forward_again_keeps_every_submission(transactional_db, shop):
    intake = receive(shop)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([BEFORE])
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, account_id, connector_id FROM orders_intakerecord")
            assert cursor.fetchall() == [(intake.pk, shop.account.pk, shop.connector.pk)]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    kept = IntakeRecord.objects.get()
    assert (kept.pk, kept.account, kept.connector) == (intake.pk, shop.account, shop.connector)
    with pytest.raises(IntegrityError, match="intake_connector_of_its_account"):
        committed(submission(shop.connector, AccountFactory(name="Another seller"), number=2))


def test_a_submission_received_is_filed_under_its_connectors_account(shop):
    intake = receive(shop)
    assert (intake.account_id, intake.connector_id) == (shop.connector.account_id, shop.connector.pk)
    assert IntakeRecord.objects.filter(pk=intake.pk, account=shop.account).exists()
