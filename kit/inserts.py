"""Inserting rows in the statements that every order repeats, built once instead of each time.

`Model.objects.create()` builds its INSERT through the ORM's compiler on every call, a cost the
order API's path pays on every request (what it cost: `bench/RESULTS.md`, "Optimizations").
These write the same row — every concrete field, defaults and `auto_now_add` applied by the
fields themselves — with SQL made once per model and row count. Models written this way send
no `post_save` signal, like `bulk_create`.
"""

from functools import cache

from django.db import connection


@cache
def _columns(model) -> tuple[list, str, str]:
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    return fields, columns, row


def insert_sql(model, rows: int = 1) -> str:
    """`INSERT INTO table (every column) VALUES (…), … RETURNING pk`, for `rows` rows."""
    quote = connection.ops.quote_name
    _, columns, row = _columns(model)
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)} "
        f"RETURNING {quote(model._meta.pk.column)}"
    )


def insert_values(instances) -> list:
    """The parameters of `insert_sql` for `instances`, as `save()` would prepare them."""
    fields, _, _ = _columns(type(instances[0]))
    return [
        field.get_db_prep_save(field.pre_save(instance, add=True), connection)
        for instance in instances
        for field in fields
    ]


def saved(instances, primary_keys) -> None:
    """Mark `instances` as rows of the database, with the primary keys their INSERT returned."""
    for instance, (pk,) in zip(instances, primary_keys, strict=True):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, connection.alias


def insert(instance) -> None:
    """Insert one row as `instance.save(force_insert=True)` would (without its signals)."""
    with connection.cursor() as cursor:
        cursor.execute(insert_sql(type(instance)), insert_values([instance]))
        saved([instance], cursor.fetchall())
