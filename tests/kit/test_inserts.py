"""The insert helper writes what `bulk_create` would, whatever the number of rows, each instance
given the key of its own row; `update_many` saves what `bulk_update` would."""

from datetime import datetime, timedelta

import pytest
from django.db import connection

from catalog.models import Sku
from kit.inserts import insert_many, update_many
from tests.factories import AccountFactory


def _skus(account, count):
    return [
        Sku(
            account=account,
            sku_id=f"S{number}",
            name=f'Café nº {number} "quoted", {{braced}} \\ and a comma',
            price_cents=10**12 + number,
            active=number % 2 == 0,
            sales_channels=[] if number == 1 else ["1", f"channel {number}", {"nested": [number]}],
        )
        for number in range(count)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3, 60])
def test_each_row_is_written_as_given_and_its_instance_gets_its_key(count):
    account = AccountFactory()
    skus = insert_many(_skus(account, count))

    stored = {sku.pk: sku for sku in Sku.objects.filter(account=account)}
    assert len(stored) == count
    for sku in skus:
        row = stored[sku.pk]
        assert (row.sku_id, row.name, row.price_cents, row.active, row.sales_channels) == (
            sku.sku_id,
            sku.name,
            sku.price_cents,
            sku.active,
            sku.sales_channels,
        )
        assert row.updated_at is not None
        assert not sku._state.adding


CHANGED = ["name", "price_cents", "active", "sales_channels", "updated_at"]


def _changed(skus):
    """Each SKU given values of its own, among them the text and JSON that text arrays quote."""
    when = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
    for number, sku in enumerate(skus):
        sku.name = f'Chá nº {number}, {{x}} "y" \\ z'
        sku.price_cents = 7 * number
        sku.active = not sku.active
        sku.sales_channels = [] if number == 2 else [f"c{number}", {"deep": [number, None]}]
        sku.updated_at = when + timedelta(minutes=number)
    return skus


def _stored(skus) -> list[tuple]:
    stored = {sku.pk: sku for sku in Sku.objects.filter(pk__in=[sku.pk for sku in skus])}
    return [tuple(getattr(stored[sku.pk], name) for name in CHANGED) for sku in skus]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 4])
def test_fields_of_each_row_are_saved_as_bulk_update_saves_them(count, monkeypatch):
    mine, theirs = (insert_many(_skus(AccountFactory(), count)) for _ in range(2))
    untouched = insert_many(_skus(AccountFactory(), 1))

    update_many(_changed(mine), CHANGED)
    with monkeypatch.context() as patched:
        patched.setattr(connection, "vendor", "other")  # update_many is bulk_update there
        update_many(_changed(theirs), CHANGED)

    assert _stored(mine) == _stored(theirs)
    assert _stored(mine) == [tuple(getattr(sku, name) for name in CHANGED) for sku in mine]
    assert _stored(untouched) == [tuple(getattr(sku, name) for name in CHANGED) for sku in untouched]
