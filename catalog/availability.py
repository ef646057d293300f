"""What an account can fulfil: the one availability rule that placing an order
(`orders/intake/plan.py` `plan_fulfilment`) and the fulfilment simulation
(`connector_api/fulfillment_simulation.py` `fulfillment_simulate`) both apply, and the reads they share.

A SKU is sold when it is active and in the sales channel. One warehouse gives all the units of an
item line. A delivery policy reaches the warehouses it lists (`warehouse_pks`); a pickup policy
reaches the pickup points it lists, whose warehouse gives the units. Of several policies, the
cheapest freight comes first, then the policy's id.
"""

from collections.abc import Callable
from functools import cache

from django.db import connection
from django.db.models import CharField, StringAgg, Value
from django.db.models.functions import Cast

from kit.selects import columns, rows_as
from kit.together import fetch_later

from .models import ShippingPolicy, Sku, Stock, Warehouse


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


def _stock_rows_later(account_id: int, sku_ids: set[str]) -> Callable[[], dict[str, list[Stock]]]:
    """The account's stock rows of `sku_ids`, each with its SKU and warehouse, by SKU id: on
    PostgreSQL its read is sent now (`kit.together`), and calling the result reads it."""
    if connection.vendor == "postgresql":
        found = fetch_later(_stock_sql(), [account_id, account_id, sorted(map(str, sku_ids))])

        def read():
            rows = []
            for stock, sku, warehouse in rows_as(found.rows, Stock, Sku, Warehouse):
                _SKU.set_cached_value(stock, sku)
                _WAREHOUSE.set_cached_value(stock, warehouse)
                rows.append(stock)
            return _by_sku(rows)

        return read
    return lambda: _by_sku(
        Stock.objects.filter(account_id=account_id, sku__account_id=account_id, sku__sku_id__in=sku_ids)
        .select_related("sku", "warehouse")
        .order_by("pk")
    )


def _by_sku(rows) -> dict[str, list[Stock]]:
    by_sku: dict[str, list[Stock]] = {}
    for row in rows:
        by_sku.setdefault(row.sku.sku_id, []).append(row)
    return by_sku


_SKU, _WAREHOUSE = Stock._meta.get_field("sku"), Stock._meta.get_field("warehouse")


@cache
def _stock_sql() -> str:
    """`_stock_rows_later`'s read as the ORM would write it on PostgreSQL, built once (`kit.selects`)."""
    quote = connection.ops.quote_name

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    def table(model):
        return quote(model._meta.db_table)

    return (
        f"SELECT {columns(Stock, 's')}, {columns(Sku, 'k')}, {columns(Warehouse, 'w')} "
        f"FROM {table(Stock)} AS s "
        f"JOIN {table(Sku)} AS k ON k.{column(Sku, 'id')} = s.{column(Stock, 'sku')} "
        f"JOIN {table(Warehouse)} AS w ON w.{column(Warehouse, 'id')} = s.{column(Stock, 'warehouse')} "
        f"WHERE s.{column(Stock, 'account')} = %s AND k.{column(Sku, 'account')} = %s "
        f"AND k.{column(Sku, 'sku_id')} = ANY(%s) ORDER BY s.{column(Stock, 'id')}"
    )


def skus_and_stock(account, sku_ids: set[str]) -> tuple[dict[str, Sku], dict[str, list[Stock]]]:
    """Return the account's SKUs of `sku_ids` and their stock rows: one query when each has stock."""
    return skus_and_stock_later(account.pk, sku_ids)()


def skus_and_stock_later(
    account_id: int, sku_ids: set[str]
) -> Callable[[], tuple[dict[str, Sku], dict[str, list[Stock]]]]:
    """`skus_and_stock`, its read sent now with others (`kit.together`): call the result for it."""
    stock_later = _stock_rows_later(account_id, sku_ids)

    def read():
        stock = stock_later()
        skus = {rows[0].sku.sku_id: rows[0].sku for rows in stock.values()}
        if not sku_ids <= skus.keys():  # a SKU without stock, or none such: read the SKUs themselves
            skus = {sku.sku_id: sku for sku in Sku.objects.filter(account_id=account_id, sku_id__in=sku_ids)}
        return skus, stock

    return read


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
