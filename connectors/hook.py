"""A connector's hook (contract §4.4): its settings and the delivery of status changes to it.

The configured URL, under the address policy of `connectors.egress`, is pinged when the hook
is saved and must answer 200; each change is POSTed with the configured headers, a timeout,
and retries with growing delays, every attempt recorded, like notifications. What puts
deliveries in the outbox is `connectors.status_changes`.
"""

import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from kit.errors import DomainError

from . import crypto, egress, outbound
from .models import Connector, HookAttempt, HookConfig, HookDelivery
from .signing import signature_headers

PING_BODY = {"hookConfig": "ping"}


class HookPingFailed(DomainError, ValueError):
    """The hook's URL did not answer the ping with 200: the hook is not saved (400)."""

    code = "ping_failed"
    status = 400


def hook_ping(*, url: str, headers: dict, secret: str = "") -> None:
    """POST the ping to a hook's URL; raise `HookPingFailed` unless it answers 200 in time.

    Signed like every call to the hook when the connector has a secret, so that a receiver
    checking signatures accepts the ping too. Whatever went wrong, the error is the same
    (logged in detail by `egress`): it must not tell what answered on an address, or whether
    anything did.
    """
    payload = json.dumps(PING_BODY).encode()
    signature = signature_headers(payload, secret, message_id=f"ping-{uuid.uuid4()}")
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
        headers |= signature_headers(
            payload, delivery.connector.signing_secret, message_id=delivery.event_uid
        )
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
