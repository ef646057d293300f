"""What an account can fulfil: the one availability rule that placing an order
(`orders/intake/plan.py` `plan_fulfilment`) and the fulfilment simulation
(`connector_api/fulfillment_simulation.py` `fulfillment_simulate`) both apply, and the reads they share.

A SKU is sold when it is active and in the sales channel. One warehouse gives all the units of an
item line. A delivery policy reaches the warehouses it lists (`warehouse_pks`); a pickup policy
reaches the pickup points it lists, whose warehouse gives the units. Of several policies, the
cheapest freight comes first, then the policy's id.
"""

from django.db.models import CharField, StringAgg, Value
from django.db.models.functions import Cast

from .models import ShippingPolicy, Sku, Stock


def sellable(sku: Sku | None, sales_channel: str | None) -> bool:
    """Whether the account sells `sku` in `sales_channel`."""
    return (
        sku is not None
        and sku.active
        and sales_channel is not None
        and sales_channel in (sku.sales_channels or [])
    )


def with_stock(rows: list[Stock], quantity: int) -> list[Stock]:
    """Stock rows that can give all `quantity` units, most available first."""
    return sorted((row for row in rows if row.available >= quantity), key=lambda row: -row.available)


def freight_order(policy: ShippingPolicy) -> tuple:
    """Sort key of policies: the cheapest freight first, then by id."""
    return policy.freight_cents, policy.policy_id


def _stock_rows(account, sku_ids: set[str], warehouse_ids=None) -> dict[str, list[Stock]]:
    rows = Stock.objects.filter(
        account=account, sku__account=account, sku__sku_id__in=sku_ids
    ).select_related("sku", "warehouse")
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    by_sku: dict[str, list[Stock]] = {}
    for row in rows.order_by("pk"):
        by_sku.setdefault(row.sku.sku_id, []).append(row)
    return by_sku


def skus_and_stock(account, sku_ids: set[str]) -> tuple[dict[str, Sku], dict[str, list[Stock]]]:
    """Return the account's SKUs of `sku_ids` and their stock rows: one query when each has stock."""
    stock = _stock_rows(account, sku_ids)
    skus = {rows[0].sku.sku_id: rows[0].sku for rows in stock.values()}
    if not sku_ids <= skus.keys():  # a SKU without stock, or none such: read the SKUs themselves
        skus = {sku.sku_id: sku for sku in Sku.objects.filter(account=account, sku_id__in=sku_ids)}
    return skus, stock


def active_policies(account, *, picks_up: bool) -> list[ShippingPolicy]:
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
