"""Inserting rows in the statements that every order repeats, built once instead of each time.

`Model.objects.create()` and `bulk_create()` build their INSERT through the ORM's compiler on
every call, a cost the order API pays on every request and processing on every order (what it
cost: `bench/RESULTS.md`, "Optimizations"). These write the same rows — every concrete field,
defaults and `auto_now_add` applied by the fields themselves — with SQL made once per model and
row count. Models written this way send no `post_save` signal, like `bulk_create`.
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


# PostgreSQL takes at most this many parameters in a statement.
MAX_PARAMETERS = 65535


def insert_many(instances) -> list:
    """Insert the rows as `bulk_create(instances)` would (a statement for as many rows as its
    parameters allow, no signals), with SQL built once per model and row count; return them.
    On another database than PostgreSQL, `bulk_create` itself."""
    instances = list(instances)
    if not instances:
        return instances
    model = type(instances[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(instances)
    for instance in instances:  # a related object saved since it was assigned gives its key now
        instance._prepare_related_fields_for_save(operation_name="bulk_create")
    fields, _, _ = _columns(model)
    step = max(MAX_PARAMETERS // len(fields), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(instances), step):
            rows = instances[start : start + step]
            cursor.execute(insert_sql(model, len(rows)), insert_values(rows))
            saved(rows, cursor.fetchall())
    return instances
