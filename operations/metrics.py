"""The figures `GET /metrics` gives Prometheus, each kept where it stays true however many web
processes, workers and hosts there are.

- HTTP requests and their latency, and the submissions they stored, are counted by the web
  process that served them, in prometheus_client's metrics; with `PROMETHEUS_MULTIPROC_DIR` set,
  every process of a host writes them to files there and a scrape of any of them sums the host's
  (docs/operations.md, "Metrics"). An order taken in costs no round trip to count it.
- What the workers do on any host (submissions decided, refused; tries to deliver) are counters
  on Redis, added to after the transaction that did it commits: every web process reads the
  same figures. A Redis emptied starts them again from zero, which
  Prometheus' `rate()` and `increase()` take as a counter's reset.
- What stands waiting (the manual queue, the intake backlog, the outbox's due rows) and the
  heartbeats are read from the database at scrape time, each through an index bounded by what
  waits, never by the tables' history; one scrape's reads are kept `METRICS_CACHE_SECONDS`.

No label names an account, a person, a connector or a URL: views by their URL name, bands by
their limits, refusals by the contract's code.
"""

import collections
import json
import logging
import os
import time
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.dispatch import receiver
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from authorization.decision_words import band_label, deciding_band
from connectors.models import DeliveryState, HookDelivery, Notification
from connectors.signals import deliveries_attempted
from kit.redis import UNAVAILABLE, redis_run, redis_send, redis_together
from orders.models import IntakeRecord, Order
from orders.signals import submission_received, submissions_decided
from orders.statuses import Flow, IntakeStatus, OrderStatus

from .heartbeats import heartbeats_seen

logger = logging.getLogger(__name__)

PREFIX = "order_authorization_"
# Methods beyond these are counted as "other": a client can send any word as its method.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # a request no URL pattern took (404s, refusals before the URLs are read)

# Registered on a registry of their own, not prometheus_client's global one: without
# PROMETHEUS_MULTIPROC_DIR a scrape reads them here, with it from every process's files.
HTTP_REGISTRY = CollectorRegistry(auto_describe=True)
http_requests = Counter(
    PREFIX + "http_requests",
    "HTTP requests served, by the URL name of the view that answered, method and status.",
    ["view", "method", "status"],
    registry=HTTP_REGISTRY,
)
http_request_duration = Histogram(
    PREFIX + "http_request_duration_seconds",
    "Time from a request reaching the app to its answer, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=HTTP_REGISTRY,
)


submissions_received = Counter(
    PREFIX + "submissions_received",
    "Submissions stored from connectors (orders and approvals), by flow; replays not.",
    ["flow"],
    registry=HTTP_REGISTRY,
)
for _flow in Flow.values:  # drawn before the first, at 0
    submissions_received.labels(_flow)


def http_request_observe(request, status: int, seconds: float) -> None:
    """Count a request answered, under the URL name it resolved to (never its path: paths are
    unbounded and may hold a credential, as an e-mail's decision link does)."""
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match is not None and match.view_name else UNMATCHED
    method = request.method if request.method in METHODS else "other"
    http_requests.labels(view, method, str(status)).inc()
    http_request_duration.labels(view, method).observe(seconds)


# Counters on Redis: one hash, a field per metric and labels (a bounded set: flows, outcomes,
# bands' limits, the contract's codes, channels and results).
COUNTERS_KEY = "metrics:counters"
DECIDED = "submissions_decided"
REFUSED = "submissions_refused"
DELIVERY_ATTEMPTS = "delivery_attempts"
DELIVERY_RESULTS = ("delivered", "retry", "failed")
CHANNELS = ("notification", "hook")


def _field(name: str, **labels) -> str:
    return json.dumps([name, labels], sort_keys=True, separators=(",", ":"))


def counters_add(increments: dict[str, int]) -> None:
    """Add to the counters on Redis; a Redis that does not answer loses the figures, never the work."""
    key = settings.REDIS_KEY_PREFIX + COUNTERS_KEY
    with redis_together():  # one round trip, with the commands of the caller's block if any
        for field, amount in increments.items():
            redis_send(partial(_hincrby, key, field, amount))


def _hincrby(key: str, field: str, amount: int, pipeline) -> None:
    pipeline.hincrby(key, field, amount)


def counters_add_on_commit(increments: dict[str, int]) -> None:
    """Count once the transaction that did the work commits: work rolled back is not counted."""
    transaction.on_commit(partial(counters_add, increments), robust=True)


def counters_read() -> dict[tuple[str, tuple], int] | None:
    """{(name, ((label, value), ...)): count}, or None when Redis cannot say."""
    raw = redis_run(lambda client: client.hgetall(settings.REDIS_KEY_PREFIX + COUNTERS_KEY))
    if raw is UNAVAILABLE:
        return None
    counts = {}
    for field, value in raw.items():
        name, labels = json.loads(field)
        counts[(name, tuple(sorted(labels.items())))] = int(value)
    return counts


@receiver(submission_received, dispatch_uid="operations.metrics.submission_received")
def submission_received_count(*, flow: str, **signal) -> None:
    # By the web process that stored it, as its requests are: no round trip to Redis an order.
    transaction.on_commit(submissions_received.labels(flow).inc, robust=True)


def _decided_field(submission) -> str:
    band = deciding_band(submission)
    label = band_label(band.lower_percent, band.upper_percent) if band else "none"
    return _field(DECIDED, outcome=submission.outcome.value, band=label)


@receiver(submissions_decided, dispatch_uid="operations.metrics.submissions_decided")
def submissions_decided_count(*, first, again, refused, **signal) -> None:
    increments = collections.Counter(_decided_field(facts["submission"]) for facts in (*first, *again))
    increments.update(_field(REFUSED, code=code) for code in refused)
    counters_add_on_commit(increments)


@receiver(deliveries_attempted, dispatch_uid="operations.metrics.deliveries_attempted")
def deliveries_attempted_count(*, channel: str, outcomes, **signal) -> None:
    tries = collections.Counter(
        _field(DELIVERY_ATTEMPTS, channel=channel, result=result) for result in outcomes
    )
    counters_add_on_commit(tries)


COUNTER_HELP = {
    DECIDED: (
        "Submissions the rule decided, by outcome and the band that decided (none: no band did).",
        ["outcome", "band"],
    ),
    REFUSED: (
        "Orders' submissions (PlaceOrder) refused, by the rule or before it, by the contract's code.",
        ["code"],
    ),
    DELIVERY_ATTEMPTS: (
        "Tries to deliver a notification or a hook call, by channel and result (retry: tried again later).",
        ["channel", "result"],
    ),
}
# Label sets known in advance start at 0, so that a rate is drawn before the first event.
COUNTER_ZEROS = {
    DELIVERY_ATTEMPTS: [{"channel": c, "result": r} for c in CHANNELS for r in DELIVERY_RESULTS],
}
INTAKE_BACKLOG = (IntakeStatus.RECEIVED, IntakeStatus.PROCESSING, IntakeStatus.FAILED)
OUTBOX = {"notification": Notification, "hook": HookDelivery}


def _counter_families(counts: dict) -> list:
    families = []
    for name, (documentation, labels) in COUNTER_HELP.items():
        family = CounterMetricFamily(PREFIX + name, documentation, labels=labels)
        found = {key[1]: value for key, value in counts.items() if key[0] == name}
        for zero in COUNTER_ZEROS.get(name, []):
            found.setdefault(tuple(sorted(zero.items())), 0)
        for label_items, value in sorted(found.items()):
            values = dict(label_items)
            family.add_metric([values.get(label, "") for label in labels], value)
        families.append(family)
    return families


def _age(now, moment) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


def _how_many_and_oldest(now, name: str, documentation: str, age_name: str, age_documentation: str, found):
    """Two gauges from {label value: {"count": n, "oldest": datetime | None}} (key None: no label)."""
    labels = [] if None in found else [LABEL_OF[name]]
    how_many = GaugeMetricFamily(PREFIX + name, documentation, labels=labels)
    oldest = GaugeMetricFamily(PREFIX + age_name, age_documentation, labels=labels)
    for label, row in found.items():
        values = [] if label is None else [label]
        how_many.add_metric(values, row["count"])
        oldest.add_metric(values, _age(now, row["oldest"]))
    return [how_many, oldest]


LABEL_OF = {"intake_backlog_submissions": "status", "outbox_due": "channel"}


def _database_families(now) -> list:
    """What waits, read through partial or leading-column indexes (EXPLAIN: docs/operations.md)."""
    waiting = Order.objects.filter(status=OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION).aggregate(
        count=Count("*"), oldest=Min("created_at")
    )
    unfinished = {
        row["status"]: row
        for row in IntakeRecord.objects.filter(status__in=INTAKE_BACKLOG)
        .order_by()
        .values("status")
        .annotate(count=Count("*"), oldest=Min("received_at"))
    }
    due = {
        channel: model.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now).aggregate(
            count=Count("*"), oldest=Min("next_attempt_at")
        )
        for channel, model in OUTBOX.items()
    }
    families = [
        *_how_many_and_oldest(
            now,
            "manual_queue_orders",
            "Orders waiting for manual authorization.",
            "manual_queue_oldest_wait_seconds",
            "How long the order waiting longest for manual authorization has waited (0: none waits).",
            {None: waiting},
        ),
        *_how_many_and_oldest(
            now,
            "intake_backlog_submissions",
            "Submissions stored but not yet finished by processing, by status (failed: to be tried again).",
            "intake_oldest_submission_age_seconds",
            "Age of the oldest unfinished submission, by status (0: none).",
            {status: unfinished.get(status, {"count": 0, "oldest": None}) for status in INTAKE_BACKLOG},
        ),
        *_how_many_and_oldest(
            now,
            "outbox_due",
            "Outbox rows due to be sent now and not delivered yet, by channel (notification, hook).",
            "outbox_oldest_due_seconds",
            "How long the outbox row due longest has been due, by channel (0: none is due).",
            due,
        ),
    ]

    seen = heartbeats_seen()
    heartbeat = GaugeMetricFamily(
        PREFIX + "heartbeat_age_seconds",
        "Seconds since the newest worker's heartbeat, and beat's (+Inf: never heard).",
        labels=["process"],
    )
    for process in ("worker", "beat"):
        heartbeat.add_metric([process], _age(now, seen[process]) if seen[process] else float("inf"))
    window = now - timedelta(seconds=settings.HEALTH_HEARTBEAT_MAX_AGE)
    workers = GaugeMetricFamily(
        PREFIX + "workers_alive",
        "Workers heard from within HEALTH_HEARTBEAT_MAX_AGE seconds.",
    )
    workers.add_metric([], sum(at >= window for at in seen["workers"]))
    return [*families, heartbeat, workers]


def state_families() -> list:
    """The figures read at scrape time, from the database and Redis; a source that does not
    answer leaves its figures out and says so in `metrics_source_up`."""
    families = []
    up = GaugeMetricFamily(
        PREFIX + "metrics_source_up",
        "Whether a scrape could read a source of figures: database, redis (1 yes, 0 no).",
        labels=["source"],
    )
    try:
        families += _database_families(timezone.now())
        up.add_metric(["database"], 1)
    except Exception:
        logger.warning("Could not read the metrics from the database", exc_info=True)
        up.add_metric(["database"], 0)
    counts = counters_read()
    if counts is not None:
        families += _counter_families(counts)
    up.add_metric(["redis"], 0 if counts is None else 1)
    return [*families, up]


_cached: tuple[float, list] | None = None


class _State:
    """The figures read at scrape time, kept for METRICS_CACHE_SECONDS by this process."""

    def collect(self):
        global _cached
        if _cached is None or time.monotonic() - _cached[0] >= settings.METRICS_CACHE_SECONDS:
            _cached = (time.monotonic(), state_families())
        return iter(_cached[1])


class _Http:
    def collect(self):
        return HTTP_REGISTRY.collect()


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    registry.register(MultiProcessCollector(None, path=directory) if directory else _Http())
    registry.register(_State())
    return generate_latest(registry)
