"""Recovering the decision records of orders integrated before decisions were recorded."""

from collections.abc import Iterator

from authorization.decision import IGNORED_DIVERGENCE, allowance_percent
from authorization.decision_words import BAND_ROUTES, band_label
from orders.models import IntakeRecord, Order, OrderItem
from orders.statuses import Flow

from .models import DecisionRecord
from .services import account_day, divergence_bucket

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
