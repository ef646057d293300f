"""Reads of the catalog shared by the admin and the seller API."""

from collections.abc import Iterable

from django.db.models import F, IntegerField, Prefetch, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import PickupPoint, ShippingPolicy, Sku, Stock, Warehouse


def skus_list(*, account, sku_ids: Iterable[str] | None = None) -> QuerySet[Sku]:
    """Return the account's SKUs ordered by id, with their stock rows and warehouses at hand."""
    skus = (
        Sku.objects.filter(account=account)
        .order_by("sku_id")
        .prefetch_related(
            Prefetch(
                "stock",
                queryset=Stock.objects.select_related("warehouse").order_by("warehouse__warehouse_id"),
            )
        )
    )
    if sku_ids is not None:
        skus = skus.filter(sku_id__in=list(sku_ids))
    return skus


def skus_with_available(queryset: QuerySet[Sku]) -> QuerySet[Sku]:
    """Annotate `available_units`: units on hand less reserved, over every warehouse."""
    return queryset.annotate(
        available_units=Coalesce(
            Sum(F("stock__quantity") - F("stock__reserved"), output_field=IntegerField()),
            Value(0),
        )
    )


def shipping_policies_list(*, account) -> QuerySet[ShippingPolicy]:
    return (
        ShippingPolicy.objects.filter(account=account)
        .order_by("policy_id")
        .prefetch_related("warehouses", "pickup_points")
    )


def pickup_points_list(*, account) -> QuerySet[PickupPoint]:
    return PickupPoint.objects.filter(account=account).order_by("point_id").select_related("warehouse")


def reserved_stock_among(objs) -> list[Stock]:
    """The stock rows holding reserved units that deleting `objs` (SKUs, warehouses or stock
    rows of one kind) would take with them."""
    objs = list(objs)
    lookup = (
        {Sku: "sku__in", Warehouse: "warehouse__in", Stock: "pk__in"}.get(type(objs[0])) if objs else None
    )
    if lookup is None:
        return []
    return list(
        Stock.objects.filter(**{lookup: [obj.pk for obj in objs]}, reserved__gt=0)
        .select_related("sku", "warehouse")
        .order_by("sku__sku_id", "warehouse__warehouse_id")
    )
