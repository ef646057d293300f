"""Write: everything a batch of decided submissions becomes, a statement a table.

The orders, their approval tasks, events, the submissions' outcomes, the notifications, the
decision records with their rollups, then the stock and the items: the rows every order of a
connector, a day or a SKU writes to (rollups, stock) come last, so their locks are held only
until the commit, and a batch of one writes exactly what a batch of a hundred writes of it.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from django.db import IntegrityError, connection
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from accounts.models import Account
from authorization.decision import IGNORED_DIVERGENCE
from catalog.models import Stock
from connectors.notifications import notifications_enqueue
from kit.inserts import insert_many, update_many
from kit.together import send, statements_together

from ..approvals import approval_tasks_create
from ..events import SYSTEM, Actor, connector_actor, order_event_build, order_events_save
from ..models import IntakeRecord, Order, OrderEvent, OrderItem
from ..reservations import stocks_reserve
from ..signals import submissions_decided
from ..statuses import IntakeStatus, OrderStatus
from .decide import Decided, decision_note, order_status_of
from .plan import OrderPlan, Rejection, not_available
from .publish import integration_notifications, record_facts, rejection_notification


def finished(
    *, status: str, code: str = "", errors=(), order=None, held_reason="", held_until_rule=False
) -> dict:
    """What a submission's record says once it is decided: the fields and their values."""
    return {
        "status": status,
        "code": code,
        "order": order,
        "errors": [error.as_dict() for error in errors],
        "held_reason": held_reason,
        "held_until_rule": held_until_rule,
        "processed_at": timezone.now(),
        "lease_until": None,
        "last_error": "",
    }


def finish(intake: IntakeRecord, **outcome) -> None:
    """Save the submission's outcome (`finished`) on its own."""
    values = finished(**outcome)
    for name, value in values.items():
        setattr(intake, name, value)
    intake.save(update_fields=[*values, "attempts"])  # the claim counted this attempt


def _lock_ttl(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)(d|bd)", value or "")
    if not match:
        return timedelta(days=1)
    days = int(match.group(1))
    if match.group(2) == "bd":  # business days: whole weeks plus the remainder, skipping weekends roughly
        days = days + 2 * (days // 5)
    return timedelta(days=days)


def _order_ids(intake: IntakeRecord, fulfilment_account: Account) -> tuple[str, str]:
    base = f"{intake.connector.affiliate_id}-{intake.marketplace_order_id}"
    if fulfilment_account.pk == intake.account_id:
        return base, ""
    prefix = fulfilment_account.order_prefix or fulfilment_account.name.upper()
    return f"{base}-01", f"{prefix}-{base}-01"


def order_build(intake: IntakeRecord, decided: Decided, *, now) -> Order:
    """The order an integrated submission becomes, not saved yet."""
    body, plan, values = intake.body, decided.plan, decided.values
    status, marketplace_approved = order_status_of(intake, decided)
    main_order_id, franchise_order_id = _order_ids(intake, plan.fulfilment_account)
    ttl = min(
        (_lock_ttl(info.get("lockTTL")) for info in body["shippingData"]["logisticsInfo"]),
        default=timedelta(days=1),
    )
    profile = body["clientProfileData"]
    decision, ignored = decided.decision, decided.submission.ignored
    waiting = status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
    return Order(
        account=intake.account,
        connector=intake.connector,
        marketplace_order_id=intake.marketplace_order_id,
        main_order_id=main_order_id,
        franchise_account=None
        if plan.fulfilment_account.pk == intake.account_id
        else plan.fulfilment_account,
        franchise_order_id=franchise_order_id,
        status=status,
        marketplace_approved=marketplace_approved and not waiting,
        approval_requested_at=now if marketplace_approved and waiting else None,
        payload=body,
        allowance_rate=body.get("priceDivergenceAllowanceRate"),
        outcome="authorize" if ignored else decision.decision.outcome.value,
        decision_route="" if ignored else decision.route.value,
        decision_reason=IGNORED_DIVERGENCE if ignored else decision.decision.reason.value,
        band=decision.decision.band.as_dict() if decision.decision.band else None,
        rule_snapshot=[band.as_dict() for band in decided.bands],
        customer_email=profile.get("email") or "",
        customer_name=f"{profile.get('firstName', '')} {profile.get('lastName', '')}".strip(),
        reservation_expires_at=now + ttl,
        **values,
    )


def integration_events(intake: IntakeRecord, order: Order, decided: Decided) -> list[OrderEvent]:
    """The events of an order's integration, not saved yet: created, then decided."""
    values, decision, ignored = decided.values, decided.decision, decided.submission.ignored
    return [
        order_event_build(
            order=order,
            kind=OrderEvent.Kind.CREATED,
            actor=connector_actor(intake.connector),
            to_status=order.status,
            note=f"Integrated from {intake.connector.name}: paid {values['paid_value_cents']}, seller value "
            f"{values['seller_value_cents']}, divergence {values['divergence_percent']} %.",
        ),
        order_event_build(
            order=order,
            kind=OrderEvent.Kind.DECISION,
            actor=Actor.of_user(intake.reprocessed_by) if ignored and intake.reprocessed_by else SYSTEM,
            note="Divergence ignored on reprocessing." if ignored else decision_note(decision),
            data={
                "route": str(decision.route),
                "outcome": order.outcome,
                "reason": decision.decision.reason.value,
                "divergencePercent": str(values["divergence_percent"]),
                "band": order.band,
            },
        ),
    ]


def order_items_build(order: Order, decided: Decided, reserved: dict[int, Stock]) -> list[OrderItem]:
    """The order's item lines, not saved yet; `reserved` is the stock row of each item's index."""
    return [
        OrderItem(
            order=order,
            index=item.index,
            catalog_sku=item.seller_sku,
            sku_id=item.sku_id,
            name=item.seller_sku.name,
            quantity=item.quantity,
            price_cents=item.price_cents,
            seller_price_cents=item.seller_sku.price_cents,
            freight_cents=item.declared_freight_cents,
            seller_freight_cents=item.seller_freight_cents,
            delivery_channel=item.delivery_channel,
            sla=item.policy.policy_id if item.policy else item.sla,
            shipping_policy=item.policy,
            pickup_point=item.pickup_point,
            stock=reserved[item.index],
            reserved_quantity=item.quantity,
            divergence_percent=decided.item_divergences[position],
        )
        for position, item in enumerate(decided.plan.items)
    ]


@dataclass
class Processed:
    """What became of one submission, for `processed_write`: integrated, held or refused."""

    intake: IntakeRecord
    status: str
    decided: Decided | None = None
    rejection: Rejection | None = None
    reserved: dict[int, Stock] = field(default_factory=dict)
    notify: bool = True
    recorded: bool = False  # whether its decision is kept (a decided submission's)
    order: Order | None = None

    @classmethod
    def refused(cls, intake, rejection: Rejection, *, notify: bool, decided: Decided | None = None):
        return cls(
            intake, IntakeStatus.REJECTED, decided, rejection, notify=notify, recorded=decided is not None
        )

    @classmethod
    def held(cls, intake, decided: Decided):
        return cls(intake, IntakeStatus.HELD, decided, notify=False, recorded=True)

    @classmethod
    def placed(cls, intake, decided: Decided, reserved: dict[int, Stock], *, notify: bool):
        return cls(intake, IntakeStatus.INTEGRATED, decided, reserved=reserved, notify=notify, recorded=True)

    def finished(self) -> dict:
        if self.status == IntakeStatus.HELD:
            decision = self.decided.decision
            return finished(
                status=self.status,
                held_reason=decision.held_reason,
                held_until_rule=decision.route == "hold-until-rule",
            )
        if self.rejection is not None:
            return finished(status=self.status, code=self.rejection.code, errors=self.rejection.errors)
        return finished(status=self.status, code="SOI001", order=self.order)


class StockChooser:
    """The stock rows a batch reserves from, with what the batch has taken of each so far."""

    def __init__(self):
        self.taken: dict[int, int] = defaultdict(int)

    def choose(self, plan: OrderPlan) -> dict[int, Stock]:
        """Take a row for each item, or none at all: raise `Rejection` naming the first short item.

        Items are tried in the order of their rows' keys, the order their rows are locked in.
        """
        chosen, wanted = {}, defaultdict(int)
        for item in sorted(plan.items, key=lambda i: min((row.pk for row in i.stock_candidates), default=0)):
            for row in item.stock_candidates:
                left = row.quantity - row.reserved - self.taken[row.pk] - wanted[row.pk]
                if left >= item.quantity:
                    chosen[item.index] = row
                    wanted[row.pk] += item.quantity
                    break
            else:
                raise Rejection("EOI002", [not_available(item)])
        for pk, quantity in wanted.items():
            self.taken[pk] += quantity
        return chosen


class ReadChanged(Exception):
    """What the batch read changed before it wrote: its submissions are processed again."""


class StockMoved(ReadChanged):
    """Another worker reserved units the batch counted on between its read and its write."""


class OrderExists(ReadChanged):
    """Another worker integrated an order of the batch between its read and its write."""


def processed_write(batch: list[Processed], *, taken: dict[int, int]) -> None:
    """Write what the batch's submissions became, a statement a table; the shared rows
    (rollups, stock) last, so their locks are held only until the commit."""
    placed = _orders_write([each for each in batch if each.status == IntakeStatus.INTEGRATED])
    with statements_together():
        _rest_write(batch, placed, taken)


def _rest_write(batch: list[Processed], placed: list[Processed], taken: dict[int, int]) -> None:
    """What follows the orders: the statements whose answer nobody reads now go with the next
    that waits (`kit.together`): for a batch holding nobody, the notifications with the events
    (whose keys the feed reads), the rest with the block's end, two round trips instead of six."""
    events, notifications = [], []
    for each in batch:
        intake = each.intake
        if each.order is not None:
            events += integration_events(intake, each.order, each.decided)
            if each.notify:
                sent, remembered = integration_notifications(intake, each.order)
                notifications += sent
                events += remembered
        elif each.rejection is not None and each.notify:
            notifications.append(rejection_notification(intake, each.rejection))
        for name, value in each.finished().items():
            setattr(intake, name, value)
    # The worker delivers a small batch's notifications itself after commit: no second task to wait
    # for. Queued before anything else is, so the connector hears first, then the rest is queued.
    notifications_enqueue(notifications, deliver_here=True)
    order_events_save(events)
    _intakes_finish(batch)
    tasks = approval_tasks_create(
        orders=[o.order for o in placed if o.order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION]
    )
    _records_write(batch, tasks)
    insert_many(
        (item for each in placed for item in order_items_build(each.order, each.decided, each.reserved)),
        wait=False,
    )
    stocks_reserve(dict(taken), short=_stock_moved)


def _stock_moved() -> None:
    raise StockMoved()


def _orders_write(placed: list[Processed]) -> list[Processed]:
    """Insert the orders; raise `OrderExists` when one of them is there already.

    A concurrent submission of the same marketplace order inserted it first: the batch is taken
    back, and its submissions, processed again alone, find it (EOI007 for that one).
    """
    if not placed:
        return []
    now = timezone.now()
    try:
        orders = insert_many(order_build(each.intake, each.decided, now=now) for each in placed)
    except IntegrityError as error:
        raise OrderExists() from error
    for each, order in zip(placed, orders, strict=True):
        each.order = order
    return placed


def _intakes_finish(batch: list[Processed]) -> None:
    """Save the submissions' batch: the integrated ones in one statement, the others in another."""
    integrated = [each for each in batch if each.order is not None]
    if integrated:
        values = finished(status=IntakeStatus.INTEGRATED, code="SOI001")
        if connection.vendor == "postgresql":
            send(
                _integrated_sql(tuple(values)),
                [
                    *(
                        IntakeRecord._meta.get_field(name).get_db_prep_save(value, connection)
                        for name, value in values.items()
                        if name != "order"
                    ),
                    [each.intake.pk for each in integrated],
                    [each.order.pk for each in integrated],
                ],
            )
        else:
            its_order = (
                Order.objects.filter(
                    connector_id=OuterRef("connector_id"),
                    marketplace_order_id=OuterRef("marketplace_order_id"),
                )
                .order_by()
                .values("pk")[:1]
            )
            IntakeRecord.objects.filter(pk__in=[each.intake.pk for each in integrated]).update(
                **{**values, "order": Subquery(its_order), "attempts": F("attempts") + 1}
            )
    others = [each.intake for each in batch if each.order is None]
    if others:
        update_many(others, [*finished(status=""), "attempts"])


@cache
def _integrated_sql(names: tuple[str, ...]) -> str:
    """The integrated submissions' UPDATE on PostgreSQL, built once: the same outcome for each,
    its own order, and the attempt the claim counted."""
    quote, meta = connection.ops.quote_name, IntakeRecord._meta
    column = {name: quote(meta.get_field(name).column) for name in (*names, "attempts")}
    same = ", ".join(f"{column[name]} = %s" for name in names if name != "order")
    return (
        f"UPDATE {quote(meta.db_table)} AS r SET {same}, {column['order']} = u.order_id, "
        f"{column['attempts']} = r.{column['attempts']} + 1 "
        f"FROM UNNEST(%b::bigint[], %b::bigint[]) AS u(id, order_id) WHERE r.{quote(meta.pk.column)} = u.id"
    )


def _records_write(batch: list[Processed], tasks) -> None:
    """Tell the apps that keep what the rule read and decided (insight: the dashboard, the replay
    of past orders, the queue's pictures; operations: the metrics), in the batch's transaction."""
    refused = [each.rejection.code for each in batch if each.rejection is not None]
    batch = [each for each in batch if each.recorded]
    first = [each for each in batch if each.intake.reprocessed_at is None]
    firsts = {each.order.pk for each in first if each.order is not None}
    submissions_decided.send(
        sender=IntakeRecord,
        first=[record_facts(each.intake, each.decided, order=each.order) for each in first],
        again=[
            record_facts(each.intake, each.decided, order=each.order)
            for each in batch
            if each.intake.reprocessed_at is not None
        ],
        waiting=[task for task in tasks if task.order_id in firsts],
        refused=refused,
    )
