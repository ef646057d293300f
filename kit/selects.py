"""Reading rows in the statements that every batch repeats, written once instead of each time.

The ORM compiles a query on every call: for the stock of an order's SKUs, 1.5 ms of CPU to write
a SELECT that the database answers in 0.3 ms (`bench/RESULTS.md`, "Optimizations"). The reads
that processing repeats for every batch are written here once from the models' metadata, and their
rows become instances as the ORM makes them: every concrete field, in `_meta.concrete_fields`
order, through the fields' own converters (a JSON field's text decoded), with `Model.from_db`.
PostgreSQL only; the callers keep the ORM's query for other databases, as `kit.inserts` does.
"""

from functools import cache

from django.db import connection


@cache
def columns(model, alias: str) -> str:
    """`alias."column", …`: every concrete field of `model`, for `rows_as`."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


@cache
def _loader(model) -> tuple[list[str], list[tuple[int, list, object]]]:
    """The attribute names of `model`'s columns, and the converters of those that have any."""
    fields = model._meta.concrete_fields
    converting = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        if converters := column.get_db_converters(connection):
            converting.append((index, converters, column))
    return [field.attname for field in fields], converting


def rows_as(rows, *models) -> list[tuple]:
    """Each row (from a SELECT of `columns(model, …)` of each model in turn) as a tuple of
    instances, one of each model, as the ORM would have read them."""
    loaders = [(model, *_loader(model)) for model in models]
    found = []
    for row in rows:
        instances, start = [], 0
        for model, names, converting in loaders:
            values = list(row[start : start + len(names)])
            for index, converters, column in converting:
                for converter in converters:
                    values[index] = converter(values[index], column, connection)
            instances.append(model.from_db(connection.alias, names, values))
            start += len(names)
        found.append(tuple(instances))
    return found


def fetch(sql: str, params) -> list[tuple]:
    """The rows of `sql`."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
