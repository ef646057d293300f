"""Notifications as the tests of delivery write them, and the delivery tasks they see queued."""

from dataclasses import dataclass

from connectors.models import Notification
from connectors.notifications import notification_build, notifications_enqueue


@dataclass
class Queued:
    task: str  # "one" (deliver_notification) or "many" (deliver_notifications)
    ids: object  # the row id, or the list of row ids
    countdown: float | None


def write(shop, *orders, capture, code="SOI001", deliver_here=False, **fields) -> list[Notification]:
    """Write one notification for each of `orders` (None: of no order) in one go, as their
    transaction commits; return them as written."""
    with capture(execute=True):
        return notifications_enqueue(
            [
                notification_build(
                    connector=shop.connector,
                    account_name="acme",
                    flow="PlaceOrder",
                    code=code,
                    marketplace_order_id=order.marketplace_order_id if order else f"none-{number}",
                    operation_id=f"op-{number}",
                    order=order,
                    **fields,
                )
                for number, order in enumerate(orders)
            ],
            deliver_here=deliver_here,
        )
