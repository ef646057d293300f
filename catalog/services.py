"""Writes to the catalog: SKUs with their prices and stock, shipping policies, pickup points.

Each upsert takes a list of rows (`catalog/rows.py`) and is all-or-nothing: every row is checked
first and, when any is bad, `CatalogInvalid` carries the problems of every bad row and nothing is
saved. A row updates the account's entry with the same id or creates it; entries missing from
the list are left as they are (an upsert never deletes).

A warehouse id is the seller's own name for a warehouse: naming one the account does not have
yet (in a SKU's stock, a policy's warehouses, a pickup point's warehouse) creates it. Pickup
points carry an address and coordinates, so they are never created on the side: a shipping
policy naming an unknown one is refused; upsert the pickup points first.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from .models import PickupPoint, ShippingPolicy, Sku, Stock, Warehouse, below_reserved_message
from .rows import (
    PICKUP_POINT_FIELDS,
    SHIPPING_POLICY_FIELDS,
    SKU_FIELDS,
    CatalogInvalid,
    PickupPointRow,
    RowProblem,
    ShippingPolicyRow,
    SkuRow,
    duplicate_problems,
    model_problems,
    quantity_problem,
    shipping_policy_target_problems,
    warehouse_id_problem,
)


def warehouses_ensure(*, account, warehouse_ids: Iterable[str]) -> dict[str, Warehouse]:
    """Return the account's warehouses with these ids, creating the ones it does not have yet."""
    wanted = set(warehouse_ids)
    if not wanted:
        return {}
    existing = {w.warehouse_id for w in Warehouse.objects.filter(account=account, warehouse_id__in=wanted)}
    Warehouse.objects.bulk_create(
        [Warehouse(account=account, warehouse_id=warehouse_id) for warehouse_id in sorted(wanted - existing)],
        ignore_conflicts=True,
    )
    return {w.warehouse_id: w for w in Warehouse.objects.filter(account=account, warehouse_id__in=wanted)}


# SKUs and stock


@dataclass
class _SkuPlan:
    problems: list[RowProblem]
    skus: list[tuple[Sku, bool]]  # the SKU with the row applied, and whether it changed
    stock: list[tuple[Sku, str, int, Stock | None]]  # sku, warehouse id, units on hand, current row


def _sku_values(sku: Sku) -> tuple:
    return (sku.name, sku.price_cents, sku.active, list(sku.sales_channels or []))


def stocks_lock(stock_ids: Iterable[int]) -> None:
    """Lock stock rows until the transaction ends, by primary key ascending: the order every
    writer of several rows takes them in (`orders.locking`), so two never wait for each other."""
    ids = sorted(set(stock_ids))
    if ids:
        list(Stock.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))


def _skus_plan(*, account, rows: Sequence[SkuRow], lock: bool) -> _SkuPlan:
    problems = duplicate_problems([row.sku_id for row in rows])
    skus = Sku.objects.filter(account=account, sku_id__in={row.sku_id for row in rows})
    stock = Stock.objects.filter(account=account, sku__in=skus).select_related("sku", "warehouse")
    if lock:
        # SKUs, then stock rows, each by primary key (`orders.locking`). No key lock: orders
        # being written meanwhile refer to them (a key-share lock) without waiting.
        skus = skus.select_for_update(no_key=True).order_by("pk")
        stock = stock.select_for_update(of=("self",), no_key=True).order_by("pk")
    existing = {sku.sku_id: sku for sku in skus}
    current_stock = {(row.sku.sku_id, row.warehouse.warehouse_id): row for row in stock}

    plan = _SkuPlan(problems=problems, skus=[], stock=[])
    for index, row in enumerate(rows):
        sku = existing.get(row.sku_id)
        new = sku is None
        if new:
            sku = Sku(account=account, sku_id=row.sku_id, sales_channels=[])
        before = None if new else _sku_values(sku)
        missing = []
        if new:
            for attribute in ("name", "price_cents"):
                if getattr(row, attribute) is None:
                    missing.append(attribute)
                    plan.problems.append(
                        RowProblem(index, SKU_FIELDS[attribute], gettext("Required for a new SKU."))
                    )
        if row.name is not None:
            sku.name = row.name
        if row.price_cents is not None:
            sku.price_cents = row.price_cents
        if row.active is not None:
            sku.active = row.active
        if row.sales_channels is not None:
            sku.sales_channels = list(row.sales_channels)
        plan.problems += model_problems(sku, index=index, names=SKU_FIELDS, exclude=["account", *missing])
        plan.skus.append((sku, new or before != _sku_values(sku)))

        for warehouse_id, quantity in (row.stock or {}).items():
            field = f"stock.{warehouse_id}"
            message = warehouse_id_problem(warehouse_id) or quantity_problem(quantity)
            current = current_stock.get((row.sku_id, warehouse_id))
            if message is None and current is not None:
                message = below_reserved_message(quantity=quantity, reserved=current.reserved)
            if message:
                plan.problems.append(RowProblem(index, field, message))
            else:
                plan.stock.append((sku, warehouse_id, quantity, current))
    return plan


def skus_check(*, account, rows: Sequence[SkuRow]) -> list[RowProblem]:
    """Return every problem of these rows, changing nothing."""
    return _skus_plan(account=account, rows=rows, lock=False).problems


@transaction.atomic
def skus_upsert(*, account, rows: Sequence[SkuRow], actor) -> list[Sku]:
    """Create or update the account's SKUs and set their units on hand; return them in row order.

    Raises `CatalogInvalid`, saving nothing, when any row is bad, including units on hand
    below what orders have reserved. Price changes are kept in the SKU's history with `actor`.
    """
    plan = _skus_plan(account=account, rows=rows, lock=True)
    if plan.problems:
        raise CatalogInvalid(plan.problems)
    for sku, changed in plan.skus:
        if changed:
            sku._history_user = actor
            sku.save()
    warehouses = warehouses_ensure(account=account, warehouse_ids={item[1] for item in plan.stock})
    for sku, warehouse_id, quantity, current in plan.stock:
        if current is None:
            Stock.objects.create(
                account=account, sku=sku, warehouse=warehouses[warehouse_id], quantity=quantity
            )
        elif current.quantity != quantity:
            current.quantity = quantity
            current.save(update_fields=["quantity"])
    return [sku for sku, _ in plan.skus]


# Pickup points


def _pickup_points_plan(*, account, rows: Sequence[PickupPointRow], lock: bool):
    problems = duplicate_problems([row.point_id for row in rows])
    points = PickupPoint.objects.filter(account=account, point_id__in={row.point_id for row in rows})
    if lock:
        points = points.select_for_update(no_key=True).order_by("pk")
    existing = {point.point_id: point for point in points}
    planned = []
    for index, row in enumerate(rows):
        point = existing.get(row.point_id) or PickupPoint(account=account, point_id=row.point_id)
        for attribute in ("name", "latitude", "longitude", *PickupPoint.ADDRESS_FIELDS):
            setattr(point, attribute, getattr(row, attribute))
        message = warehouse_id_problem(row.warehouse_id)
        if message:
            problems.append(RowProblem(index, "warehouse", message))
        problems += model_problems(
            point, index=index, names=PICKUP_POINT_FIELDS, exclude=["account", "warehouse"]
        )
        planned.append((point, row.warehouse_id))
    return problems, planned


def pickup_points_check(*, account, rows: Sequence[PickupPointRow]) -> list[RowProblem]:
    return _pickup_points_plan(account=account, rows=rows, lock=False)[0]


@transaction.atomic
def pickup_points_upsert(*, account, rows: Sequence[PickupPointRow], actor) -> list[PickupPoint]:
    """Create or update the account's pickup points; return them in row order.

    Raises `CatalogInvalid`, saving nothing, when any row is bad.
    """
    problems, planned = _pickup_points_plan(account=account, rows=rows, lock=True)
    if problems:
        raise CatalogInvalid(problems)
    warehouses = warehouses_ensure(
        account=account, warehouse_ids={warehouse_id for _, warehouse_id in planned}
    )
    for point, warehouse_id in planned:
        point.warehouse = warehouses[warehouse_id]
        point.save()
    return [point for point, _ in planned]


# Shipping policies


def _shipping_policies_plan(*, account, rows: Sequence[ShippingPolicyRow], lock: bool):
    problems = duplicate_problems([row.policy_id for row in rows])
    policies = ShippingPolicy.objects.filter(account=account, policy_id__in={row.policy_id for row in rows})
    if lock:
        policies = policies.select_for_update(no_key=True).order_by("pk")
    existing = {policy.policy_id: policy for policy in policies}
    named_points = {point_id for row in rows for point_id in row.pickup_point_ids}
    points = {
        point.point_id: point
        for point in PickupPoint.objects.filter(account=account, point_id__in=named_points)
    }
    planned = []
    for index, row in enumerate(rows):
        policy = existing.get(row.policy_id) or ShippingPolicy(account=account, policy_id=row.policy_id)
        policy.delivery_channel = row.delivery_channel
        policy.freight_cents = row.freight_cents
        policy.estimate = row.estimate
        policy.active = row.active
        problems += model_problems(policy, index=index, names=SHIPPING_POLICY_FIELDS, exclude=["account"])
        warehouse_ids = list(dict.fromkeys(row.warehouse_ids))
        point_ids = list(dict.fromkeys(row.pickup_point_ids))
        for field, message in shipping_policy_target_problems(
            delivery_channel=row.delivery_channel, warehouse_ids=warehouse_ids, pickup_point_ids=point_ids
        ).items():
            problems.append(RowProblem(index, field, message))
        for warehouse_id in warehouse_ids:
            message = warehouse_id_problem(warehouse_id)
            if message:
                problems.append(RowProblem(index, "warehouses", message))
        unknown = [point_id for point_id in point_ids if point_id not in points]
        if unknown:
            problems.append(
                RowProblem(
                    index,
                    "pickupPoints",
                    gettext(
                        "No pickup point %(points)s in account %(account)s; "
                        "upsert pickup points before the policies that name them."
                    )
                    % {"points": ", ".join(unknown), "account": account.name},
                )
            )
        planned.append((policy, warehouse_ids, [points[p] for p in point_ids if p in points]))
    return problems, planned


def shipping_policies_check(*, account, rows: Sequence[ShippingPolicyRow]) -> list[RowProblem]:
    return _shipping_policies_plan(account=account, rows=rows, lock=False)[0]


@transaction.atomic
def shipping_policies_upsert(*, account, rows: Sequence[ShippingPolicyRow], actor) -> list[ShippingPolicy]:
    """Create or update the account's shipping policies; return them in row order.

    A row's warehouses and pickup points replace the policy's. Raises `CatalogInvalid`,
    saving nothing, when any row is bad, including one naming a pickup point the account
    does not have.
    """
    problems, planned = _shipping_policies_plan(account=account, rows=rows, lock=True)
    if problems:
        raise CatalogInvalid(problems)
    warehouses = warehouses_ensure(
        account=account, warehouse_ids={w for _, warehouse_ids, _ in planned for w in warehouse_ids}
    )
    for policy, warehouse_ids, points in planned:
        policy.save()
        policy.warehouses.set([warehouses[w] for w in warehouse_ids])
        policy.pickup_points.set(points)
    return [policy for policy, _, _ in planned]
