"""Recording decisions and keeping the daily rollups and the queue's copy in step with them.

`decision_record` is called by processing in the transaction that decides a submission. It
writes the submission's `DecisionRecord` and adds it to the rollups; a submission decided
again (reprocessed) first takes its earlier decision out of them, so the rollups always equal
the sums of the records (`rollups_rebuild` recomputes them from the records). A held order
enters `QueuedOrder` there too, and leaves it with the event of its next status.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from authorization.decision import (
    IGNORED_DIVERGENCE,
    Route,
    SubmissionDecision,
    SubmissionFacts,
    allowance_percent,
)
from authorization.models import ApprovalTask
from kit.dates import time_zone
from kit.inserts import insert_sql, insert_values, saved
from orders.models import IntakeRecord, Order, OrderItem
from orders.signals import ItemFacts
from orders.statuses import Flow, OrderStatus

from .models import (
    BUCKETS_PER_PERCENT,
    LAST_BUCKET,
    NO_DIVERGENCE_BUCKET,
    DailyDecisionStat,
    DailySkuStat,
    DecisionRecord,
    QueuedOrder,
)

BAND_ROUTES = frozenset({Route.RULE, Route.PER_ITEM_RULE})


def divergence_bucket(divergence_percent) -> int:
    """Return the histogram step of a divergence: half-percent steps of |d| up to 100, -1 for none."""
    value = abs(Decimal(divergence_percent))
    if value == 0:
        return NO_DIVERGENCE_BUCKET
    return min(int(value * BUCKETS_PER_PERCENT), LAST_BUCKET)


def band_label(lower, upper) -> str:
    return f"{Decimal(lower):.2f}-{Decimal(upper):.2f}"


def account_day(account, moment) -> date:
    """Return the calendar day of `moment` in the account's time zone."""
    return timezone.localtime(moment, time_zone(account.time_zone)).date()


def deciding_band(submission: SubmissionDecision):
    """Return the band that decided, or None when no band did (no rule, previous flow, ignored, gap)."""
    if submission.ignored or submission.decision.route not in BAND_ROUTES:
        return None
    return submission.decision.decision.band


def decision_record_build(
    *,
    intake,
    facts: SubmissionFacts,
    submission: SubmissionDecision,
    paid_value_cents: int,
    seller_value_cents: int,
    items: Sequence[ItemFacts],
    order=None,
) -> DecisionRecord:
    """What the rule read of a submission and what became of it, not saved yet."""
    now = timezone.now()
    band = deciding_band(submission)
    return DecisionRecord(
        intake=intake,
        account_id=intake.account_id,
        connector_id=intake.connector_id,
        order=order,
        marketplace_order_id=intake.marketplace_order_id,
        decided_at=now,
        day=account_day(intake.account, now),
        divergence_percent=facts.divergence_percent,
        item_divergences=[str(value) for value in facts.item_divergences],
        allowance_percent=allowance_percent(facts.allowance_rate),
        ignore_divergence=facts.ignore_divergence,
        paid_value_cents=paid_value_cents,
        seller_value_cents=seller_value_cents,
        items=[[item.sku_id, item.quantity, item.price_cents, item.seller_price_cents] for item in items],
        outcome=submission.outcome.value,
        route=submission.decision.route.value,
        reason=submission.decision.decision.reason.value,
        band_label=band_label(band.lower_percent, band.upper_percent) if band else "",
        divergence_bucket=divergence_bucket(facts.divergence_percent),
    )


@transaction.atomic(savepoint=False)
def decision_record(**facts) -> DecisionRecord:
    """Record what the rule read of a submission and what became of it (`decision_record_build`'s
    facts); count it in the rollups."""
    record = decision_record_build(**facts)
    order = record.order
    if order is not None and order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        queue_enter(order=order)
    # Only a reprocessed submission can have been decided before: any earlier attempt that
    # failed took its record back with its transaction.
    intake = record.intake
    earlier = (
        DecisionRecord.objects.select_for_update().filter(intake=intake).first()
        if intake.reprocessed_at is not None
        else None
    )
    if earlier is None:
        decision_records_add([record])
        return record
    removed = DecisionRecord(**{field: getattr(earlier, field) for field in _RECORD_FIELDS})
    for field in DecisionRecord._meta.concrete_fields:
        if not field.primary_key:
            setattr(earlier, field.attname, getattr(record, field.attname))
    earlier.save()
    _count(added=[earlier], removed=[removed])
    return earlier


@transaction.atomic(savepoint=False)
def decision_records_add(records: list[DecisionRecord]) -> None:
    """Write the records of submissions decided for the first time, and count them in the
    rollups: in one statement on PostgreSQL."""
    if not records:
        return
    if connection.vendor == "postgresql":
        _insert_counted(records)
    else:
        DecisionRecord.objects.bulk_create(records)
        _count(added=records, removed=[])


_RECORD_FIELDS = (
    "account_id",
    "connector_id",
    "day",
    "outcome",
    "band_label",
    "divergence_bucket",
    "paid_value_cents",
    "seller_value_cents",
    "items",
    "item_divergences",
)


# The queue ----------------------------------------------------------------------------------


def queue_enter_many(*, tasks) -> None:
    """Count new held orders in the queue's pictures, one row each, in one statement: `tasks`
    are their approval tasks, each with its order."""
    QueuedOrder.objects.bulk_create(
        QueuedOrder(
            order=task.order,
            account_id=task.order.account_id,
            task=task,
            created_at=task.order.created_at,
            paid_value_cents=task.order.paid_value_cents,
            seller_value_cents=task.order.seller_value_cents,
        )
        for task in tasks
    )


def submissions_record(*, first, again, waiting, **signal) -> None:
    """Keep what the rule read and decided of a batch of submissions, and count it in the rollups;
    the new orders waiting for a person enter the queue's pictures (`orders.signals.submissions_decided`)."""
    # A reprocessed submission may have been decided before: its record, locked under the
    # submission (`orders.locking`), is replaced, before the batch's rollups are locked.
    for facts in again:
        decision_record(**facts)
    decision_records_add([decision_record_build(**facts) for facts in first])
    queue_enter_many(tasks=waiting)


def queue_enter(*, order) -> None:
    """Count a held order in the queue's pictures."""
    QueuedOrder.objects.update_or_create(
        order=order,
        defaults={
            "account_id": order.account_id,
            "task": ApprovalTask.objects.filter(order=order).first(),
            "created_at": order.created_at,
            "paid_value_cents": order.paid_value_cents,
            "seller_value_cents": order.seller_value_cents,
        },
    )


def queue_follow(*, events, **signal) -> None:
    """Take orders out of the queue's pictures when their status leaves waiting for authorization.

    Told of every event written (`orders.signals.order_events_saved`, connected in
    `InsightConfig.ready`): every status change
    writes its event in the transaction of the change (`orders.services.order_transition`), so
    the queue follows it.
    """
    waiting = OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
    leaving = [
        event.order_id
        for event in events
        if event.from_status == waiting and event.to_status not in ("", waiting)
    ]
    if leaving:
        QueuedOrder.objects.filter(order_id__in=leaving).delete()


@transaction.atomic
def queue_rebuild(*, account) -> None:
    """Recompute the account's queue from its waiting orders."""
    QueuedOrder.objects.filter(account=account).delete()
    waiting = Order.objects.filter(account=account, status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION)
    tasks = dict(ApprovalTask.objects.filter(order__in=waiting).values_list("order_id", "pk"))
    QueuedOrder.objects.bulk_create(
        (
            QueuedOrder(
                order_id=order_id,
                account=account,
                task_id=tasks.get(order_id),
                created_at=created_at,
                paid_value_cents=paid,
                seller_value_cents=seller,
            )
            for order_id, created_at, paid, seller in waiting.values_list(
                "pk", "created_at", "paid_value_cents", "seller_value_cents"
            ).iterator(chunk_size=10_000)
        ),
        batch_size=5_000,
    )


# The rollups ---------------------------------------------------------------------------------


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


def _count(*, added: Iterable, removed: Iterable) -> None:
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


def _upsert_sql(model, rows: int) -> str:
    """`INSERT … ON CONFLICT DO UPDATE` of `rows` cells of a rollup, adding their sums in place."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    keys = [quote(column) for column in _columns(model, model.KEY)]
    sums = [quote(column) for column in _columns(model, model.SUMS)]
    row = f"({', '.join(['%s'] * (len(keys) + len(sums)))})"
    return (
        f"INSERT INTO {table} ({', '.join(keys + sums)}) VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in sums)
    )


def _insert_counted(records: list[DecisionRecord]) -> None:
    """Insert new records and add them to both rollups in one statement (PostgreSQL's writable WITH).

    The same writes as `save()` and `_count()`, in one round trip instead of three: processing
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
            parts.append(f"{quote(model._meta.db_table + '_added')} AS ({_upsert_sql(model, len(cells))})")
            params += [value for key, sums in cells for value in (*key, *sums)]
    with connection.cursor() as cursor:
        cursor.execute(
            (f"WITH {', '.join(parts)} " if parts else "") + insert_sql(DecisionRecord, len(records)),
            [*params, *insert_values(records)],
        )
        saved(records, cursor.fetchall())


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
    sql = _upsert_sql(model, 1)
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


# Recovering the records of orders integrated before decisions were recorded -------------------

RECORD_COLUMNS = (
    "account",
    "connector",
    "intake",
    "order",
    "marketplace_order_id",
    "decided_at",
    "day",
    "divergence_percent",
    "item_divergences",
    "allowance_percent",
    "ignore_divergence",
    "paid_value_cents",
    "seller_value_cents",
    "items",
    "outcome",
    "route",
    "reason",
    "band_label",
    "divergence_bucket",
)


def records_from_orders(*, account) -> Iterator[tuple]:
    """Yield a `DecisionRecord` row (values in `RECORD_COLUMNS` order) for each order that lacks one.

    Rebuilt from what the order kept of its decision: its outcome, "route:reason", band and
    items. Denied and held submissions left no order, so they cannot be recovered; and the
    order keeps its allowance rate to four decimals, which is all a recovered record has.
    Three streams (orders, items, submissions), each read once in order id order.
    """
    orders = (
        Order.objects.filter(account=account)
        .exclude(
            pk__in=DecisionRecord.objects.filter(account=account, order__isnull=False).values("order_id")
        )
        .order_by("pk")
        .values_list(
            "pk",
            "connector_id",
            "marketplace_order_id",
            "created_at",
            "divergence_percent",
            "allowance_rate",
            "paid_value_cents",
            "seller_value_cents",
            "outcome",
            "decision_route",
            "decision_reason",
            "band",
        )
    )
    items = (
        OrderItem.objects.filter(order__account=account)
        .order_by("order_id", "index")
        .values_list(
            "order_id", "sku_id", "quantity", "price_cents", "seller_price_cents", "divergence_percent"
        )
        .iterator(chunk_size=20_000)
    )
    intakes = (
        IntakeRecord.objects.filter(account=account, flow=Flow.PLACE_ORDER, order__isnull=False)
        .order_by("order_id", "pk")
        .values_list("order_id", "pk", "ignore_divergence")
        .iterator(chunk_size=20_000)
    )
    next_item, next_intake = next(items, None), next(intakes, None)
    for row in orders.iterator(chunk_size=20_000):
        (order_id, connector_id, marketplace_order_id, created_at, divergence) = row[:5]
        (allowance_rate, paid, seller, outcome, route, reason, band) = row[5:]
        lines = []
        while next_item is not None and next_item[0] <= order_id:
            if next_item[0] == order_id:
                lines.append(next_item[1:])
            next_item = next(items, None)
        intake = None
        while next_intake is not None and next_intake[0] <= order_id:
            if next_intake[0] == order_id and intake is None:
                intake = next_intake
            next_intake = next(intakes, None)
        if intake is None:
            continue  # an order always comes from a submission; one without is not ours to count
        ignored = reason == IGNORED_DIVERGENCE
        if outcome == "no-divergence" and not ignored:
            result = "no-divergence"
        elif outcome == "manual" and route in BAND_ROUTES:
            result = "manual"
        else:
            result = "authorize"
        banded = band and not ignored and route in BAND_ROUTES
        yield (
            account.pk,
            connector_id,
            intake[1],
            order_id,
            marketplace_order_id,
            created_at,
            account_day(account, created_at),
            divergence,
            [str(line[4]) for line in lines],
            allowance_percent(allowance_rate),
            intake[2],
            paid,
            seller,
            [[sku_id, quantity, price, seller_price] for sku_id, quantity, price, seller_price, _ in lines],
            result,
            route if not ignored else "ignored",
            reason,
            band_label(band["from"], band["to"]) if banded else "",
            divergence_bucket(divergence),
        )


def decisions_backfill(*, account, batch_size: int = 2_000) -> int:
    """Record the decisions of the account's orders that have none; return how many were added."""
    names = [DecisionRecord._meta.get_field(name).attname for name in RECORD_COLUMNS]
    added = 0
    batch = []
    for values in records_from_orders(account=account):
        batch.append(DecisionRecord(**dict(zip(names, values, strict=True))))
        if len(batch) == batch_size:
            added += len(DecisionRecord.objects.bulk_create(batch))
            batch = []
    if batch:
        added += len(DecisionRecord.objects.bulk_create(batch))
    return added
