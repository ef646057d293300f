"""Snapshots of what a request must leave as it was, to compare before and after."""

from catalog.models import ShippingPolicy, Sku, Stock
from connectors.models import FeedConfig, HookConfig
from orders.models import IntakeRecord, Order, OrderEvent


def kept() -> dict:
    """What a refused request must not change."""
    return {
        "submissions": IntakeRecord.objects.count(),
        "orders": list(Order.objects.values_list("main_order_id", "status")),
        "events": OrderEvent.objects.count(),
        "skus": list(Sku.objects.values_list("sku_id", "name", "price_cents")),
        "stock": list(Stock.objects.values_list("quantity", "reserved")),
        "policies": ShippingPolicy.objects.count(),
        "feeds": FeedConfig.objects.count(),
        "hooks": HookConfig.objects.count(),
    }
