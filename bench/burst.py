"""Benchmark "burst": 20,000 orders posted as fast as possible, until every one is processed and notified.

gunicorn and a Celery worker run as in production, on the same two cores as PostgreSQL,
Redis, the load generator and the connector's receiver (`bench/load.py`, `bench/load_receiver.py`);
the orders are posted by `CONNECTIONS` connections as fast as they are answered, while the worker processes them.
Drained: from the first POST to the last processing result reaching the receiver. Counted:
orders accepted (HTTP 200), orders in the database, and processing results the receiver got
(SOI001, or an EOI refusal), by marketplace order id: none lost (every accepted order notified,
and an order for each SOI001), none duplicated (no order notified under two idempotency keys;
a retried delivery keeps its key). The baseline drains the same burst through the bare pipeline
of `bench.baseline` on the same server and worker (a row inserted, a task relaying it to the
receiver), which is what the hops alone cost. Medians of the runs.
"""

import statistics

from orders.models import Order

from .harness import Context
from .harness_report import Check, Report, Row, reported
from .harness_timing import alternately, each_run
from .load import post_orders
from .pipeline import stage
from .servers import WEB, WORKERS, celery_worker, web_server

NAME = "burst"
SMOKE_TRANSACTION = True
SMOKE_NEEDS_SERVICES = True
ORDERS = 20_000
SMOKE_ORDERS = 30
CONNECTIONS = 16
RUNS = 3


def run(context: Context) -> Report:
    count = SMOKE_ORDERS if context.smoke else max(int(ORDERS * context.scale), 10)
    runs = 1 if context.smoke else RUNS
    timeout = 300 + count / 5
    counts = []  # of each run of the order API: what was sent, accepted, stored and notified

    with stage(NAME) as on, web_server(WEB) as url, celery_worker(WORKERS):

        def drain(side: str, target) -> float:
            on.receiver.clear()
            bodies = on.bodies(side)
            load = post_orders(target, count=count, concurrency=CONNECTIONS, bodies=bodies)
            ids = load.accepted_ids()
            everyone = on.receiver.wait_for(ids, timeout=timeout)
            arrivals = on.receiver.received()
            drained = max((arrival.at for arrival in arrivals), default=load.finished) - load.started
            tally = on.receiver.tally(expected=ids)
            context.progress(
                f"{NAME}: {side}: {load.summary()}; drained in {drained:.1f} s; {tally.summary()}"
                + ("" if everyone else f" (stopped waiting after {timeout:g} s)")
            )
            if side == "real":
                stored = Order.objects.filter(
                    account=on.account, marketplace_order_id__startswith=bodies.prefix
                )
                counts.append((len(load.sent), load.accepted, stored.count(), tally, load.seconds))
            return drained

        for target in (on.real(url), on.bare(url, relay=True)):  # gunicorn's workers import lazily
            warm = post_orders(target, count=10, concurrency=2, bodies=on.bodies("warm"))
            on.receiver.wait_for(warm.accepted_ids(), timeout=timeout)
        context.progress(f"{NAME}: {count:,} orders, {CONNECTIONS} connections, {runs} runs")
        bare, real = alternately(
            lambda: drain("bare", on.bare(url, relay=True)), lambda: drain("real", on.real(url)), runs=runs
        )

    checks = []
    for number, (sent, accepted, stored, tally, _) in enumerate(counts, start=1):
        soi001 = tally.by_code.get("SOI001", 0)
        notified = sum(tally.by_code.values())
        ok = (
            sent == accepted == notified == tally.orders
            and stored == soi001
            and not (tally.duplicated or tally.missing or tally.unexpected)
        )
        refusals = notified - soi001
        checks.append(
            Check(
                f"run {number}: {accepted:,} of {sent:,} accepted, {stored:,} orders stored, {soi001:,} SOI001 + "
                f"{refusals:,} EOI notified, {len(tally.missing):,} lost, {len(tally.duplicated):,} duplicated",
                ok,
            )
        )
    posting = statistics.median(count / seconds for *_, seconds in counts)
    report = Report(
        name=NAME,
        title=f"{count:,} orders posted at once, until every one is processed and notified",
        description=(
            f"{WEB.describe()} and a {WORKERS.describe()} (no beat) on 127.0.0.1, on the same two cores as "
            "PostgreSQL, Redis, the load generator and the connector's receiver (`bench/load.py`, `bench/load_receiver.py`). "
            f"{count:,} example orders, each with an id of its own, are posted by {CONNECTIONS} connections as fast "
            "as answered while the worker processes them; drained is from the first POST to the last processing "
            "result at the receiver. Counts, by marketplace order id: accepted, orders in the database, SOI001 and "
            "EOI notifications received; lost is an accepted order never notified, duplicated an order notified "
            "under two idempotency keys (a retried delivery keeps its key). Baseline: the same burst through the "
            "bare pipeline on the same server and worker (a row inserted, a task relaying it to the receiver). "
            f"Medians of {runs} runs, the sides taking turns. The time is reported; the counts must be exact."
        ),
        baseline_label="bare pipeline",
        measured_label="order API to notification",
    )
    report.rows.append(
        Row(
            label=f"{count:,} orders: drained",
            baseline=statistics.median(bare),
            measured=statistics.median(real),
            unit="s",
            target=reported(),
            checks=tuple(checks),
            detail=(
                f"{count / statistics.median(real):,.0f} orders/s drained, posted at {posting:,.0f}/s; "
                + each_run(bare, real, " s", digits=1)
            ),
        )
    )
    return report
