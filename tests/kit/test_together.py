"""Statements sent together (`kit.together`): what `send` runs in a block waits for the next
statement that waits, in one round trip; everything else in the block behaves as outside it."""

from contextlib import nullcontext

import pytest
from django.db import IntegrityError, connection, transaction

from catalog.models import Sku
from kit.inserts import insert_many
from kit.together import fetch_later, send, statements_together, when_answered
from tests.factories import AccountFactory
from tests.support.round_trips import round_trips

pytestmark = pytest.mark.django_db


def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("statements go together on PostgreSQL only")


def _sku(account, number):
    return Sku(account=account, sku_id=f"T{number}", name=f"Tea {number}", price_cents=100 + number)


def _renamed(account, number):
    send("UPDATE catalog_sku SET name = %s WHERE account_id = %s", [f"renamed {number}", account.pk])


@pytest.mark.parametrize("together", [True, False])
def test_statements_sent_go_with_the_next_that_waits_in_one_round_trip(together):
    _postgresql()
    account = AccountFactory()
    with transaction.atomic():
        Sku.objects.filter(account=account).exists()  # the transaction's BEGIN, before counting
        with round_trips() as trips, statements_together() if together else nullcontext():
            for number in range(3):
                _renamed(account, number)
            assert Sku.objects.filter(account=account).count() == 0
    if together:  # the count's, which takes the updates with it, and the block's end
        assert trips.count == 2
    else:  # one each, and preparing a statement run again may take one more
        assert trips.count >= 4


def test_the_keys_of_rows_sent_are_set_once_the_block_is_answered():
    _postgresql()
    account = AccountFactory()
    with transaction.atomic(), statements_together():
        skus = insert_many([_sku(account, 1), _sku(account, 2)], wait=False)
        assert [sku.pk for sku in skus] == [None, None]
    assert all(sku.pk is not None and not sku._state.adding for sku in skus)
    assert set(Sku.objects.filter(account=account).values_list("pk", flat=True)) == {sku.pk for sku in skus}


def test_an_orm_update_in_a_block_still_counts_its_rows():
    """A compare-and-set reads the count its UPDATE returns: in a block it must not be -1."""
    account = AccountFactory()
    insert_many([_sku(account, 1), _sku(account, 2)])
    with transaction.atomic(), statements_together():
        assert Sku.objects.filter(account=account).update(active=False) == 2
        assert Sku.objects.filter(account=account, sku_id="T1").update(active=True) == 1


def test_a_failed_statement_sent_is_raised_by_the_next_that_waits_and_nothing_is_called_back():
    _postgresql()
    account = AccountFactory()
    insert_many([_sku(account, 1)])
    called = []
    with pytest.raises(IntegrityError), transaction.atomic(), statements_together():
        insert_many([_sku(account, 1)], wait=False)  # the same SKU again: a unique violation
        when_answered(lambda: called.append(True))
        Sku.objects.filter(account=account).count()
    assert called == []
    assert Sku.objects.filter(account=account).count() == 1


def test_outside_a_block_a_statement_sent_runs_at_once():
    account = AccountFactory()
    answered = []
    skus = insert_many([_sku(account, 1)], wait=False)
    when_answered(lambda: answered.append(skus[0].pk))
    assert answered == [skus[0].pk] and skus[0].pk is not None


def test_reads_sent_are_answered_together_when_the_first_is_read():
    _postgresql()
    account = AccountFactory()
    insert_many([_sku(account, 1), _sku(account, 2)])
    sql = "SELECT sku_id FROM catalog_sku WHERE account_id = %s AND price_cents = %s"
    with transaction.atomic():
        Sku.objects.filter(account=account).exists()  # the transaction's BEGIN, before counting
        with round_trips() as trips, statements_together():
            first, second, none = (fetch_later(sql, [account.pk, price]) for price in (101, 102, 0))
            assert second.rows == [("T2",)]
            assert (first.rows, none.rows) == ([("T1",)], [])
    assert trips.count == 2  # the three reads, and the block's end


def test_outside_a_block_a_read_sent_is_answered_at_once():
    account = AccountFactory()
    insert_many([_sku(account, 1)])
    found = fetch_later("SELECT sku_id FROM catalog_sku WHERE account_id = %s", [account.pk])
    assert found.rows == [("T1",)]
