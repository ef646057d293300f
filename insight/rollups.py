"""The daily rollups of the decision records: by day, connector, outcome and band; by day and SKU.

They always equal the sums of the records: each record is added once when written and taken
out when a reprocessed submission replaces it; `rollups_rebuild` recomputes them from the records.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from django.db import connection, transaction

from kit.inserts import columns_of, insert_params, insert_statement, saved, unnest_sql
from kit.together import send

from .models import DailyDecisionStat, DailySkuStat, DecisionRecord


def _decision_cells(record) -> dict[tuple, tuple]:
    key = (
        record.account_id,
        record.day,
        record.connector_id,
        record.outcome,
        record.band_label,
        record.divergence_bucket,
    )
    return {key: (1, record.paid_value_cents, record.seller_value_cents)}


def _sku_cells(record) -> dict[tuple, tuple]:
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    divergences = record.item_divergences or []
    for position, (sku_id, quantity, price, seller_price) in enumerate(record.items or []):
        divergent = position < len(divergences) and Decimal(divergences[position]) != 0
        cell = cells[(record.account_id, record.day, sku_id)]
        cell[0] += 1
        cell[1] += 1 if divergent else 0
        cell[2] += quantity
        cell[3] += (seller_price - price) * quantity
    return {key: tuple(sums) for key, sums in cells.items()}


def _merge(target: dict, cells: dict, sign: int) -> None:
    for key, sums in cells.items():
        current = target.get(key)
        signed = tuple(sign * value for value in sums)
        target[key] = (
            signed if current is None else tuple(a + b for a, b in zip(current, signed, strict=True))
        )


def rollups_count(*, added: Iterable, removed: Iterable) -> None:
    """Add the `added` records to the rollups and take the `removed` ones out."""
    decisions: dict[tuple, tuple] = {}
    skus: dict[tuple, tuple] = {}
    for sign, records in ((1, added), (-1, removed)):
        for record in records:
            _merge(decisions, _decision_cells(record), sign)
            _merge(skus, _sku_cells(record), sign)
    _bump(DailyDecisionStat, decisions)
    _bump(DailySkuStat, skus)


def _columns(model, names) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


@cache
def _upsert_sql(model, *, many: bool = False) -> str:
    """`INSERT … ON CONFLICT DO UPDATE` of a cell of a rollup, adding its sums in place; `many`:
    of any number of cells, given as a column's values each (`kit.inserts.columns_of`)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in (*model.KEY, *model.SUMS)]
    keys = [quote(column) for column in _columns(model, model.KEY)]
    sums = [quote(column) for column in _columns(model, model.SUMS)]
    rows = f"SELECT * FROM {unnest_sql(fields)}" if many else f"VALUES ({', '.join(['%s'] * len(fields))})"
    return (
        f"INSERT INTO {table} ({', '.join(keys + sums)}) {rows} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in sums)
    )


def records_insert_counted(records: list[DecisionRecord]) -> None:
    """Insert new records and add them to both rollups in one statement (PostgreSQL's writable WITH).

    The same writes as `save()` and `rollups_count()`, in one round trip instead of three: processing
    makes one for every submission, or every batch of them, it decides. One statement for all
    of it also takes the rollups' rows in one order whatever the number of records, so two
    workers never wait for each other's.
    """
    quote = connection.ops.quote_name
    merged = {DailyDecisionStat: {}, DailySkuStat: {}}
    for record in records:
        _merge(merged[DailyDecisionStat], _decision_cells(record), 1)
        _merge(merged[DailySkuStat], _sku_cells(record), 1)
    parts, params = [], []
    for model, cells in merged.items():
        cells = sorted(((key, sums) for key, sums in cells.items() if any(sums)), key=_sort_key)
        if cells:
            parts.append(f"{quote(model._meta.db_table + '_added')} AS ({_upsert_sql(model, many=True)})")
            params += columns_of((*key, *sums) for key, sums in cells)
    send(  # within a `kit.together` block, with the batch's other writes; the keys set then
        (f"WITH {', '.join(parts)} " if parts else "") + insert_statement(records),
        [*params, *insert_params(records)],
        then=lambda cursor: saved(records, cursor.fetchall()),
    )


def _bump(model, cells: dict[tuple, tuple]) -> None:
    """Add `cells` ({key: sums}) to the model's rows in one upsert per cell, in key order.

    `INSERT … ON CONFLICT DO UPDATE` (PostgreSQL and SQLite alike) adds to the row in place, so
    concurrent workers never lose a count; taking the rows in one order avoids deadlocks.
    """
    cells = {key: sums for key, sums in cells.items() if any(sums)}
    if not cells:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    keys = [quote(column) for column in _columns(model, model.KEY)]
    sums = [quote(column) for column in _columns(model, model.SUMS)]
    sql = _upsert_sql(model)
    emptied = [key for key, values in cells.items() if values[0] < 0]
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*key, *values) for key, values in sorted(cells.items(), key=_sort_key)])
        if emptied:  # a decision taken back: drop the cells it leaves empty
            where = " AND ".join(f"{column} = %s" for column in keys)
            cursor.executemany(f"DELETE FROM {table} WHERE {where} AND {sums[0]} = 0", emptied)


def _sort_key(item):
    return tuple(str(part) for part in item[0])


@transaction.atomic
def rollups_rebuild(*, account) -> None:
    """Recompute the account's rollups from its decision records (after a backfill or a repair)."""
    DailyDecisionStat.objects.filter(account=account).delete()
    DailySkuStat.objects.filter(account=account).delete()
    quote = connection.ops.quote_name
    keys = _columns(DailyDecisionStat, DailyDecisionStat.KEY)
    record_table = quote(DecisionRecord._meta.db_table)
    record_keys = [quote(DecisionRecord._meta.get_field(name).column) for name in DailyDecisionStat.KEY]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(DailyDecisionStat._meta.db_table)} "
            f"({', '.join(quote(c) for c in keys)}, count, paid_value_cents, seller_value_cents) "
            f"SELECT {', '.join(record_keys)}, COUNT(*), SUM(paid_value_cents), SUM(seller_value_cents) "
            f"FROM {record_table} WHERE account_id = %s GROUP BY {', '.join(record_keys)}",
            [account.pk],
        )
    skus: dict[tuple, tuple] = {}
    rows = DecisionRecord.objects.filter(account=account).values_list(
        "account_id", "day", "items", "item_divergences"
    )
    for account_id, day, items, item_divergences in rows.iterator(chunk_size=10_000):
        record = DecisionRecord(
            account_id=account_id, day=day, items=items, item_divergences=item_divergences
        )
        _merge(skus, _sku_cells(record), 1)
    DailySkuStat.objects.bulk_create(
        (
            DailySkuStat(
                account_id=account_id,
                day=day,
                sku_id=sku_id,
                **dict(zip(DailySkuStat.SUMS, sums, strict=True)),
            )
            for (account_id, day, sku_id), sums in skus.items()
        ),
        batch_size=5_000,
    )
