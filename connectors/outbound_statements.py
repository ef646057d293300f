"""The statements recording a delivered try repeats (`connectors.outbound.record_many`), built once.

A worker records its own batch's deliveries right after it made them, before it takes the next
batch: the ORM took longer to write these statements than the database to run them (what it
cost: `bench/RESULTS.md`, "Optimizations"). Written here once from the models' metadata on
PostgreSQL; the ORM's queries elsewhere, as `kit.inserts` and `kit.selects` do.
"""

from functools import cache

from django.db import connection
from django.db.models import F, Q

from kit.inserts import columns_of, unnest_sql
from kit.selects import fetch
from kit.together import send

from .models import DeliveryState

# Pending, said as "neither delivered nor failed": the rows a task works on are found by their key
# (and an order's by `order_id, id`), never through the partial index of pending rows, which the
# planner would pick when its statistics hold few of them (taken before a backlog), scanning every
# pending row for each claim: a backlog's drain would cost its square.
NOT_SETTLED = ~Q(state__in=[DeliveryState.DELIVERED, DeliveryState.FAILED])
SETTLED = [DeliveryState.DELIVERED.value, DeliveryState.FAILED.value]


def rows_delivered(model, row_ids: list[int], status: int, now) -> None:
    """Mark the outbox rows delivered with `status` at `now`, each with its try counted."""
    if connection.vendor == "postgresql":
        send(_delivered_sql(model), [status, DeliveryState.DELIVERED.value, now, row_ids])
        return
    model.objects.filter(pk__in=row_ids).update(
        attempt_count=F("attempt_count") + 1,
        lease_until=None,
        last_status=status,
        state=DeliveryState.DELIVERED,
        delivered_at=now,
        last_error="",
    )


def sequences_pending(
    model, fields: tuple[str, ...], sequences: set[tuple], *, done: list[int]
) -> list[tuple]:
    """(pk, *the sequence's values) of the rows neither delivered nor failed of `sequences`
    (values of `fields` each), but the rows `done`, in the order of their keys."""
    if connection.vendor == "postgresql":
        return fetch(_pending_sql(model, fields), [*columns_of(sorted(sequences)), SETTLED, done])
    of_sequences = Q()
    for sequence in sequences:
        of_sequences |= Q(**dict(zip(fields, sequence, strict=True)))
    return list(
        model.objects.filter(of_sequences, NOT_SETTLED)
        .exclude(pk__in=done)
        .order_by("pk")
        .values_list("pk", *fields)
    )


@cache
def _delivered_sql(model) -> str:
    quote, meta = connection.ops.quote_name, model._meta
    names = ("id", "attempt_count", "lease_until", "last_status", "state", "delivered_at", "last_error")
    column = {name: quote(meta.get_field(name).column) for name in names}
    return (
        f"UPDATE {quote(meta.db_table)} SET {column['attempt_count']} = {column['attempt_count']} + 1, "
        f"{column['lease_until']} = NULL, {column['last_status']} = %s, {column['state']} = %s, "
        f"{column['delivered_at']} = %s, {column['last_error']} = '' WHERE {column['id']} = ANY(%s)"
    )


@cache
def _pending_sql(model, fields: tuple[str, ...]) -> str:
    """The sequences given as a column's values each (`kit.inserts.columns_of`), joined to the rows."""
    quote, meta = connection.ops.quote_name, model._meta
    targets = [meta.get_field(name) for name in fields]
    pk, state = quote(meta.pk.column), quote(meta.get_field("state").column)
    names = [f"s{index}" for index in range(len(targets))]
    matches = " AND ".join(
        f"t.{quote(field.column)} = s.{name}" for field, name in zip(targets, names, strict=True)
    )
    return (
        f"SELECT t.{pk}, {', '.join(f't.{quote(field.column)}' for field in targets)} "
        f"FROM {quote(meta.db_table)} AS t JOIN {unnest_sql(targets)} AS s({', '.join(names)}) ON {matches} "
        f"WHERE t.{state} <> ALL(%s) AND t.{pk} <> ALL(%s) ORDER BY t.{pk}"
    )
