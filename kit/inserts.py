"""Inserting rows, and saving fields of many, in the statements that every order repeats, built
once instead of each time.

`Model.objects.create()` and `bulk_create()` build their INSERT through the ORM's compiler on
every call, a cost the order API pays on every request and processing on every order (what it
cost: `bench/RESULTS.md`, "Optimizations"). These write the same rows — every concrete field,
defaults and `auto_now_add` applied by the fields themselves — with SQL made once per model. Several rows
go in one `INSERT … SELECT FROM UNNEST(column arrays)`, as Django's own `bulk_create` writes them
on PostgreSQL: its text does not grow with the rows, so the driver converts it once and the server
plans it once, where a `VALUES` list of a batch's rows would be parsed again on every call. Models
written this way send no `post_save` signal, like `bulk_create`. `update_many` saves fields of
several rows as `bulk_update` does, from the same column arrays, where `bulk_update` writes a
`CASE` a field with a `WHEN` a row: 94 ms of CPU to write the SQL of 35 rows.
"""

from functools import cache

from django.db import connection

from .together import send


@cache
def _columns(model) -> tuple[list, str, str]:
    quote = connection.ops.quote_name
    # A key the database generates is left out; a key the caller gives (a one-to-one primary
    # key) is written, as `bulk_create` writes it.
    fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
    columns = ", ".join(quote(field.column) for field in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    return fields, columns, row


def unnest_sql(fields) -> str:
    """`UNNEST(%b::type[], …)`: rows of `fields` given as one array parameter a column
    (`columns_of`). Types without their length, so nothing is cut (as `bulk_create` does).

    The arrays go in binary (`%b`): psycopg writes an array's text in Python, quoting and
    escaping each element, which took 6.4 ms for eight columns of a hundred rows against 1.1 ms
    in binary."""
    arrays = [f"%b::{field.db_type(connection).split('(')[0]}[]" for field in fields]
    return f"UNNEST({', '.join(arrays)})"


def columns_of(rows) -> list[list]:
    """Rows of values as the lists of `unnest_sql`, a column each."""
    return [list(column) for column in zip(*rows, strict=True)]


@cache
def insert_sql(model, *, many: bool = False) -> str:
    """`INSERT INTO table (every column) VALUES (…) RETURNING pk`; `many`: the rows selected
    `FROM UNNEST(…)` instead, any number of them."""
    quote = connection.ops.quote_name
    fields, columns, row = _columns(model)
    rows = f"SELECT * FROM {unnest_sql(fields)}" if many else f"VALUES {row}"
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {rows} RETURNING {quote(model._meta.pk.column)}"


def insert_params(instances) -> list:
    """The parameters of `insert_statement(instances)`, prepared as `save()` would prepare them."""
    fields, _, _ = _columns(type(instances[0]))
    rows = [
        [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
        for instance in instances
    ]
    return rows[0] if len(rows) == 1 else columns_of(rows)


def insert_statement(instances) -> str:
    """The INSERT of `instances`: its rows' values, or their columns' arrays for more than one."""
    return insert_sql(type(instances[0]), many=len(instances) > 1)


def saved(instances, primary_keys) -> None:
    """Mark `instances` as rows of the database, with the primary keys their INSERT returned."""
    for instance, (pk,) in zip(instances, primary_keys, strict=True):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, connection.alias


def insert(instance) -> None:
    """Insert one row as `instance.save(force_insert=True)` would (without its signals)."""
    with connection.cursor() as cursor:
        cursor.execute(insert_statement([instance]), insert_params([instance]))
        saved([instance], cursor.fetchall())


def insert_many(instances, *, wait: bool = True) -> list:
    """Insert the rows as `bulk_create(instances)` would (one statement, no signals), with SQL
    built once per model; return them. On another database than PostgreSQL, `bulk_create` itself.

    `wait=False`: the statement goes with the others of the `kit.together` block, and the rows'
    keys are set when the block's statements are answered; nothing may read them before."""
    instances = list(instances)
    if not instances:
        return instances
    model = type(instances[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(instances)
    for instance in instances:  # a related object saved since it was assigned gives its key now
        instance._prepare_related_fields_for_save(operation_name="bulk_create")
    if not wait:
        send(
            insert_statement(instances),
            insert_params(instances),
            then=lambda cursor: saved(instances, cursor.fetchall()),
        )
        return instances
    with connection.cursor() as cursor:
        cursor.execute(insert_statement(instances), insert_params(instances))
        saved(instances, cursor.fetchall())
    return instances


@cache
def update_sql(model, fields: tuple[str, ...]) -> str:
    """`UPDATE table SET field = u.field, … FROM UNNEST(pks, field values, …)`: each row its own values."""
    quote, meta = connection.ops.quote_name, model._meta
    targets = [meta.get_field(name) for name in fields]
    names = [f"c{index}" for index in range(len(targets))]
    sets = ", ".join(f"{quote(field.column)} = u.{name}" for field, name in zip(targets, names, strict=True))
    return (
        f"UPDATE {quote(meta.db_table)} AS r SET {sets} FROM {unnest_sql([meta.pk, *targets])} "
        f"AS u(pk, {', '.join(names)}) WHERE r.{quote(meta.pk.column)} = u.pk"
    )


def update_many(instances, fields: list[str]) -> None:
    """Save `fields` of the instances as `bulk_update(instances, fields)` would (one statement, no
    signals), with SQL built once per model and fields. On another database, `bulk_update` itself."""
    instances = list(instances)
    if not instances:
        return
    model = type(instances[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(instances, fields)
        return
    targets = [model._meta.get_field(name) for name in fields]
    rows = [
        [
            instance.pk,
            *(field.get_db_prep_save(getattr(instance, field.attname), connection) for field in targets),
        ]
        for instance in instances
    ]
    send(update_sql(model, tuple(fields)), columns_of(rows))  # within a `kit.together` block, with its others
