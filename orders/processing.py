"""Processing a submission: price it against the catalog, decide, reserve stock, record, notify.

Runs in a Celery task (`orders.tasks.process_intake`), or in the request for a connector of
the previous protocol that waits for the answer (`intake_process_now`). It is idempotent: a
submission is claimed with a compare-and-set on its status, and everything it writes — the
order, its items, the stock reservation, the events and the notifications — commits together
or not at all.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Q, StringAgg, Value
from django.db.models.functions import Cast
from django.utils import timezone

from authorization.approvals import approval_task_create
from authorization.decision import (
    IGNORED_DIVERGENCE,
    ConnectorFacts,
    Outcome,
    SubmissionDecision,
    SubmissionFacts,
    decide_submission,
)
from authorization.divergence import divergence_percent, paid_value_cents, seller_value_cents
from authorization.models import Account
from authorization.selectors import account_bands
from catalog.models import DeliveryChannel, PickupPoint, ShippingPolicy, Sku, Stock
from connectors.contract import (
    APPROVE_ORDER,
    PLACE_ORDER,
    SOURCE_CHECKOUT,
    SOURCE_FULFILLMENT,
    SOURCE_INTEGRATION,
    ContractError,
)
from connectors.notifications import notification_build, notifications_enqueue
from insight.services import ItemFacts, decision_record

from .locking import order_lock, stocks_lock
from .models import IntakeRecord, Order, OrderEvent, OrderItem
from .services import (
    SYSTEM,
    Actor,
    connector_actor,
    order_event_add,
    order_event_build,
    order_events_save,
    order_transition,
    stock_reserve,
)
from .statuses import IntakeStatus, OrderStatus, status_after_authorization

logger = logging.getLogger(__name__)

# How long a claim keeps other workers off a submission. A worker that dies mid-processing
# (killed, its host lost) holds it that long, after which the sweep queues it again; a live one
# that is merely slow keeps it anyway, by the row lock its transaction takes (`_still_claimed`).
LEASE = timedelta(seconds=60)


class Rejection(Exception):
    """The submission cannot become an order: the connector is told why."""

    def __init__(self, code: str, errors: list[ContractError], message: str | None = None):
        super().__init__(code)
        self.code, self.errors, self.message = code, errors, message


# ---------------------------------------------------------------------------------------------
# Claiming and outcome bookkeeping


def intake_claim(*, intake_id: int) -> IntakeRecord | None:
    """Take the submission for processing, unless it is done or another worker holds it."""
    now = timezone.now()
    claimed = (
        IntakeRecord.objects.filter(pk=intake_id)
        .filter(
            Q(status__in=[IntakeStatus.RECEIVED, IntakeStatus.FAILED])
            | Q(status=IntakeStatus.PROCESSING, lease_until__lt=now)
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(status=IntakeStatus.PROCESSING, lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return with_account(IntakeRecord.objects.select_related("account", "connector").get(pk=intake_id))


def with_account(intake: IntakeRecord) -> IntakeRecord:
    """Give the submission's connector its account, read with the submission: always the same
    account, but reading it through the connector would be a join more to plan."""
    if intake.connector.account_id == intake.account_id:
        intake.connector.account = intake.account
    return intake


def _still_claimed(intake: IntakeRecord) -> bool:
    """Lock the submission for this transaction, if this claim still holds it.

    A claim whose lease ran out may have been taken over; the lock makes a later claim wait
    until this transaction ends, and then find the submission done.
    """
    return (
        IntakeRecord.objects.select_for_update()
        .filter(pk=intake.pk, status=IntakeStatus.PROCESSING, attempts=intake.attempts)
        .exists()
    )


def intake_process(*, intake_id: int) -> str | None:
    """Process one submission; return its final status, or None when there was nothing to do."""
    intake = intake_claim(intake_id=intake_id)
    if intake is None:
        return None
    return intake_process_claimed(intake=intake)


def intake_process_claimed(*, intake: IntakeRecord) -> str | None:
    """Process a submission `intake_claim` gave; None when another claim took it over meanwhile."""
    try:
        with transaction.atomic():
            if not _still_claimed(intake):
                return None
            if intake.flow == PLACE_ORDER:
                _place(intake)
            else:
                _approve(intake)
    except Exception as error:
        IntakeRecord.objects.filter(
            pk=intake.pk, status=IntakeStatus.PROCESSING, attempts=intake.attempts
        ).update(
            status=IntakeStatus.FAILED, lease_until=None, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    return intake.status


def intake_process_now(*, intake_id: int) -> IntakeRecord:
    """Decide a place-order submission in the caller's transaction, for a connector that waits.

    This is the previous fulfillment protocol without `isCreatedAsync`: any divergence that the
    rule and the allowances would not count as none is refused (EOI003 with FMT007) instead of
    consulting the bands, and nothing is notified, since the answer to the request is the result.
    An unexpected error propagates, so the caller's transaction takes everything back.
    """
    intake = intake_claim(intake_id=intake_id)
    if intake is None or intake.flow != PLACE_ORDER:
        raise ValueError(f"Submission {intake_id} is not a place order waiting to be processed.")
    with transaction.atomic():
        _place(intake, answer_now=True)
    return intake


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


def _finish(intake: IntakeRecord, **outcome) -> None:
    values = finished(**outcome)
    for name, value in values.items():
        setattr(intake, name, value)
    intake.save(update_fields=list(values))


def _notification(
    intake: IntakeRecord, *, code: str, flow: str, errors=None, order: Order | None = None, message=None
):
    return notification_build(
        connector=intake.connector,
        account_name=intake.account.name,
        flow=flow,
        code=code,
        marketplace_order_id=intake.marketplace_order_id,
        operation_id=str(intake.operation_id),
        order=order,
        intake=intake,
        errors=errors,
        main_order_id=order.main_order_id if order else None,
        franchise_order_id=(order.franchise_order_id or None) if order else None,
        message=message,
    )


def _notify(intake: IntakeRecord, **notification) -> None:
    notifications_enqueue([_notification(intake, **notification)])


def _reject(intake: IntakeRecord, rejection: Rejection, *, notify: bool = True) -> None:
    _finish(intake, status=IntakeStatus.REJECTED, code=rejection.code, errors=rejection.errors)
    if notify:
        flow = PLACE_ORDER if intake.flow == PLACE_ORDER else APPROVE_ORDER
        _notify(intake, code=rejection.code, flow=flow, errors=rejection.errors, message=rejection.message)


# ---------------------------------------------------------------------------------------------
# Planning: what the order is worth to the seller, and where its items come from


@dataclass
class ItemPlan:
    index: int
    sku_id: str
    quantity: int
    price_cents: int
    declared_freight_cents: int
    delivery_channel: str
    sla: str
    seller_sku: Sku | None = None
    policy: ShippingPolicy | None = None
    pickup_point: PickupPoint | None = None
    seller_freight_cents: int = 0
    stock_candidates: list[Stock] = field(default_factory=list)


@dataclass
class OrderPlan:
    fulfilment_account: Account
    items: list[ItemPlan]


def _not_available(item: ItemPlan) -> ContractError:
    return ContractError(
        "FMT005", f"Item {item.sku_id}({item.index + 1}) is not available", SOURCE_FULFILLMENT
    )


def _sla_not_available(item: ItemPlan, sla: str | None = None) -> ContractError:
    name = f" {sla}" if sla else ""
    return ContractError(
        "FMT010",
        f"The selected SLA{name} for item {item.sku_id}({item.index + 1}) is not available",
        SOURCE_FULFILLMENT,
    )


def items_of(body: dict) -> list[ItemPlan]:
    logistics = body["shippingData"]["logisticsInfo"]
    return [
        ItemPlan(
            index=index,
            sku_id=item["id"],
            quantity=int(item["quantity"]),
            price_cents=int(item["price"]),
            declared_freight_cents=int(logistics[index]["price"]),
            delivery_channel=logistics[index]["selectedDeliveryChannel"],
            sla=(logistics[index].get("selectedSla") or "").strip(),
        )
        for index, item in enumerate(body["items"])
    ]


def _stock_rows(account: Account, sku_ids: set[str], warehouse_ids=None) -> dict[str, list[Stock]]:
    rows = Stock.objects.filter(
        account=account, sku__account=account, sku__sku_id__in=sku_ids
    ).select_related("sku", "warehouse")
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    by_sku: dict[str, list[Stock]] = {}
    for row in rows.order_by("pk"):
        by_sku.setdefault(row.sku.sku_id, []).append(row)
    return by_sku


def skus_and_stock(account: Account, sku_ids: set[str]) -> tuple[dict[str, Sku], dict[str, list[Stock]]]:
    """Return the account's SKUs of `sku_ids` and their stock rows: one query when each has stock."""
    stock = _stock_rows(account, sku_ids)
    skus = {rows[0].sku.sku_id: rows[0].sku for rows in stock.values()}
    if not sku_ids <= skus.keys():  # a SKU without stock, or none such: read the SKUs themselves
        skus = {sku.sku_id: sku for sku in Sku.objects.filter(account=account, sku_id__in=sku_ids)}
    return skus, stock


def _with_stock(rows: list[Stock], quantity: int) -> list[Stock]:
    """Stock rows that can give `quantity`, most available first."""
    return sorted(
        (row for row in rows if row.quantity - row.reserved >= quantity),
        key=lambda row: -(row.quantity - row.reserved),
    )


def active_policies(account: Account, *, picks_up: bool) -> list[ShippingPolicy]:
    """Return the account's active shipping policies, each with the pks of its warehouses in
    `warehouse_pks`, in one query (and one more for their pickup points when `picks_up`)."""
    policies = (
        ShippingPolicy.objects.filter(account=account, active=True)
        # DISTINCT: SQLite before 3.44 has no STRING_AGG, and Django writes GROUP_CONCAT for it then.
        .annotate(warehouse_list=StringAgg(Cast("warehouses__id", CharField()), Value(","), distinct=True))
        .order_by("pk")
    )
    if picks_up:
        policies = policies.prefetch_related("pickup_points")
    found = list(policies)
    for policy in found:
        policy.warehouse_pks = {int(pk) for pk in (policy.warehouse_list or "").split(",") if pk}
    return found


def plan_fulfilment(
    account: Account,
    items: list[ItemPlan],
    body: dict,
    sales_channel: str,
    read: tuple[dict[str, Sku], dict[str, list[Stock]]] | None = None,
    policies: list[ShippingPolicy] | None = None,
) -> list[ContractError]:
    """Find SLA, freight and stock for every item in `account`; return what is not available.

    `read` is the account's SKUs of the items and their stock rows, and `policies` its active
    shipping policies (without pickup points), when the caller has them.
    """
    shipping = body["shippingData"]
    is_fob = shipping.get("isFob") is True
    marketplace_fulfils = is_fob and shipping.get("isMarketplaceFulfillment") is True
    address = shipping["selectedAddresses"][0]
    sku_ids = {item.sku_id for item in items}
    local_skus, stock = read or skus_and_stock(account, sku_ids)
    picks_up = any(item.delivery_channel == DeliveryChannel.PICKUP_IN_POINT for item in items)
    if policies is None or picks_up:
        policies = active_policies(account, picks_up=picks_up)
    # Every pickup item goes to the one selected address: read its pickup point once.
    point = (
        PickupPoint.objects.filter(account=account, point_id=address.get("addressId") or "").first()
        if picks_up
        else None
    )
    problems: list[ContractError] = []
    for item in items:
        item.policy, item.pickup_point, item.seller_freight_cents, item.stock_candidates = None, None, 0, []
        local = local_skus.get(item.sku_id)
        if local is None or not local.active or sales_channel not in (local.sales_channels or []):
            problems.append(_not_available(item))
            continue
        rows = stock.get(item.sku_id, [])
        if item.delivery_channel == DeliveryChannel.PICKUP_IN_POINT:
            if point is None:
                problems.append(
                    ContractError(
                        "FMT005",
                        f"Pickup point {address.get('addressId')} is not available",
                        SOURCE_FULFILLMENT,
                    )
                )
                continue
            item.pickup_point = point
            candidates = [
                p
                for p in policies
                if p.delivery_channel == DeliveryChannel.PICKUP_IN_POINT
                and point in p.pickup_points.all()
                and (not item.sla or p.policy_id == item.sla)
            ]
            if item.sla and not candidates:
                problems.append(_sla_not_available(item, item.sla))
                continue
            chosen = min(candidates, key=lambda p: (p.freight_cents, p.policy_id), default=None)
            item.policy = chosen
            item.seller_freight_cents = (chosen.freight_cents if chosen else 0) * item.quantity
            item.stock_candidates = _with_stock(
                [row for row in rows if row.warehouse_id == point.warehouse_id], item.quantity
            )
        elif is_fob:
            if marketplace_fulfils:
                logistics = shipping["logisticsInfo"][item.index]
                wanted = {entry["warehouseId"] for entry in logistics.get("deliveryIds") or []}
                rows = [row for row in rows if row.warehouse.warehouse_id in wanted]
            item.stock_candidates = _with_stock(rows, item.quantity)
        else:
            delivery = [p for p in policies if p.delivery_channel == DeliveryChannel.DELIVERY]
            if item.sla:
                delivery = [p for p in delivery if p.policy_id == item.sla]
                if not delivery:
                    problems.append(_sla_not_available(item, item.sla))
                    continue
            elif not delivery:
                problems.append(_sla_not_available(item))
                continue
            for policy in sorted(delivery, key=lambda p: (p.freight_cents, p.policy_id)):
                candidates = _with_stock(
                    [row for row in rows if row.warehouse_id in policy.warehouse_pks], item.quantity
                )
                if candidates:
                    item.policy, item.stock_candidates = policy, candidates
                    item.seller_freight_cents = policy.freight_cents * item.quantity
                    break
        if not item.stock_candidates:
            problems.append(_not_available(item))
    return problems


def _fulfilment_accounts(main: Account, body: dict) -> list[Account]:
    """The accounts that may fulfil the order, in the order they are tried."""
    pickup_account_name = body.get("pickupAccountName")
    if body.get("allowFranchises") is not True:
        return [main]
    if pickup_account_name:
        if pickup_account_name == main.name:
            return [main]
        franchise = main.franchises.filter(name=pickup_account_name).first()
        if franchise is None:
            raise Rejection(
                "EOI002",
                [
                    ContractError(
                        "FMT005",
                        f"Account {pickup_account_name} is not a franchise of {main.name}",
                        SOURCE_FULFILLMENT,
                    )
                ],
            )
        return [franchise]
    return [main, *main.franchises.order_by("name")]


def plan_order(*, intake: IntakeRecord) -> OrderPlan:
    """Price and place every item, or raise `Rejection` (EOI004 unknown item, EOI002 not available)."""
    body, main = intake.body, intake.account
    items = items_of(body)
    seller_skus, seller_stock = skus_and_stock(main, {item.sku_id for item in items})
    unknown = [item for item in items if item.sku_id not in seller_skus]
    if unknown:
        raise Rejection(
            "EOI004",
            [
                ContractError("ORD027", f"Item {item.sku_id} not found or unavailable", SOURCE_CHECKOUT)
                for item in unknown
            ],
        )
    for item in items:
        item.seller_sku = seller_skus[item.sku_id]
    first_problems = None
    for account in _fulfilment_accounts(main, body):
        problems = plan_fulfilment(
            account,
            items,
            body,
            intake.connector.sales_channel,
            read=(seller_skus, seller_stock) if account.pk == main.pk else None,
        )
        if not problems:
            return OrderPlan(fulfilment_account=account, items=items)
        first_problems = first_problems or problems
    raise Rejection("EOI002", first_problems)


# ---------------------------------------------------------------------------------------------
# Placing an order


def _lock_ttl(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)(d|bd)", value or "")
    if not match:
        return timedelta(days=1)
    days = int(match.group(1))
    if match.group(2) == "bd":  # business days: whole weeks plus the remainder, skipping weekends roughly
        days = days + 2 * (days // 5)
    return timedelta(days=days)


def _values(body: dict, items: list[ItemPlan]) -> dict:
    is_fob = body["shippingData"].get("isFob") is True
    tax = sum(int(entry["value"]) for entry in body.get("taxData") or [])
    interest = int(body.get("marketplaceInterestValue") or 0)
    marketplace_freight = sum(item.declared_freight_cents for item in items) if is_fob else 0
    seller = seller_value_cents(
        item_lines=[(item.seller_sku.price_cents, item.quantity) for item in items],
        freight_lines=[] if is_fob else [(item.seller_freight_cents, 1) for item in items],
        tax_cents=tax,
        interest_cents=interest,
    )
    payment = int(body["marketplacePaymentValue"])
    paid = paid_value_cents(payment_value_cents=payment, marketplace_freight_cents=marketplace_freight)
    return {
        "payment_value_cents": payment,
        "interest_cents": interest,
        "tax_cents": tax,
        "marketplace_freight_cents": marketplace_freight,
        "seller_value_cents": seller,
        "paid_value_cents": paid,
        "divergence_percent": divergence_percent(seller_value_cents=seller, paid_value_cents=paid),
    }


def _order_ids(intake: IntakeRecord, fulfilment_account: Account) -> tuple[str, str]:
    base = f"{intake.connector.affiliate_id}-{intake.marketplace_order_id}"
    if fulfilment_account.pk == intake.account_id:
        return base, ""
    prefix = fulfilment_account.order_prefix or fulfilment_account.name.upper()
    return f"{base}-01", f"{prefix}-{base}-01"


def _divergence_rejection(
    values: dict, decision, *, has_rule: bool, refused_at_once: bool = False
) -> Rejection:
    seller, paid = values["seller_value_cents"], values["paid_value_cents"]
    if refused_at_once:
        where = "an order placed without isCreatedAsync is refused whatever the rule"
    elif not has_rule:
        where = "the seller has no price divergence rule"
    elif decision.decision.band is not None:
        band = decision.decision.band
        where = f"the rule denies {band.lower_percent:.2f}–{band.upper_percent:.2f} %"
    elif decision.decision.reason == "gap":
        where = "it falls in a gap of the rule, where orders are not integrated"
    else:
        where = "it is above the last band of the rule"
    return Rejection(
        "EOI003",
        [
            ContractError(
                "FMT007",
                f"Payment total ({paid}) differs from store desired value ({seller})",
                SOURCE_FULFILLMENT,
            ),
            ContractError(
                "DIVERGENCE",
                f"Price divergence of {values['divergence_percent']} %: {where}",
                SOURCE_INTEGRATION,
            ),
        ],
    )


def _reserve(plan: OrderPlan) -> dict[int, Stock]:
    """Reserve every item's units; raise `OutOfStock`-style `Rejection` naming the first short SKU.

    The items' rows are tried most available first, so they are locked by key beforehand
    (`orders.locking`): in the order they are tried, two orders could each hold a row of the other.
    """
    chosen: dict[int, Stock] = {}
    candidates = {row.pk for item in plan.items for row in item.stock_candidates}
    if len(candidates) > 1:
        stocks_lock(candidates)
    for item in sorted(plan.items, key=lambda i: min((row.pk for row in i.stock_candidates), default=0)):
        for row in item.stock_candidates:
            if stock_reserve(stock_id=row.pk, quantity=item.quantity):
                chosen[item.index] = row
                break
        else:
            raise Rejection("EOI002", [_not_available(item)])
    return chosen


def _already_exists(intake: IntakeRecord) -> Rejection:
    return Rejection(
        "EOI007",
        [
            ContractError(
                "FMT009",
                f"The request order with marketplace order id {intake.marketplace_order_id} for affiliate "
                f"{intake.connector.affiliate_id} already exists",
                SOURCE_FULFILLMENT,
            )
        ],
    )


@dataclass
class Decided:
    """A planned submission, valued and decided by the account's rule: what writing it needs."""

    plan: OrderPlan
    values: dict
    bands: list
    has_rule: bool
    item_divergences: list[Decimal]
    facts: SubmissionFacts
    submission: SubmissionDecision

    @property
    def decision(self):
        return self.submission.decision

    @property
    def outcome(self) -> Outcome:
        return self.submission.outcome


def intake_decide(intake: IntakeRecord, plan: OrderPlan, bands: list | None) -> Decided:
    """Value the planned submission and decide it by the account's `bands` (None: it has no rule)."""
    body = intake.body
    values = _values(body, plan.items)
    item_divergences = [
        divergence_percent(seller_value_cents=item.seller_sku.price_cents, paid_value_cents=item.price_cents)
        for item in plan.items
    ]
    facts = SubmissionFacts(
        connector=ConnectorFacts.of(intake.connector),
        divergence_percent=values["divergence_percent"],
        item_divergences=tuple(item_divergences),
        allowance_rate=Decimal(str(body["priceDivergenceAllowanceRate"]))
        if body.get("priceDivergenceAllowanceRate") is not None
        else None,
        ignore_divergence=intake.ignore_divergence,
    )
    submission = decide_submission(
        facts=facts,
        bands=bands or [],
        has_rule=bands is not None,
        no_rule_policy=intake.account.no_rule_policy,
        overpayment_is_divergence=intake.account.overpayment_is_divergence,
    )
    return Decided(plan, values, bands or [], bands is not None, item_divergences, facts, submission)


def order_status_of(intake: IntakeRecord, decided: Decided) -> tuple[str, bool]:
    """The status an integrated order starts in, and whether the marketplace posted it approved."""
    marketplace_approved = str(intake.body["marketplaceOrderStatus"]).lower() == "approved"
    if decided.outcome is Outcome.MANUAL:
        return OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION, marketplace_approved
    return status_after_authorization(marketplace_approved=marketplace_approved), marketplace_approved


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
            note="Divergence ignored on reprocessing." if ignored else _decision_note(decision),
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


def _place(intake: IntakeRecord, *, answer_now: bool = False) -> None:
    """Integrate the submission or reject it; `answer_now` as `intake_process_now` describes."""
    connector = intake.connector
    notify = not answer_now
    if Order.objects.filter(connector=connector, marketplace_order_id=intake.marketplace_order_id).exists():
        _reject(intake, _already_exists(intake), notify=notify)
        return
    try:
        plan = plan_order(intake=intake)
    except Rejection as rejection:
        _reject(intake, rejection, notify=notify)
        return

    decided = intake_decide(intake, plan, account_bands(account=intake.account))
    decision, outcome = decided.decision, decided.outcome
    if answer_now and decision.decision.outcome is not Outcome.NO_DIVERGENCE:
        refusal = _divergence_rejection(
            decided.values, decision, has_rule=decided.has_rule, refused_at_once=True
        )
        _reject(intake, refusal, notify=False)
        return
    if outcome is Outcome.HELD:
        _finish(
            intake,
            status=IntakeStatus.HELD,
            held_reason=decision.held_reason,
            held_until_rule=decision.route == "hold-until-rule",
        )
        _record(intake, decided)
        return
    if outcome is Outcome.DENY:
        _reject(
            intake, _divergence_rejection(decided.values, decision, has_rule=decided.has_rule), notify=notify
        )
        _record(intake, decided)
        return

    order = None
    try:
        # The order and all it writes, or nothing (a savepoint: a refusal is written instead).
        # Rows every order of a connector, a day or a SKU writes to — the rollups and the stock —
        # come last, so their locks are held only until the commit: concurrent workers would
        # otherwise queue on them for the whole transaction.
        with transaction.atomic():
            built = order_build(intake, decided, now=timezone.now())
            built.save(force_insert=True)
            order = built  # saved: an integrity error from here on is not a duplicate order
            if order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
                approval_task_create(order=order, band=order.band or {})
            order_events_save(integration_events(intake, order, decided))
            _finish(intake, status=IntakeStatus.INTEGRATED, code="SOI001", order=order)
            if notify:
                _notify_integrated(intake, order)
            _record(intake, decided, order=order)
            OrderItem.objects.bulk_create(order_items_build(order, decided, _reserve(plan)))
    except Rejection as rejection:
        _reject(intake, rejection, notify=notify)
    except IntegrityError:
        if order is not None:
            raise
        # The same marketplace order was integrated by a concurrent submission.
        _reject(intake, _already_exists(intake), notify=notify)


def _notify_integrated(intake: IntakeRecord, order: Order) -> None:
    """Tell the connector the order is integrated (and approved, or its approval remembered)."""
    notifications, events = integration_notifications(intake, order)
    order_events_save(events)
    notifications_enqueue(notifications)


def integration_notifications(intake: IntakeRecord, order: Order) -> tuple[list, list[OrderEvent]]:
    """The notifications of an integrated order, and the event that a remembered approval
    writes, neither saved yet: SOI001, then SOI002 when it was posted approved and is
    authorized, or EOI011 when it waits for the seller."""
    notifications = [_notification(intake, code="SOI001", flow=PLACE_ORDER, order=order)]
    if str(intake.body["marketplaceOrderStatus"]).lower() != "approved":
        return notifications, []
    if order.status != OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        return [*notifications, _notification(intake, code="SOI002", flow=APPROVE_ORDER, order=order)], []
    remembered = order_event_build(
        order=order,
        kind=OrderEvent.Kind.APPROVAL_REQUESTED,
        actor=connector_actor(intake.connector),
        note="Posted as approved: applied once the order is authorized.",
    )
    return [*notifications, _notification(intake, code="EOI011", flow=APPROVE_ORDER, order=order)], [
        remembered
    ]


def _record(intake: IntakeRecord, decided: Decided, order: Order | None = None) -> None:
    """Keep what the rule read and decided, for the dashboard and the replay of past orders."""
    decision_record(**record_facts(intake, decided, order=order))


def record_facts(intake: IntakeRecord, decided: Decided, order: Order | None = None) -> dict:
    """What `insight.services.decision_record_build` needs of a decided submission."""
    return {
        "intake": intake,
        "facts": decided.facts,
        "submission": decided.submission,
        "paid_value_cents": decided.values["paid_value_cents"],
        "seller_value_cents": decided.values["seller_value_cents"],
        "items": [
            ItemFacts(item.sku_id, item.quantity, item.price_cents, item.seller_sku.price_cents)
            for item in decided.plan.items
        ],
        "order": order,
    }


def _decision_note(decision) -> str:
    outcome = decision.decision.outcome.value
    band = decision.decision.band
    if band is not None:
        return (
            f"{outcome} by the band {band.lower_percent:.2f}–{band.upper_percent:.2f} % ({decision.route})."
        )
    return f"{outcome} ({decision.route}, {decision.decision.reason.value})."


# ---------------------------------------------------------------------------------------------
# The marketplace approves an order (PUT /orders/status)


def _approve(intake: IntakeRecord) -> None:
    order = Order.objects.filter(
        connector=intake.connector, marketplace_order_id=intake.marketplace_order_id
    ).first()
    if order is None:
        _reject(
            intake,
            Rejection(
                "EOI008",
                [ContractError("EOI008", f"Order {intake.marketplace_order_id} is not integrated yet")],
            ),
        )
        return
    result = order_marketplace_approve(order=order, actor=connector_actor(intake.connector))
    if result == "refused":
        _reject(
            intake,
            Rejection(
                "EOI009",
                [
                    ContractError(
                        "EOI009", f"Order {order.main_order_id} is {order.status} and cannot be approved"
                    )
                ],
            ),
        )
        return
    code = "EOI011" if result == "remembered" else "SOI002"
    _finish(
        intake,
        status=IntakeStatus.INTEGRATED if code == "SOI002" else IntakeStatus.REJECTED,
        code=code,
        order=order,
    )
    _notify(intake, code=code, flow=APPROVE_ORDER, order=order)


def order_marketplace_approve(*, order: Order, actor: Actor) -> str:
    """Apply the marketplace's approval; return "approved", "remembered" (waiting for the seller) or "refused".

    Call it in a transaction: the order is locked (`orders.locking`) and judged as it is then.
    """
    order_lock(order)
    if order.status == OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION:
        if order.approval_requested_at is None:
            Order.objects.filter(pk=order.pk).update(approval_requested_at=timezone.now())
            order_event_add(
                order=order,
                kind=OrderEvent.Kind.APPROVAL_REQUESTED,
                actor=actor,
                note="The marketplace asked to approve: applied once the order is authorized.",
            )
        return "remembered"
    if order.status == OrderStatus.PAYMENT_PENDING:
        order_transition(
            order=order,
            to_status=OrderStatus.READY_FOR_HANDLING,
            actor=actor,
            note="Approved by the marketplace.",
            extra_updates={"marketplace_approved": True},
        )
        return "approved"
    if order.marketplace_approved and order.status in (
        OrderStatus.READY_FOR_HANDLING,
        OrderStatus.HANDLING,
        OrderStatus.INVOICED,
    ):
        return "approved"
    return "refused"
