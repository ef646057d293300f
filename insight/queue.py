"""The queue's pictures: a copy of the orders waiting for a person, kept in step with them.

A held order enters `QueuedOrder` in the transaction that decides it (`insight.services`), and
leaves it with the event of its next status (`queue_follow`).
"""

from django.db import transaction

from authorization.models import ApprovalTask
from kit.inserts import insert_many
from orders.models import Order
from orders.statuses import OrderStatus

from .models import QueuedOrder


def queue_enter_many(*, tasks) -> None:
    """Count new held orders in the queue's pictures, one row each, in one statement: `tasks`
    are their approval tasks, each with its order."""
    insert_many(
        QueuedOrder(
            order=task.order,
            account_id=task.order.account_id,
            task=task,
            created_at=task.order.created_at,
            paid_value_cents=task.order.paid_value_cents,
            seller_value_cents=task.order.seller_value_cents,
        )
        for task in tasks
    )


def queue_enter(*, order) -> None:
    """Count a held order in the queue's pictures."""
    QueuedOrder.objects.update_or_create(
        order=order,
        defaults={
            "account_id": order.account_id,
            "task": ApprovalTask.objects.filter(order=order).first(),
            "created_at": order.created_at,
            "paid_value_cents": order.paid_value_cents,
            "seller_value_cents": order.seller_value_cents,
        },
    )


def queue_follow(*, events, **signal) -> None:
    """Take orders out of the queue's pictures when their status leaves waiting for authorization.

    Told of every event written (`orders.signals.order_events_saved`, connected in
    `InsightConfig.ready`): every status change
    writes its event in the transaction of the change (`orders.services.order_transition`), so
    the queue follows it.
    """
    waiting = OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION
    leaving = [
        event.order_id
        for event in events
        if event.from_status == waiting and event.to_status not in ("", waiting)
    ]
    if leaving:
        QueuedOrder.objects.filter(order_id__in=leaving).delete()


@transaction.atomic
def queue_rebuild(*, account) -> None:
    """Recompute the account's queue from its waiting orders."""
    QueuedOrder.objects.filter(account=account).delete()
    waiting = Order.objects.filter(account=account, status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION)
    tasks = dict(ApprovalTask.objects.filter(order__in=waiting).values_list("order_id", "pk"))
    QueuedOrder.objects.bulk_create(
        (
            QueuedOrder(
                order_id=order_id,
                account=account,
                task_id=tasks.get(order_id),
                created_at=created_at,
                paid_value_cents=paid,
                seller_value_cents=seller,
            )
            for order_id, created_at, paid, seller in waiting.values_list(
                "pk", "created_at", "paid_value_cents", "seller_value_cents"
            ).iterator(chunk_size=10_000)
        ),
        batch_size=5_000,
    )
