"""What a connector's feed and hook take: the statuses of their filters, the feed's queue, the hook's URL and headers.

Each reads the JSON a connector sends (contract §4.1, §4.3, §4.4) and answers the values to
store, or raises `FilterConflict` / `FilterInvalid` with the contract's error. The hook's URL
must pass the address policy of `connectors.egress`.
"""

import re

from django.utils.translation import gettext

from kit.errors import DomainError

from . import egress

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
