"""The insert helper writes what `bulk_create` would, whatever the number of rows, each instance
given the key of its own row."""

import pytest

from catalog.models import Sku
from kit.inserts import insert_many
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
