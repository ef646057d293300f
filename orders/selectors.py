"""Reads of orders and connection orders that the admin and the seller API share."""

from django.db.models import Prefetch, QuerySet

from connectors.models import Notification

from .models import IntakeRecord, Order, OrderEvent, OrderItem


def order_items_queryset() -> QuerySet[OrderItem]:
    """Items with where they ship from, as every screen of an order shows them."""
    return OrderItem.objects.select_related("stock__warehouse", "pickup_point", "shipping_policy")


def orders_list(*, account) -> QuerySet[Order]:
    """Return the account's orders, newest first, with their connector and items fetched up front."""
    return (
        Order.objects.filter(account=account)
        .select_related("connector")
        .prefetch_related(Prefetch("items", queryset=order_items_queryset()))
        .order_by("-created_at", "-id")
    )


def order_get(*, account, main_order_id: str) -> Order | None:
    """Return one of the account's orders by `mainOrderId`, with its events and notifications."""
    return (
        orders_list(account=account)
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
