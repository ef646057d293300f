"""The status change an order event becomes, put in the outboxes of its order's connector.

Every status change of an order is an `OrderEvent` with a `to_status`. `order_events_publish`
follows every event written (`orders.signals.order_events_saved`, connected by the app above
orders that serves connectors, `ConnectorApiConfig.ready`), runs in the transaction that writes
the event and puts the change in the outbox of the order's connector: a `FeedItem` when its feed's filter takes the status, a `HookDelivery`
when its hook's does. Both are delivered at least once and carry the same `eventId`, so a
connector can recognise a change it has already seen.
"""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from .hook import HOOK_DELIVERIES
from .models import Connector, FeedItem, HookDelivery

DOMAIN = "Fulfillment"
# What of a connector says which changes its outboxes take: read with a connector (`select_related`
# of these, prefixed by the path to it) by whoever writes its orders' events, so none is read again.
OUTBOX_SETTINGS = ("feed_config", "hook_config__account")


def event_id_of(event) -> str:
    """Return the change's id, the same in the feed and the hook and on every redelivery."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"order-authorization:order-event:{event.pk}").hex.upper()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class StatusChange:
    event_id: str
    order_id: str
    state: str
    last_state: str
    last_change: str
    current_change: str

    def feed_body(self) -> dict:
        """The feed item, but its handle (contract §4.3)."""
        return {
            "eventId": self.event_id,
            "domain": DOMAIN,
            "state": self.state,
            "lastState": self.last_state,
            "orderId": self.order_id,
            "lastChange": self.last_change,
            "currentChange": self.current_change,
        }

    def hook_body(self, *, account_name: str, app_key: str) -> dict:
        """The hook's body (contract §4.4), with the change's id for de-duplication."""
        return {
            "Domain": DOMAIN,
            "OrderId": self.order_id,
            "State": self.state,
            "LastState": self.last_state,
            "LastChange": self.last_change,
            "CurrentChange": self.current_change,
            "Origin": {"Account": account_name, "Key": app_key},
            "EventId": self.event_id,
        }


def status_change_of(event) -> StatusChange:
    """Describe a status event: `lastChange` is when the order took its previous status.

    An order's first event has no previous status: `lastState` is empty and `lastChange`
    is the event's own time.
    """
    previous = (
        event.order.events.filter(pk__lt=event.pk)
        .exclude(to_status="")
        .order_by("-pk")
        .values_list("created_at", flat=True)
        .first()
        if event.from_status  # the first status has none before it: no query for a new order's
        else None
    )
    return StatusChange(
        event_id=event_id_of(event),
        order_id=event.order.main_order_id,
        state=event.to_status,
        last_state=event.from_status,
        last_change=iso(previous or event.created_at),
        current_change=iso(event.created_at),
    )


def order_events_publish(*, events, **signal) -> None:
    """Put status changes in the outboxes of their orders' connectors, in the caller's transaction.

    Events without a new status (notes, reservations, decisions that change nothing) are not
    status changes and go nowhere. The connectors' feed and hook settings are read once for
    all the events, and each outbox's rows written in one statement.
    """
    changes = [event for event in events if event.to_status]
    if not changes:
        return
    connectors = _with_settings(changes)
    items, deliveries = [], []
    for event in changes:
        connector = connectors[event.order.connector_id]
        feed = getattr(connector, "feed_config", None)
        hook = getattr(connector, "hook_config", None)
        wants_feed = feed is not None and event.to_status in feed.statuses
        wants_hook = hook is not None and event.to_status in hook.statuses
        if not (wants_feed or wants_hook):
            continue
        change = status_change_of(event)
        if wants_feed:
            items.append(
                FeedItem(
                    feed=feed,
                    event=event,
                    event_uid=change.event_id,
                    handle=secrets.token_urlsafe(48),
                    body=change.feed_body(),
                )
            )
        if wants_hook:
            deliveries.append(
                HookDelivery(
                    account_id=hook.account_id,
                    connector_id=connector.pk,
                    hook=hook,
                    order_id=event.order_id,
                    event=event,
                    event_uid=change.event_id,
                    body=change.hook_body(account_name=hook.account.name, app_key=connector.app_key),
                    url=hook.url,
                )
            )
    FeedItem.objects.bulk_create(items)
    for delivery in HookDelivery.objects.bulk_create(deliveries):
        HOOK_DELIVERIES.enqueue(delivery.pk)


def _with_settings(changes) -> dict:
    """The changes' connectors with their feed and hook settings, by id: those their orders hold
    already read with them (`OUTBOX_SETTINGS`), the others in one query."""
    known = {}
    for event in changes:
        connector = _cached(event.order, "connector")
        if connector not in (_MISSING, None) and _settings_read(connector):
            known[connector.pk] = connector
    missing = {event.order.connector_id for event in changes} - known.keys()
    if missing:
        known.update(Connector.objects.select_related(*OUTBOX_SETTINGS).in_bulk(missing))
    return known


_MISSING = object()


def _cached(instance, name: str):
    """What `instance.name` holds without a query, `_MISSING` when it was not read (None for a
    relation read and found empty)."""
    field = instance._meta.get_field(name)
    return field.get_cached_value(instance) if field.is_cached(instance) else _MISSING


def _settings_read(connector) -> bool:
    feed, hook = _cached(connector, "feed_config"), _cached(connector, "hook_config")
    return (
        feed is not _MISSING
        and hook is not _MISSING
        and (hook is None or _cached(hook, "account") is not _MISSING)
    )
