"""The orders a connector reaches through the OMS API, its own, never another connector's; and
whether it placed an order before."""

from django.db.models import Prefetch, QuerySet

from connectors.models import Connector
from orders.models import IntakeRecord, Order, OrderEvent, OrderItem
from orders.statuses import Flow


def connector_orders(*, connector: Connector) -> QuerySet[Order]:
    """The orders a connector may reach: its own, never another connector's of the same account."""
    return Order.objects.filter(connector=connector).select_related("connector", "account")


def connector_order_get(*, connector: Connector, order_id: str) -> Order | None:
    """Return the connector's order by its `orderId` (the mainOrderId), with what the document shows."""
    return (
        connector_orders(connector=connector)
        .select_related("approval_task")
        .prefetch_related(
            Prefetch(
                "items", queryset=OrderItem.objects.select_related("stock__warehouse").order_by("index")
            ),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("pk")),
        )
        .filter(main_order_id=order_id)
        .first()
    )


def connector_placed(*, connector: Connector, marketplace_order_id: str) -> bool:
    """Whether the connector placed an order with this marketplace order id before: the app
    accepted it, whatever became of it. One index lookup."""
    return IntakeRecord.objects.filter(
        marketplace_order_id=marketplace_order_id, connector=connector, flow=Flow.PLACE_ORDER
    ).exists()
