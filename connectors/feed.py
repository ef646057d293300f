"""Status changes of orders for their connector: a feed it reads and commits, a hook that is called.

Every status change of an order is an `OrderEvent` with a `to_status`. `order_events_publish`
runs in the transaction that writes the event and puts the change in the outbox of the
order's connector: a `FeedItem` when its feed's filter takes the status, a `HookDelivery`
when its hook's does. Both are delivered at least once and carry the same `eventId`, so a
connector can recognise a change it has already seen.

Feed (contract §4.3): items read are invisible for the feed's visibility timeout and come
back unless committed by their handle; items nobody commits are dropped after the retention
period. Hook (contract §4.4): the configured URL, under the address policy of `connectors.egress`,
is pinged when the hook is saved and must answer 200; each change is POSTed with the configured headers, a timeout, and retries with
growing delays, every attempt recorded, like notifications.
"""

import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext

from kit.errors import DomainError

from . import crypto, egress, outbound
from .models import Connector, FeedConfig, FeedItem, HookAttempt, HookConfig, HookDelivery
from .notifications import sign

DOMAIN = "Fulfillment"

# The statuses a FromWorkflow filter may name (contract §4.1); an order here takes six of them.
FILTER_STATUSES = (
    "order-created",
    "on-order-completed",
    "on-order-completed-ffm",
    "payment-pending",
    "waiting-for-order-authorization",
    "approve-payment",
    "payment-approved",
    "request-cancel",
    "waiting-for-seller-decision",
    "waiting-ffmt-authorization",
    "waiting-for-authorization",
    "waiting-for-manual-authorization",
    "authorize-fulfillment",
    "order-create-error",
    "order-creation-error",
    "window-to-cancel",
    "window-to-change-seller",
    "waiting-for-mkt-authorization",
    "waiting-seller-handling",
    "ready-for-handling",
    "start-handling",
    "handling",
    "invoice-after-cancellation-deny",
    "order-accepted",
    "invoice",
    "invoiced",
    "replaced",
    "cancellation-requested",
    "cancel",
    "canceled",
)

VISIBILITY_TIMEOUT_RANGE = (0, 43200)
RETENTION_RANGE = (345600, 1209600)
DEFAULT_VISIBILITY_TIMEOUT = 250
DEFAULT_RETENTION = 345600
MAX_LOT = 10
PING_BODY = {"hookConfig": "ping"}
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
# Headers the app sets itself on every call, which a hook's configured headers may not replace.
RESERVED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "host",
        "connection",
        "transfer-encoding",
        "idempotency-key",
        "x-event-id",
        "x-hook-attempt",
        "x-signature-sha256",
    }
)
MAX_HEADERS = 20


class FilterConflict(DomainError, ValueError):
    """A filter mixes the FromWorkflow status list with FromOrders' expression (the contract's 409)."""

    code = "filter_conflict"


class FilterInvalid(DomainError, ValueError):
    """A filter, queue or hook setting the contract or this app does not accept (400)."""

    code = "invalid"
    status = 400


class HookPingFailed(DomainError, ValueError):
    """The hook's URL did not answer the ping with 200: the hook is not saved (400)."""

    code = "ping_failed"
    status = 400


# ---------------------------------------------------------------------------------------------
# Filters and settings


def filter_statuses(filter_data) -> list[str]:
    """Return the statuses a filter takes; raise `FilterConflict` or `FilterInvalid`.

    No filter takes every status. Only FromWorkflow filters (a list of statuses) are
    supported: FromOrders filters are JSONata expressions over the order document.
    """
    if filter_data is None:
        return list(FILTER_STATUSES)
    if not isinstance(filter_data, dict):
        raise FilterInvalid('filter: give an object, e.g. {"type": "FromWorkflow", "status": [...]}.')
    has_status = "status" in filter_data
    has_expression = "expression" in filter_data or "disableSingleFire" in filter_data
    if has_status and has_expression:
        raise FilterConflict(
            "filter: status belongs to FromWorkflow filters, expression and disableSingleFire to FromOrders "
            "filters; send one or the other."
        )
    kind = filter_data.get("type")
    if kind == "FromOrders":
        raise FilterInvalid(
            "filter: FromOrders (JSONata expression) filters are not supported; use "
            '{"type": "FromWorkflow", "status": [...]} with the statuses you want.'
        )
    if kind != "FromWorkflow":
        raise FilterInvalid("filter.type: use FromWorkflow.")
    statuses = filter_data.get("status")
    if not isinstance(statuses, list) or not statuses or not all(isinstance(s, str) for s in statuses):
        raise FilterInvalid("filter.status: name at least one status, as a list of strings.")
    unknown = sorted({status for status in statuses if status not in FILTER_STATUSES})
    if unknown:
        raise FilterInvalid(f"filter.status: unknown status {', '.join(unknown)}.")
    return list(dict.fromkeys(statuses))


def _whole_seconds(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FilterInvalid(f"queue.{name}: a whole number of seconds from {low} to {high}.")
    return value


def queue_settings(queue_data) -> tuple[int, int]:
    """Return (visibility timeout, retention) in seconds from the feed's `queue`; defaults when absent."""
    if queue_data is None:
        return DEFAULT_VISIBILITY_TIMEOUT, DEFAULT_RETENTION
    if not isinstance(queue_data, dict):
        raise FilterInvalid(
            "queue: give an object with visibilityTimeoutInSeconds and MessageRetentionPeriodInSeconds."
        )
    visibility = queue_data.get("visibilityTimeoutInSeconds", DEFAULT_VISIBILITY_TIMEOUT)
    # The published example of the GET answer spells it with a small m: accept both.
    retention = queue_data.get(
        "MessageRetentionPeriodInSeconds",
        queue_data.get("messageRetentionPeriodInSeconds", DEFAULT_RETENTION),
    )
    return (
        _whole_seconds(visibility, "visibilityTimeoutInSeconds", *VISIBILITY_TIMEOUT_RANGE),
        _whole_seconds(retention, "MessageRetentionPeriodInSeconds", *RETENTION_RANGE),
    )


def hook_settings(hook_data) -> tuple[str, dict]:
    """Return (url, headers) from the hook's `hook` object; raise `FilterInvalid`."""
    if not isinstance(hook_data, dict):
        raise FilterInvalid("hook: give an object with url and headers.")
    url = hook_data.get("url")
    if not isinstance(url, str) or len(url) > 1000:
        raise FilterInvalid(gettext("hook.url: an http:// or https:// URL of at most 1000 characters."))
    try:
        egress.url_check(url)
    except egress.UrlRefused as refused:
        raise FilterInvalid(gettext("hook.url: %(reason)s") % {"reason": refused}) from None
    headers = hook_data.get("headers") or {}
    if not isinstance(headers, dict) or len(headers) > MAX_HEADERS:
        raise FilterInvalid(f"hook.headers: an object of at most {MAX_HEADERS} header names and values.")
    for name, value in headers.items():
        if not HEADER_NAME.match(name):
            raise FilterInvalid(f"hook.headers: {name!r} is not a header name.")
        if name.lower() in RESERVED_HEADERS:
            raise FilterInvalid(
                f"hook.headers: {name} is set by the app on every call; choose another header."
            )
        if not isinstance(value, str) or "\r" in value or "\n" in value or len(value) > 4000:
            raise FilterInvalid(f"hook.headers.{name}: a string on one line, at most 4000 characters.")
    return url, dict(headers)


# ---------------------------------------------------------------------------------------------
# The event a status change becomes


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


def order_events_publish(*, events) -> None:
    """Put status changes in the outboxes of their orders' connectors, in the caller's transaction.

    Events without a new status (notes, reservations, decisions that change nothing) are not
    status changes and go nowhere. The connectors' feed and hook settings are read once for
    all the events, and each outbox's rows written in one statement.
    """
    changes = [event for event in events if event.to_status]
    if not changes:
        return
    connectors = Connector.objects.select_related("feed_config", "hook_config__account").in_bulk(
        {event.order.connector_id for event in changes}
    )
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


# ---------------------------------------------------------------------------------------------
# Feed


@transaction.atomic
def feed_configure(
    *, connector: Connector, statuses: list[str], visibility_timeout_seconds: int, retention_seconds: int
) -> FeedConfig:
    """Create or replace the connector's feed; items already in it stay."""
    feed, _ = FeedConfig.objects.update_or_create(
        connector=connector,
        defaults={
            "account_id": connector.account_id,
            "statuses": statuses,
            "visibility_timeout_seconds": visibility_timeout_seconds,
            "retention_seconds": retention_seconds,
        },
    )
    return feed


def feed_delete(*, connector: Connector) -> bool:
    """Remove the connector's feed and everything in it; False when it had none."""
    deleted, _ = FeedConfig.objects.filter(connector=connector).delete()
    return bool(deleted)


def feed_of(*, connector: Connector) -> FeedConfig | None:
    return FeedConfig.objects.filter(connector=connector).first()


@dataclass(frozen=True)
class FeedStats:
    quantity: int
    oldest_age_seconds: float


def feed_stats(*, feed: FeedConfig, now=None) -> FeedStats:
    """Count the items in the feed, invisible ones too, and the age of the oldest."""
    now = now or timezone.now()
    items = FeedItem.objects.filter(feed=feed, created_at__gt=now - timedelta(seconds=feed.retention_seconds))
    oldest = items.aggregate(oldest=Min("created_at"))["oldest"]
    return FeedStats(
        quantity=items.count(), oldest_age_seconds=(now - oldest).total_seconds() if oldest else 0.0
    )


@transaction.atomic
def feed_read(*, feed: FeedConfig, max_items: int, now=None) -> list[FeedItem]:
    """Hand out up to `max_items` visible items, oldest first; they are invisible for the visibility timeout.

    Concurrent readers never get the same item: rows another reader holds are skipped.
    """
    now = now or timezone.now()
    FeedItem.objects.filter(
        feed=feed, created_at__lte=now - timedelta(seconds=feed.retention_seconds)
    ).delete()
    ids = list(
        FeedItem.objects.select_for_update(skip_locked=True)
        .filter(feed=feed, visible_after__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:max_items]
    )
    FeedItem.objects.filter(pk__in=ids).update(
        visible_after=now + timedelta(seconds=feed.visibility_timeout_seconds),
        receive_count=F("receive_count") + 1,
    )
    return list(FeedItem.objects.filter(pk__in=ids).order_by("pk"))


def feed_item_body(item: FeedItem) -> dict:
    body = dict(item.body)
    return {"eventId": body.pop("eventId"), "handle": item.handle, **body}


def feed_commit(*, feed: FeedConfig, handles: list[str]) -> int:
    """Remove the items of these handles from the feed; unknown or already committed handles are ignored."""
    deleted, _ = FeedItem.objects.filter(feed=feed, handle__in=set(handles)).delete()
    return deleted


def feed_items_purge(*, now=None) -> int:
    """Drop the items nobody committed within their feed's retention period; return how many."""
    now = now or timezone.now()
    dropped = 0
    for feed_id, retention in FeedConfig.objects.values_list("pk", "retention_seconds"):
        deleted, _ = FeedItem.objects.filter(
            feed_id=feed_id, created_at__lte=now - timedelta(seconds=retention)
        ).delete()
        dropped += deleted
    return dropped


# ---------------------------------------------------------------------------------------------
# Hook


def hook_ping(*, url: str, headers: dict, secret: str = "") -> None:
    """POST the ping to a hook's URL; raise `HookPingFailed` unless it answers 200 in time.

    Signed like every call to the hook when the connector has a secret, so that a receiver
    checking signatures accepts the ping too. Whatever went wrong, the error is the same
    (logged in detail by `egress`): it must not tell what answered on an address, or whether
    anything did.
    """
    payload = json.dumps(PING_BODY).encode()
    signature = {"X-Signature-SHA256": sign(payload, secret)} if secret else {}
    reply = egress.post(
        url,
        payload=payload,
        headers={**headers, "Content-Type": "application/json", "Accept": "application/json", **signature},
        timeout=settings.HOOK_TIMEOUT_SECONDS,
    )
    if reply.status != 200:
        raise HookPingFailed(gettext("hook.url: the hook URL did not answer the ping with HTTP 200 in time."))


def hook_configure(*, connector: Connector, statuses: list[str], url: str, headers: dict) -> HookConfig:
    """Ping the URL, then create or replace the connector's hook; raise `HookPingFailed` and save nothing."""
    hook_ping(url=url, headers=headers, secret=connector.signing_secret if connector.has_secret else "")
    with transaction.atomic():
        hook, _ = HookConfig.objects.update_or_create(
            connector=connector,
            defaults={
                "account_id": connector.account_id,
                "statuses": statuses,
                "url": url,
                "headers_encrypted": crypto.encrypt(json.dumps(headers)) if headers else "",
            },
        )
    return hook


def hook_of(*, connector: Connector) -> HookConfig | None:
    return HookConfig.objects.filter(connector=connector).first()


def hook_delete(*, connector: Connector) -> bool:
    """Remove the connector's hook; changes still owed to it are not sent. False when it had none."""
    deleted, _ = HookConfig.objects.filter(connector=connector).delete()
    return bool(deleted)


HOOK_DELIVERIES = outbound.Channel(
    name="Hook delivery",
    model=HookDelivery,
    attempt_model=HookAttempt,
    attempt_parent="delivery",
    task="connectors.tasks.deliver_hook",
    settings_prefix="HOOK",
    # An order's changes reach a hook in the order they happened.
    sequence_fields=("order_id", "connector_id"),
    related=("connector", "hook"),
)


def hook_retry_delay(attempt_count: int) -> timedelta:
    """Growing delays between tries: base × 2^(n−1), capped, with a little jitter."""
    return outbound.retry_delay(HOOK_DELIVERIES, attempt_count)


def hook_deliver(*, delivery_id: int) -> str:
    """Try to deliver one change to the hook now; return "delivered", "retry", "failed" or "skipped".

    Changes of one order reach the hook in the order they happened: a later one waits until
    the earlier one is delivered or has failed for good.
    """
    delivery = outbound.claim(HOOK_DELIVERIES, delivery_id)
    if delivery is None:
        return "skipped"
    hook = delivery.hook
    if hook is None:
        removed = outbound.Answer(http_status=None, error="The hook was removed.", duration_ms=0)
        return outbound.record(HOOK_DELIVERIES, delivery, removed, final=True, url=delivery.url)
    payload = json.dumps(delivery.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        **hook.headers,
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": delivery.event_uid,
        "X-Event-Id": delivery.event_uid,
        "X-Hook-Attempt": str(delivery.attempt_count + 1),
    }
    if delivery.connector.has_secret:
        headers["X-Signature-SHA256"] = sign(payload, delivery.connector.signing_secret)
    answer = outbound.post(HOOK_DELIVERIES, hook.url, payload=payload, headers=headers)
    return outbound.record(HOOK_DELIVERIES, delivery, answer, url=hook.url)


@transaction.atomic
def hook_delivery_resend(*, delivery: HookDelivery) -> bool:
    """Send a failed change again from its first try, to the hook as configured now.

    Return False when the change is not failed, or when the connector has no hook any more.
    """
    hook = hook_of(connector=delivery.connector)
    if hook is None:
        return False
    return outbound.resend(HOOK_DELIVERIES, delivery, hook=hook, url=hook.url)


def hook_deliveries_requeue_due(*, grace: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Queue again the pending deliveries whose task was lost (broker down, worker killed)."""
    return outbound.requeue_due(HOOK_DELIVERIES, grace=grace, limit=limit)
