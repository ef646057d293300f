"""Reads of orders and connection orders that the admin and the seller API share."""

import functools
import itertools
import json
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connections
from django.db.models import Count, Prefetch, Q, QuerySet, Subquery, Sum, TextField
from django.db.models.functions import Cast, Coalesce

from accounts.absences import covered_by
from accounts.backends import account_roles
from accounts.roles import DECIDE_ORDER, ROLE_PERMISSIONS
from authorization.explanation import Explanation, Line, PricePeriod, divergence_explain
from authorization.models import ApprovalNotice, ApprovalTask
from catalog.models import Sku
from connectors.models import Notification
from kit.admin_lists import count_capped

from .models import BulkDecision, IntakeRecord, Order, OrderEvent, OrderItem, WaitingOrder


def order_items_queryset() -> QuerySet[OrderItem]:
    """Items with where they ship from, as every screen of an order shows them."""
    return OrderItem.objects.select_related("stock__warehouse", "pickup_point", "shipping_policy")


def orders_list(*, account) -> QuerySet[Order]:
    """Return the account's orders, newest first, with their connector and items fetched up front."""
    return (
        Order.objects.filter(account=account)
        .select_related("connector", "account")
        .prefetch_related(Prefetch("items", queryset=order_items_queryset()))
        .order_by("-created_at", "-id")
    )


def order_get(*, account, main_order_id: str) -> Order | None:
    """Return one of the account's orders by `mainOrderId`, with its events and notifications."""
    return (
        orders_list(account=account)
        .select_related("approval_task__decided_by")
        .prefetch_related(
            Prefetch("events", queryset=order_events_queryset()),
            Prefetch("notifications", queryset=Notification.objects.order_by("pk")),
        )
        .filter(main_order_id=main_order_id)
        .first()
    )


def order_events_queryset() -> QuerySet[OrderEvent]:
    return OrderEvent.objects.select_related("actor").order_by("created_at", "pk")


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    return order_events_queryset().filter(order=order)


def order_notifications(*, order: Order) -> QuerySet[Notification]:
    """Return what the connector was told about the order, in the order it was written."""
    return Notification.objects.filter(order=order).select_related("connector").order_by("pk")


def intake_notifications(*, intake: IntakeRecord) -> QuerySet[Notification]:
    """Return the notifications that answered one submission."""
    return Notification.objects.filter(intake=intake).order_by("pk")


def order_intake_records(*, order: Order) -> QuerySet[IntakeRecord]:
    """Return the submissions that made or touched the order (placed, approved, reprocessed)."""
    return IntakeRecord.objects.filter(order=order).order_by("received_at", "pk")


# The manual-authorization queue ---------------------------------------------------------------


def waiting_orders(*, user) -> QuerySet[WaitingOrder]:
    """Return the orders waiting for manual authorization in the user's accounts, oldest first.

    The filter on account and status, ordered by creation, is what the partial index
    `order_waiting_oldest` serves; the connector, account and approval task come in the same
    query, the bulky payload and rule snapshot do not.
    """
    queryset = WaitingOrder.objects.select_related("connector", "account", "approval_task").defer(
        "payload", "rule_snapshot"
    )
    if not user.is_superuser:
        queryset = queryset.filter(account__in=sorted(account_roles(user)))
    return queryset.order_by("created_at", "pk")


def awaiting_decision_by(queryset: QuerySet[Order], *, user) -> QuerySet[Order]:
    """Keep the orders the user may decide: their e-mail is on the band that held the order, or
    that of an approver away whose turn they take (`accounts.absences.covered_by`), in that account.

    On PostgreSQL this is JSON containment on the band's approvers; elsewhere a match of the
    quoted e-mail in the band's JSON text (the band holds no other free text).
    """
    email = (user.email or "").strip().lower()
    if not email:
        return queryset.none()
    covered = covered_by(user=user)
    if not user.is_superuser:
        deciding = [
            account_id
            for account_id, role in account_roles(user).items()
            if DECIDE_ORDER in ROLE_PERMISSIONS[role]
        ]
        queryset = queryset.filter(account__in=sorted(deciding))
        covered = {account_id: covered[account_id] for account_id in deciding if account_id in covered}
    if connections[queryset.db].vendor == "postgresql":

        def on_band(approver):
            return Q(band__approvers__contains=[approver])

    else:
        queryset = queryset.annotate(band_text=Cast("band", TextField()))

        def on_band(approver):
            return Q(band_text__icontains=json.dumps(approver))

    mine = on_band(email)
    for account_id, absent in sorted(covered.items()):
        mine |= Q(account_id=account_id) & functools.reduce(operator.or_, map(on_band, sorted(absent)))
    return queryset.filter(mine)


def next_order_to_decide(*, user, order: Order, previous: bool = False) -> WaitingOrder | None:
    """Return the order waiting for the user's decision that follows `order` in the queue's order
    (oldest first), else the oldest such order; None when no other waits for them.

    "Next" is among the user's own waiting orders, whatever a queue page they came from showed.
    `previous` looks the other way: the one before `order`, else the newest. One query: each end
    is read in the queue's index order, a row at a time, never the whole list sorted.
    """
    mine = awaiting_decision_by(waiting_orders(user=user), user=user).exclude(pk=order.pk)
    # The bound on created_at alone lets the index start at the order rather than at either end.
    if previous:
        mine = mine.reverse()
        beyond = Q(created_at__lte=order.created_at) & (
            Q(created_at__lt=order.created_at) | Q(pk__lt=order.pk)
        )
    else:
        beyond = Q(created_at__gte=order.created_at) & (
            Q(created_at__gt=order.created_at) | Q(pk__gt=order.pk)
        )
    following = Subquery(mine.filter(beyond).values("pk")[:1])
    wrapped = Subquery(mine.values("pk")[:1])
    # Typed, for the user who may decide nothing: their subqueries are empty, and NULL has no type.
    chosen = Cast(Coalesce(following, wrapped), output_field=Order._meta.pk)
    return WaitingOrder.objects.filter(pk=chosen).only("pk", "main_order_id").first()


def waiting_counts(*, user, cap: int, mine_cap: int) -> tuple[int, int]:
    """Return (waiting, waiting for the user's decision) in the user's accounts, capped at `cap + 1`
    and `mine_cap + 1`; the first reads the partial index `order_waiting_oldest` alone."""
    waiting = WaitingOrder.objects.all()
    if not user.is_superuser:
        waiting = waiting.filter(account__in=sorted(account_roles(user)))
    return (
        count_capped(waiting, cap=cap, column="created_at"),
        count_capped(awaiting_decision_by(waiting, user=user), cap=mine_cap),
    )


@dataclass(frozen=True)
class SelectionTotals:
    """How many orders a selection holds, what was paid for them in each currency, and how many
    of them the user may not decide."""

    count: int
    paid_by_currency: dict[str, int]
    undecidable: int


def selection_totals(selection: QuerySet[Order], *, user, most: int) -> SelectionTotals:
    """Count and sum at most `most + 1` orders of the selection in one query, per currency (a user
    of several accounts may select orders of each); those the user may not decide are counted by
    `awaiting_decision_by`, the one rule in SQL."""
    chosen = Order.objects.filter(pk__in=selection.order_by().values("pk")[: most + 1])
    may = Count("pk", filter=Q(pk__in=awaiting_decision_by(chosen, user=user).values("pk")))
    rows = list(
        chosen.values("account__currency").annotate(orders=Count("pk"), paid=Sum("paid_value_cents"), may=may)
    )
    count = sum(row["orders"] for row in rows)
    return SelectionTotals(
        count=count,
        paid_by_currency={row["account__currency"]: row["paid"] or 0 for row in rows},
        undecidable=count - sum(row["may"] for row in rows),
    )


def selection_undecidable(selection: QuerySet[Order], *, user, most: int) -> list[str]:
    """The numbers of the first `most` orders of the selection the user may not decide."""
    decidable = awaiting_decision_by(selection, user=user).values("pk")
    return list(selection.exclude(pk__in=decidable).values_list("main_order_id", flat=True)[:most])


def orders_to_decide(*, user, order_ids) -> dict[int, Order]:
    """Return {id: order} of the given orders that are in the user's accounts, whatever their status."""
    queryset = Order.objects.filter(pk__in=list(order_ids)).select_related("connector", "account")
    if not user.is_superuser:
        queryset = queryset.filter(account__in=sorted(account_roles(user)))
    return {order.pk: order for order in queryset}


def order_approval_task(*, order: Order) -> ApprovalTask | None:
    return ApprovalTask.objects.select_related("decided_by").filter(order=order).first()


def approval_notices_waiting(*, task: ApprovalTask | None) -> list[ApprovalNotice]:
    """The task's notices still waiting for their approver's next digest e-mail: none once it is
    decided (the digest leaves decided orders out)."""
    if task is None or task.decision:
        return []
    return list(task.notices.filter(sent_at__isnull=True))


def bulk_decision_of(*, user, job_id: int) -> BulkDecision | None:
    """Return a bulk decision the user started (any, for a superuser)."""
    queryset = BulkDecision.objects.filter(pk=job_id)
    if not user.is_superuser:
        queryset = queryset.filter(user=user)
    return queryset.first()


# Why an order diverges ------------------------------------------------------------------------


def order_explanations(orders: Iterable[Order]) -> dict[int, Explanation]:
    """Each order's divergence broken down (`authorization.explanation`), by order pk.

    The orders' items must be fetched (`orders_list` prefetches them); the earlier prices of
    every SKU that was paid at another price than the seller's come in one query for all.
    """
    orders = list(orders)
    differing = {
        item.catalog_sku_id
        for order in orders
        for item in order.items.all()
        if item.catalog_sku_id is not None and item.price_cents != item.seller_price_cents
    }
    history = defaultdict(list)
    if differing:
        for sku_pk, price_cents, changed_at in (
            Sku.history.filter(id__in=differing)
            .order_by("id", "history_date")
            .values_list("id", "price_cents", "history_date")
        ):
            history[sku_pk].append((price_cents, changed_at))
    explanations = {}
    for order in orders:
        items = list(order.items.all())
        earlier = {
            item.sku_id: _periods_before(history.get(item.catalog_sku_id, ()), order.created_at)
            for item in items
        }
        explanations[order.pk] = divergence_explain(
            lines=[
                Line(
                    sku=item.sku_id,
                    name=item.name,
                    quantity=item.quantity,
                    paid_unit_cents=item.price_cents,
                    seller_unit_cents=item.seller_price_cents,
                    paid_freight_cents=item.freight_cents,
                    seller_freight_cents=item.seller_freight_cents,
                )
                for item in items
            ],
            seller_value_cents=order.seller_value_cents,
            paid_value_cents=order.paid_value_cents,
            # Freight of the marketplace's own delivery (isFob) is on neither side.
            marketplace_delivers=order.marketplace_freight_cents > 0,
            tax_cents=order.tax_cents,
            interest_cents=order.interest_cents,
            earlier_prices=earlier,
        )
    return explanations


def _periods_before(versions, moment) -> list[PricePeriod]:
    """The prices a SKU had that ended before `moment`, from its versions in date order."""
    return [
        PricePeriod(price_cents, until)
        for (price_cents, _since), (_next_price, until) in itertools.pairwise(versions)
        if until <= moment
    ]
