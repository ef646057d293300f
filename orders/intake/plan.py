"""Plan: what each item of a submission is worth to the seller and where it comes from.

Which account fulfils the order (the seller, or one of its franchises), and for every item
its SKU, shipping policy (or pickup point), freight and the stock rows that could give it; or
the reasons it cannot be placed (`Rejection`, told to the connector).
"""

from dataclasses import dataclass, field

from accounts.models import Account
from catalog.availability import active_policies, freight_order, sellable, skus_and_stock, with_stock
from catalog.models import DeliveryChannel, PickupPoint, ShippingPolicy, Sku, Stock
from connectors.contract import SOURCE_CHECKOUT, SOURCE_FULFILLMENT, ContractError

from ..models import IntakeRecord
from .account_settings import AccountSettings


class Rejection(Exception):
    """The submission cannot become an order: the connector is told why."""

    def __init__(self, code: str, errors: list[ContractError], message: str | None = None):
        super().__init__(code)
        self.code, self.errors, self.message = code, errors, message


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


def not_available(item: ItemPlan) -> ContractError:
    return ContractError(
        "FMT005", f"Item {item.sku_id}({item.index + 1}) is not available", SOURCE_FULFILLMENT
    )


def sla_not_available(item: ItemPlan, sla: str | None = None) -> ContractError:
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


def plan_fulfilment(
    account: Account,
    items: list[ItemPlan],
    body: dict,
    sales_channel: str,
    read: tuple[dict[str, Sku], dict[str, list[Stock]]] | None = None,
    policies: list[ShippingPolicy] | None = None,
    pickup_points: dict[str, PickupPoint] | None = None,
) -> list[ContractError]:
    """Find SLA, freight and stock for every item in `account`; return what is not available.

    `read` is the account's SKUs of the items and their stock rows, `policies` its active
    shipping policies (each with its pickup points) and `pickup_points` its pickup points by id,
    when the caller has them.
    """
    shipping = body["shippingData"]
    is_fob = shipping.get("isFob") is True
    marketplace_fulfils = is_fob and shipping.get("isMarketplaceFulfillment") is True
    address = shipping["selectedAddresses"][0]
    sku_ids = {item.sku_id for item in items}
    local_skus, stock = read or skus_and_stock(account, sku_ids)
    picks_up = any(item.delivery_channel == DeliveryChannel.PICKUP_IN_POINT for item in items)
    if policies is None:
        policies = active_policies(account, picks_up=picks_up)
    # Every pickup item goes to the one selected address: its pickup point, read once.
    point_id = address.get("addressId") or ""
    if not picks_up:
        point = None
    elif pickup_points is not None:
        point = pickup_points.get(point_id)
    else:
        point = PickupPoint.objects.filter(account=account, point_id=point_id).first()
    problems: list[ContractError] = []
    for item in items:
        item.policy, item.pickup_point, item.seller_freight_cents, item.stock_candidates = None, None, 0, []
        local = local_skus.get(item.sku_id)
        if not sellable(local, sales_channel):
            problems.append(not_available(item))
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
                problems.append(sla_not_available(item, item.sla))
                continue
            chosen = min(candidates, key=freight_order, default=None)
            item.policy = chosen
            item.seller_freight_cents = (chosen.freight_cents if chosen else 0) * item.quantity
            item.stock_candidates = with_stock(
                [row for row in rows if row.warehouse_id == point.warehouse_id], item.quantity
            )
        elif is_fob:
            if marketplace_fulfils:
                logistics = shipping["logisticsInfo"][item.index]
                wanted = {entry["warehouseId"] for entry in logistics.get("deliveryIds") or []}
                rows = [row for row in rows if row.warehouse.warehouse_id in wanted]
            item.stock_candidates = with_stock(rows, item.quantity)
        else:
            delivery = [p for p in policies if p.delivery_channel == DeliveryChannel.DELIVERY]
            if item.sla:
                delivery = [p for p in delivery if p.policy_id == item.sla]
                if not delivery:
                    problems.append(sla_not_available(item, item.sla))
                    continue
            elif not delivery:
                problems.append(sla_not_available(item))
                continue
            for policy in sorted(delivery, key=freight_order):
                candidates = with_stock(
                    [row for row in rows if row.warehouse_id in policy.warehouse_pks], item.quantity
                )
                if candidates:
                    item.policy, item.stock_candidates = policy, candidates
                    item.seller_freight_cents = policy.freight_cents * item.quantity
                    break
        if not item.stock_candidates:
            problems.append(not_available(item))
    return problems


def _fulfilment_accounts(main: Account, body: dict, franchises: list[Account] | None) -> list[Account]:
    """The accounts that may fulfil the order, in the order they are tried; `franchises` are
    the seller's, by name, when the caller has them."""
    pickup_account_name = body.get("pickupAccountName")
    if body.get("allowFranchises") is not True:
        return [main]
    if franchises is None:
        franchises = list(main.franchises.order_by("name"))
    if pickup_account_name:
        if pickup_account_name == main.name:
            return [main]
        franchise = next((each for each in franchises if each.name == pickup_account_name), None)
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
    return [main, *franchises]


def plan_order(*, intake: IntakeRecord, read=None, settings: AccountSettings | None = None) -> OrderPlan:
    """Price and place every item, or raise `Rejection` (EOI004 unknown item, EOI002 not available).

    `read` is the seller's SKUs and stock rows (of these items at least), when a batch read them
    for all of its submissions, and `settings` the seller's as kept (`account_settings`).
    """
    body, main = intake.body, intake.account
    items = items_of(body)
    seller_skus, seller_stock = read or skus_and_stock(main, {item.sku_id for item in items})
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
    for account in _fulfilment_accounts(main, body, settings.franchises if settings else None):
        kept = settings if settings is not None and account.pk == main.pk else None
        problems = plan_fulfilment(
            account,
            items,
            body,
            intake.connector.sales_channel,
            read=(seller_skus, seller_stock) if account.pk == main.pk else None,
            policies=kept.policies if kept else None,
            pickup_points=kept.pickup_points if kept else None,
        )
        if not problems:
            return OrderPlan(fulfilment_account=account, items=items)
        first_problems = first_problems or problems
    raise Rejection("EOI002", first_problems)


def already_exists(intake: IntakeRecord) -> Rejection:
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
