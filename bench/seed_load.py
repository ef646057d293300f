"""Streaming generated rows into a model's table, fast: COPY, indexes set aside, sequences and statistics after.

The rows of `bench.seed_rows` go through `load`, within `bulk_mode`; the dashboard benchmark's
decision records too. On a database other than PostgreSQL (SQLite, in the smoke test of a bare
`pytest`) they go through `executemany`.
"""

import json
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain

from django.db import connection

from authorization.models import ApprovalTask
from connectors.models import Notification
from orders.models import IntakeRecord, Order, OrderEvent, OrderItem

SEEDED_MODELS = (Order, OrderItem, OrderEvent, IntakeRecord, Notification, ApprovalTask)


@dataclass(frozen=True)
class Computed:
    """Columns PostgreSQL computes from the others (`s.` a row, plus `joins`) instead of reading them."""

    expressions: dict[str, str]
    params: tuple = ()
    joins: str = ""


def load(model, rows: Iterable[dict], progress, computed: Computed | None = None) -> int:
    """Insert `rows`, each a dict of the model's field names and values (JSON as text), into its table.

    Every row names the fields the first one does. A column the rows do not name (a field added
    later) gets the field's default, so a new field with a default does not break seeding; one
    without a default is named. On PostgreSQL the `computed` columns are left out of the rows,
    which go through a temporary table, and are computed on the way in.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        progress(f"  {model._meta.db_table}: 0 rows")
        return 0
    field_names = list(first)
    return _load(
        model, field_names, (_values(row, field_names) for row in chain([first], rows)), progress, computed
    )


def _values(row: dict, field_names: list[str]) -> tuple:
    if len(row) != len(field_names):
        raise ValueError(f"a row names {sorted(row)}, the first one {sorted(field_names)}")
    return tuple(row[name] for name in field_names)


def _load(
    model, field_names: list[str], rows: Iterable[tuple], progress, computed: Computed | None = None
) -> int:
    """`load`, with each row's values in `field_names` order."""
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
        f"bench.seed_rows gives no value to {model._meta.db_table}.{field.column}, which has no default: add it."
    )


@contextmanager
def bulk_mode(models, progress):
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


def next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(model._meta.db_table)}"
        )
        return cursor.fetchone()[0]


def reset_sequence(model) -> None:
    """Move the id sequence past the ids given explicitly (SQLite follows by itself)."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {connection.ops.quote_name(table)}))",
            [table],
        )


def analyze(progress) -> None:
    """Give the planner fresh statistics, and set the visibility map as autovacuum would have."""
    if connection.vendor != "postgresql":
        return
    started = time.perf_counter()
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in SEEDED_MODELS)
    with connection.cursor() as cursor:
        # VACUUM cannot run in a transaction (the smoke test's); ANALYZE alone can.
        cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM (ANALYZE)'} {tables}")
    progress(f"  vacuum and analyze: {time.perf_counter() - started:.1f} s")
