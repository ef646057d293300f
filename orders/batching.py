"""Processing submissions in batches: what a busy connector posts, taken many at a time.

The order API does not queue a task per submission: it asks for a batch (`intake_kick`), at
most one waiting on the broker at a time. The batch task (`orders.tasks.process_intakes`)
claims the oldest received submissions, up to `INTAKE_BATCH_SIZE`, with one compare-and-set
(rows another worker claims are skipped, not waited for), asks for the next batch at once when
it took a full one (so every worker has one), and processes them:

- the ordinary ones — a place order, first time, no franchise, no pickup point, authorized by
  the rule — all together, in one transaction: the catalog, shipping policies and rule read
  once an account, and each table written in one statement for the whole batch;
- every other one (and all of them, if the batch fails as a whole) one by one, as
  `orders.processing` does, each in a transaction of its own.

Either way a submission's writes commit together or not at all, and a claim is the same
compare-and-set as for one submission, so the sweeps and the single path need nothing new.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from authorization.selectors import account_bands
from catalog.models import DeliveryChannel, Stock
from connectors.contract import PLACE_ORDER
from connectors.notifications import notifications_enqueue
from insight.services import decision_record_build, decision_records_add
from kit.enqueue import enqueue_once_on_commit

from .models import IntakeRecord, Order, OrderItem
from .processing import (
    LEASE,
    Decided,
    OrderPlan,
    active_policies,
    finished,
    intake_decide,
    intake_process_claimed,
    integration_events,
    integration_notifications,
    items_of,
    order_build,
    order_items_build,
    plan_fulfilment,
    record_facts,
    skus_and_stock,
    with_account,
)
from .services import order_events_save, stocks_reserve
from .statuses import IntakeStatus

logger = logging.getLogger(__name__)

KICK = "orders:process-intakes"


def intake_kick() -> None:
    """Ask for a batch once the current transaction commits, unless one is already waiting."""
    from .tasks import process_intakes

    enqueue_once_on_commit(process_intakes, key=KICK)


def intakes_claim(*, limit: int) -> list[IntakeRecord]:
    """Claim the oldest received submissions, up to `limit`, passing over any another worker is claiming."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            IntakeRecord.objects.filter(status=IntakeStatus.RECEIVED)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("received_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        IntakeRecord.objects.filter(pk__in=ids).update(
            status=IntakeStatus.PROCESSING, lease_until=now + LEASE, attempts=F("attempts") + 1
        )
    return [
        with_account(intake)
        for intake in IntakeRecord.objects.select_related("account", "connector")
        .filter(pk__in=ids)
        .order_by("received_at", "pk")
    ]


def intakes_process(*, limit: int | None = None, on_full=None, on_failure=None) -> int:
    """Claim and process a batch of received submissions; return how many were claimed.

    `on_full` is called when the batch was full, before it is processed: there may be more.
    `on_failure(intake)` is called for a submission whose processing failed (it is kept failed,
    with its error, and the sweep would try it again later).
    """
    limit = limit or settings.INTAKE_BATCH_SIZE
    intakes = intakes_claim(limit=limit)
    if len(intakes) == limit and on_full is not None:
        on_full()
    together = [intake for intake in intakes if _ordinary(intake)]
    try:
        with transaction.atomic():
            left = _place_together(together)
    except StockMoved:
        logger.info("Stock moved under a batch of %s submissions; each is processed alone.", len(together))
        left = together
    except Exception:
        logger.exception(
            "A batch of %s submissions failed as a whole; each is processed alone.", len(together)
        )
        left = together
    left_ids, together_ids = {intake.pk for intake in left}, {intake.pk for intake in together}
    for intake in intakes:
        if intake.pk in together_ids and intake.pk not in left_ids:
            continue
        try:
            intake_process_claimed(intake=intake)
        except Exception:
            logger.exception("Submission %s failed.", intake.pk)
            if on_failure is not None:
                on_failure(intake)
    return len(intakes)


def _ordinary(intake: IntakeRecord) -> bool:
    """A submission the batch can take: anything else goes the single path."""
    body = intake.body
    return (
        intake.flow == PLACE_ORDER
        and intake.reprocessed_at is None
        and not intake.ignore_divergence
        and body.get("allowFranchises") is not True
        and all(
            info.get("selectedDeliveryChannel") != DeliveryChannel.PICKUP_IN_POINT
            for info in body["shippingData"]["logisticsInfo"]
        )
    )


class _Stock:
    """The stock rows a batch reserves from, with what the batch has taken of each so far."""

    def __init__(self):
        self.taken: dict[int, int] = defaultdict(int)

    def choose(self, plan: OrderPlan) -> dict[int, Stock] | None:
        """Take a row for each item, or none at all when one has no row with enough left."""
        chosen, wanted = {}, defaultdict(int)
        for item in plan.items:
            for row in item.stock_candidates:
                left = row.quantity - row.reserved - self.taken[row.pk] - wanted[row.pk]
                if left >= item.quantity:
                    chosen[item.index] = row
                    wanted[row.pk] += item.quantity
                    break
            else:
                return None
        for pk, quantity in wanted.items():
            self.taken[pk] += quantity
        return chosen


class StockMoved(Exception):
    """Another worker reserved units the batch counted on between its read and its write."""


def _place_together(intakes: list[IntakeRecord]) -> list[IntakeRecord]:
    """Integrate the ordinary authorized submissions together; return the ones left for the single path."""
    if not intakes:
        return []
    held = set(  # locked by key (`orders.locking`); the stock rows last, in `_write`
        IntakeRecord.objects.select_for_update()
        .filter(pk__in=[intake.pk for intake in intakes], status=IntakeStatus.PROCESSING)
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    intakes = [intake for intake in intakes if (intake.pk, intake.attempts) in held]
    existing = set(
        Order.objects.filter(
            connector_id__in={intake.connector_id for intake in intakes},
            marketplace_order_id__in={intake.marketplace_order_id for intake in intakes},
        ).values_list("connector_id", "marketplace_order_id")
    )
    left, placed = [], []  # placed: (intake, decided, reserved)
    stock = _Stock()
    by_account = defaultdict(list)
    for intake in intakes:
        by_account[intake.account_id].append(intake)
    for group in by_account.values():
        account = group[0].account
        items_by_intake = {intake.pk: items_of(intake.body) for intake in group}
        read = skus_and_stock(account, {item.sku_id for items in items_by_intake.values() for item in items})
        policies, bands = active_policies(account, picks_up=False), account_bands(account=account)
        for intake in group:
            key = (intake.connector_id, intake.marketplace_order_id)
            decided = None
            if key not in existing:
                existing.add(key)  # a second submission of it in the batch is a duplicate
                decided = _decided(intake, items_by_intake[intake.pk], read, policies, bands)
            reserved = stock.choose(decided.plan) if decided else None
            if reserved is None:
                left.append(intake)
            else:
                placed.append((intake, decided, reserved))
    if placed:
        _write(placed, stock.taken)
    return left


def _decided(intake: IntakeRecord, items, read, policies, bands) -> Decided | None:
    """Plan and decide the submission; None when it is not an ordinary authorized one."""
    skus, _ = read
    if any(item.sku_id not in skus for item in items):
        return None
    for item in items:
        item.seller_sku = skus[item.sku_id]
    if plan_fulfilment(
        intake.account, items, intake.body, intake.connector.sales_channel, read=read, policies=policies
    ):
        return None
    decided = intake_decide(intake, OrderPlan(fulfilment_account=intake.account, items=items), bands)
    return decided if decided.outcome.authorized else None


def _write(placed: list[tuple], taken: dict[int, int]) -> None:
    """Write the batch's orders and all that goes with them, a statement a table; the shared
    rows (rollups, stock) last, so their locks are held only until the commit."""
    now = timezone.now()
    orders = Order.objects.bulk_create(
        [order_build(intake, decided, now=now) for intake, decided, _ in placed]
    )
    events, notifications = [], []
    for (intake, decided, _), order in zip(placed, orders, strict=True):
        events += integration_events(intake, order, decided)
        sent, remembered = integration_notifications(intake, order)
        notifications += sent
        events += remembered
        intake.status, intake.code, intake.order = IntakeStatus.INTEGRATED, "SOI001", order
    order_events_save(events)
    # Each record's order found by the order's unique key: one statement for the batch.
    its_order = Order.objects.filter(
        connector_id=OuterRef("connector_id"), marketplace_order_id=OuterRef("marketplace_order_id")
    ).values("pk")[:1]
    IntakeRecord.objects.filter(pk__in=[intake.pk for intake, _, _ in placed]).update(
        **{**finished(status=IntakeStatus.INTEGRATED, code="SOI001"), "order": Subquery(its_order)}
    )
    notifications_enqueue(notifications)
    decision_records_add(
        [
            decision_record_build(**record_facts(intake, decided, order=order))
            for (intake, decided, _), order in zip(placed, orders, strict=True)
        ]
    )
    if not stocks_reserve(dict(taken)):
        raise StockMoved()
    OrderItem.objects.bulk_create(
        item
        for (_, decided, reserved), order in zip(placed, orders, strict=True)
        for item in order_items_build(order, decided, reserved)
    )
