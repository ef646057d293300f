"""Who acts on orders, and the events they leave: every change of an order writes an `OrderEvent`.

Events are built (`order_event_build`) and written in one statement (`order_events_save`), which
in the same transaction tells the apps that follow orders (`orders.signals.order_events_saved`:
the connectors' feed and hook, insight's queue); `order_event_add` does both for one event.
"""

from dataclasses import dataclass

from django.db import transaction

from kit.inserts import insert_many

from .models import Order, OrderEvent
from .signals import order_events_saved


@dataclass(frozen=True)
class Actor:
    """Who acts: a user, or the system or a connector named by `label`."""

    label: str
    user: object | None = None

    @classmethod
    def of_user(cls, user) -> "Actor":
        return cls(label=user.email or user.get_username(), user=user)


SYSTEM = Actor(label="system")


def connector_actor(connector) -> Actor:
    return Actor(label=f"connector {connector.name} ({connector.affiliate_id})")


def order_event_build(
    *, order: Order, kind: str, actor: Actor, note: str = "", data=None, from_status="", to_status=""
) -> OrderEvent:
    """An event of the order, not saved yet: `order_events_save` writes it."""
    return OrderEvent(
        order=order,
        kind=kind,
        actor=actor.user,
        actor_label=actor.label,
        note=note,
        data=data or {},
        from_status=from_status,
        to_status=to_status,
    )


# No savepoint: nobody goes on after a failed event insert, so it would only add two round trips
# to every order's transaction.
@transaction.atomic(savepoint=False)
def order_events_save(events: list[OrderEvent]) -> list[OrderEvent]:
    """Write the events in one statement and tell the apps that follow orders, in the same
    transaction (`orders.signals.order_events_saved`): status changes enter their connectors'
    feed and hook outboxes, orders leaving the queue leave insight's pictures."""
    insert_many(events)
    order_events_saved.send(sender=OrderEvent, events=events)
    return events


def order_event_add(
    *, order: Order, kind: str, actor: Actor, note: str = "", data=None, from_status="", to_status=""
) -> OrderEvent:
    event = order_event_build(
        order=order,
        kind=kind,
        actor=actor,
        note=note,
        data=data,
        from_status=from_status,
        to_status=to_status,
    )
    return order_events_save([event])[0]
