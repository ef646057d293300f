"""Benchmark "processing": orders fully processed a second by Celery workers, against a no-op task.

The subject: `N` submissions of the contract's example order are taken in (as the order API
does, through `intake_receive`: the intake record, and a batch asked for on Redis); then a
Celery worker is started and drains them, a batch of up to `INTAKE_BATCH_SIZE` at a time
(`orders.intake.pipeline`): it prices each order against the catalog, decides by the account's rule, reserves stock, writes the order, its
events, its decision record and rollups, and the notification to the connector (outbox), whose
delivery is queued in turn on the deliveries queue; the worker takes from both queues in turn,
so the rate includes delivering the notifications. The baseline: `N` no-op tasks
(`bench.baseline.tasks.noop`) drained by a worker with the same settings (pool, concurrency,
prefetch). Rates are counted between the first and the last completion the workers note
(`processed_at`; the no-op's own note), so the worker's start is in neither. Target: at least
0.5 times the no-op's rate, and at least 100 orders a second.

Two cases, each against no-op tasks measured side by side with it: every order the example
order (authorized without divergence), and a Black Friday mix (`bench.mixed`: divergent,
held for approval, denied, franchise and pickup-point orders among the plain ones), for which
the target is at least 0.5 times the no-op's rate and at least 250 orders a second.
"""

import json
import statistics
import time
from collections import Counter

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.test.utils import CaptureQueriesContext

from config.celery import app
from connectors import contract
from connectors.models import Notification
from orders.intake.pipeline import intake_process, intakes_process
from orders.intake.receive import intake_receive
from orders.models import IntakeRecord
from orders.statuses import IntakeStatus

from .baseline.tasks import NOOP_COUNT, NOOP_FIRST, NOOP_LAST
from .harness import Context
from .harness_report import Check, Report, Row, ratio_at_least
from .harness_timing import alternately, each_run
from .mixed import MixedBodies, expected, franchise_name, mix_prepare
from .pipeline import Stage, stage
from .servers import WORKERS, broker_flush, celery_worker

NAME = "processing"
SMOKE_TRANSACTION = True
SMOKE_NEEDS_SERVICES = True
ORDERS = 2_000
SMOKE_ORDERS = 10
RUNS = 3
TARGET = 0.5
LEAST_PER_SECOND = 100
MIXED_LEAST_PER_SECOND = 250


class BenchmarkError(Exception):
    """The workers did not finish: nothing to measure."""


def mixed_bodies(on: Stage, tag: str) -> MixedBodies:
    return MixedBodies(prefix=on.bodies(tag).prefix, franchise=franchise_name(on.shop))


def submissions_take_in(on: Stage, *, count: int, tag: str, mixed: bool = False) -> list[str]:
    """Take in `count` example orders (or the mix's) as the order API does; return their ids."""
    bodies = mixed_bodies(on, tag) if mixed else on.bodies(tag)
    connector = on.shop.connectors[0]
    ids = []
    for i in range(count):
        body = json.loads(bodies(i))
        intake_receive(
            connector=connector,
            flow=contract.PLACE_ORDER,
            body=body,
            body_digest=contract.body_digest(body),
        )
        ids.append(body["marketplaceOrderId"])
    return ids


def orders_in_process(on: Stage, count: int = 5, batch: int = 100, mixed: bool = False) -> str:
    """Process a few more orders here, as the worker does, alone and in a batch; say what they cost."""
    order_ids = submissions_take_in(on, count=count, tag="in-process", mixed=mixed)
    broker_flush()  # their tasks are not for a worker: they are processed here
    times = []
    for intake in IntakeRecord.objects.filter(account=on.account, marketplace_order_id__in=order_ids):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            intake_process(intake_id=intake.pk)
            times.append((time.perf_counter() - started) * 1000)
    alone = len(captured.captured_queries)
    submissions_take_in(on, count=batch, tag="in-process-batch", mixed=mixed)
    broker_flush()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        taken = intakes_process(limit=batch)
        milliseconds = (time.perf_counter() - started) * 1000
    return (
        f"alone, an order makes {alone} queries and takes {statistics.median(times):.1f} ms (median of {count}); "
        f"a batch of {taken} makes {len(captured.captured_queries)} queries in all and takes "
        f"{milliseconds / max(taken, 1):.2f} ms an order"
    )


def wait(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchmarkError(f"{what} within {timeout:g} s")
        time.sleep(0.1)


def unnotified_described(on: Stage, ids: list[str], broker: redis.Redis) -> str:
    """What became of the orders the connector has not heard of, said while the worker still runs:
    their submissions' and notifications' rows, the broker's queues and the unacknowledged
    messages (the worker's log is in var/bench/)."""
    heard = {arrival.order_id for arrival in on.receiver.received()}
    missing = sorted(set(ids) - heard)
    intakes = Counter(
        IntakeRecord.objects.filter(account=on.account, marketplace_order_id__in=missing).values_list(
            "status", flat=True
        )
    )
    notifications = Notification.objects.filter(account=on.account, marketplace_order_id__in=missing[:20])
    rows = "; ".join(
        f"{row['marketplace_order_id']} {row['code']} {row['state']} tries {row['attempt_count']} "
        f"leased until {row['lease_until']} next {row['next_attempt_at']} {row['last_error']!r}"
        for row in notifications.values(
            "marketplace_order_id",
            "code",
            "state",
            "attempt_count",
            "lease_until",
            "next_attempt_at",
            "last_error",
        )
    )
    prefix = settings.REDIS_KEY_PREFIX
    queues = {queue.name: broker.llen(prefix + queue.name) for queue in settings.CELERY_TASK_QUEUES}
    unacked = broker.hlen(prefix + "unacked")
    return (
        f"{len(missing):,} orders not notified; their submissions {dict(intakes)}; queues {queues}, "
        f"{unacked} messages unacknowledged; notifications: {rows or 'none'}"
    )


def run(context: Context) -> Report:
    count = SMOKE_ORDERS if context.smoke else max(int(ORDERS * context.scale), 10)
    runs = 1 if context.smoke else RUNS
    timeout = 120 + count / 5
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    cases = ("plain", "mixed")
    outcomes = {case: {"integrated": [], "notified": [], "exactly once": [], "drained": []} for case in cases}
    rates = {}
    in_process = {}

    with stage(NAME) as on:
        mix_prepare(on.shop)

        def orders(case: str) -> float:
            broker_flush()
            on.receiver.clear()
            ids = submissions_take_in(on, count=count, tag="p", mixed=case == "mixed")
            records = IntakeRecord.objects.filter(account=on.account, marketplace_order_id__in=ids)
            with celery_worker(WORKERS, ready=False):
                wait(
                    lambda: not records.filter(processed_at__isnull=True).exists(),
                    timeout=timeout,
                    what=f"{count:,} orders were not processed",
                )
                finished = time.monotonic()
                notified = on.receiver.wait_for(ids, timeout=timeout)
                outcomes[case]["drained"].append(time.monotonic() - finished)
                if not notified:
                    context.progress(f"{NAME}: {case}: {unnotified_described(on, ids, broker)}")
            span = records.aggregate(first=Min("processed_at"), last=Max("processed_at"))
            outcomes[case]["integrated"].append(records.filter(status=IntakeStatus.INTEGRATED).count())
            outcomes[case]["notified"].append(notified)
            tally = on.receiver.tally(expected=ids)
            outcomes[case]["exactly once"].append(not tally.duplicated and not tally.missing)
            rate = (count - 1) / max((span["last"] - span["first"]).total_seconds(), 1e-3)
            context.progress(
                f"{NAME}: {case}: {count:,} orders processed at {rate:,.0f}/s; {tally.summary()}"
            )
            return rate

        def noops() -> float:
            broker_flush()
            for number in range(count):
                app.send_task("bench.baseline.tasks.noop", (number,))
            with celery_worker(WORKERS, ready=False):
                wait(
                    lambda: int(broker.get(NOOP_COUNT) or 0) >= count,
                    timeout=timeout,
                    what=f"{count:,} no-op tasks did not run",
                )
            first, last = float(broker.get(NOOP_FIRST)), float(broker.get(NOOP_LAST))
            rate = (count - 1) / max(last - first, 1e-3)
            context.progress(f"{NAME}: {count:,} no-op tasks at {rate:,.0f}/s")
            return rate

        for case in cases:
            rates[case] = alternately(noops, lambda case=case: orders(case), runs=runs)
            in_process[case] = orders_in_process(
                on, batch=10 if context.smoke else 100, mixed=case == "mixed"
            )

    report = Report(
        name=NAME,
        title="orders fully processed a second by the workers",
        description=(
            f"{WORKERS.describe()} (no beat), on the same two cores as PostgreSQL and Redis. Subject: {count:,} "
            "submissions, taken in as the order API takes them (intake record, "
            f"a batch asked for on Redis), then drained by the worker in batches of up to {settings.INTAKE_BATCH_SIZE}: price, decide, reserve stock, write the order, "
            "its events, decision record and rollups and the outbox notification, whose delivery to a "
            "connector on 127.0.0.1 is queued in turn, on the deliveries queue, which the worker takes from in "
            "turn with the orders: the rate includes delivering the notifications. Two cases: the contract's "
            "example order every time (authorized, no divergence), and a Black Friday mix (`bench/mixed.py`: "
            "60 % no divergence, 15 % within the authorize band, 15 % held for approval, 5 % denied, 3 % "
            "fulfilled by a franchise, 2 % collected at a pickup point). Baseline: as many no-op Celery tasks, "
            "drained by a worker with the same settings, measured side by side with each case. Rates are "
            "counted between the first and the last completion, so the worker's start is in neither. Medians "
            f"of {runs} runs, the sides taking turns. Target: at least {TARGET:g} times the no-op's rate, and "
            f"at least {LEAST_PER_SECOND} orders a second (the mix: {MIXED_LEAST_PER_SECOND})."
        ),
        baseline_label="no-op task",
        measured_label="order processing",
    )
    denied = expected(count, "denied")
    for case in cases:
        noop_rates, order_rates = rates[case]
        measured = statistics.median(order_rates)
        integrated = min(outcomes[case]["integrated"])
        should_integrate = count - denied if case == "mixed" else count
        least = MIXED_LEAST_PER_SECOND if case == "mixed" else LEAST_PER_SECOND
        what = "orders of the mix" if case == "mixed" else "orders"
        report.rows.append(
            Row(
                label=f"{count:,} {what} processed a second",
                baseline=statistics.median(noop_rates),
                measured=measured,
                unit="/s",
                target=ratio_at_least(TARGET),
                checks=(
                    Check(f"≥ {least} orders/s", measured >= least or context.smoke),
                    Check(f"{integrated:,} of {count:,} integrated", integrated == should_integrate),
                    Check(
                        "every order notified once",
                        all(outcomes[case]["notified"]) and all(outcomes[case]["exactly once"]),
                    ),
                ),
                detail=(
                    each_run(noop_rates, order_rates)
                    + f"; last notification {statistics.median(outcomes[case]['drained']):.1f} s after the last order"
                ),
            )
        )
        report.notes.append(
            f"Where the time goes ({case}), processed in the benchmark's process as the worker does: {in_process[case]}."
        )
    return report
