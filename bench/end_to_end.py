"""Benchmark "end-to-end": time from an order's POST to the connector receiving its SOI001.

gunicorn and a Celery worker run as in production, on the same two cores as PostgreSQL,
Redis, the load generator and the connector's receiver (`bench/load.py`, `bench/load_receiver.py`).
Orders are posted at a steady `RATE` a second for `SECONDS` (open loop: each at its time, whatever the answers),
and the receiver notes when each processing result arrives; the time of an order is from when
its POST was due to its SOI001. The baseline sends the same orders at the same rate through
the bare pipeline of `bench.baseline` on the same server and worker: the bare endpoint inserts
a row and queues a task that reads it back and POSTs a result to the receiver. It is what the
hops alone cost (HTTP in, Redis, a worker, HTTP out); the app adds the contract, processing and
the outbox (its worker delivers a small batch's notifications itself, after its commit). p50 and
p99 are reported (medians of the runs).
A second case posts the Black Friday mix of `bench.mixed` instead of the example order, timed
to each order's first notification (SOI001, or EOI003 for a denied one).
"""

import statistics

from .harness import Context
from .harness_report import Check, Report, Row, reported
from .harness_timing import alternately
from .load import post_orders
from .mixed import MixedBodies, franchise_name, mix_prepare
from .pipeline import stage
from .servers import WEB, WORKERS, celery_worker, web_server

NAME = "end-to-end"
SMOKE_TRANSACTION = True
SMOKE_NEEDS_SERVICES = True
RATE = 50.0
SECONDS = 30.0
RUNS = 3


def run(context: Context) -> Report:
    runs = 1 if context.smoke else RUNS
    rate = 10.0 if context.smoke else RATE
    seconds = 1.0 if context.smoke else SECONDS * min(context.scale, 1.0)
    timeout = 120 + seconds * 10
    results = {"bare": [], "real": [], "mixed bare": [], "mixed": []}

    with stage(NAME) as on, web_server(WEB) as url, celery_worker(WORKERS):
        mix_prepare(on.shop)

        def measure(side: str, target) -> float:
            on.receiver.clear()
            mixed = side == "mixed"
            bodies = on.bodies(side)
            if mixed:
                bodies = MixedBodies(prefix=bodies.prefix, franchise=franchise_name(on.shop))
            load = post_orders(target, seconds=seconds, rate=rate, bodies=bodies)
            ids = load.accepted_ids()
            on.receiver.wait_for(ids, timeout=timeout)
            times = on.receiver.times_to_notification(load, code=None if mixed else "SOI001")
            tally = on.receiver.tally(expected=ids)
            last = max((arrival.at for arrival in on.receiver.received()), default=load.finished)
            rate_notified = len(ids) / (last - load.started)
            results[side].append((load, times, tally, rate_notified))
            context.progress(
                f"{NAME}: {side}: {load.summary()}; to SOI001 p50 {times.p50 * 1000:.0f} ms, "
                f"p99 {times.p99 * 1000:.0f} ms; {tally.summary()}"
            )
            return times.p50

        for target in (on.real(url), on.bare(url, relay=True)):  # gunicorn's workers import lazily
            warm = post_orders(target, count=10, concurrency=2, bodies=on.bodies("warm"))
            on.receiver.wait_for(warm.accepted_ids(), timeout=timeout)
        alternately(
            lambda: measure("bare", on.bare(url, relay=True)),
            lambda: measure("real", on.real(url)),
            runs=runs,
        )
        alternately(
            lambda: measure("mixed bare", on.bare(url, relay=True)),
            lambda: measure("mixed", on.real(url)),
            runs=runs,
        )

    def notified_per_second(side):
        return statistics.median(rate for *_, rate in results[side])

    def median_ms(side, q):
        return statistics.median(getattr(times, q) for _, times, _, _ in results[side]) * 1000

    loads = [load for side in results.values() for load, *_ in side]
    refused = sum(len(load.sent) - load.accepted for load in loads)
    late = max(load.late for load in loads)
    real = results["real"]
    lost = sum(len(tally.missing) for _, _, tally, _ in real)
    duplicated = sum(len(tally.duplicated) for _, _, tally, _ in real)
    not_soi001 = sum(n for _, _, tally, _ in real for code, n in tally.by_code.items() if code != "SOI001")
    mixed = results["mixed"]
    mixed_lost = sum(len(tally.missing) + len(tally.duplicated) for _, _, tally, _ in mixed)
    unexpected = sum(
        n for _, _, tally, _ in mixed for code, n in tally.by_code.items() if code not in ("SOI001", "EOI003")
    )
    checks = (
        Check(f"refused {refused}", refused == 0),
        Check(f"sent at most {late * 1000:.0f} ms late", late < 0.1),
        Check(
            f"{lost} not notified, {duplicated} duplicated, {not_soi001} not SOI001",
            not (lost or duplicated or not_soi001),
        ),
    )
    report = Report(
        name=NAME,
        title=f"from POST to the connector receiving SOI001, at {rate:g} orders a second",
        description=(
            f"{WEB.describe()} and a {WORKERS.describe()} (no beat) on 127.0.0.1, on the same two cores as "
            "PostgreSQL, Redis, the load generator and the connector's receiver (`bench/load.py`, `bench/load_receiver.py`). The contract's "
            f"example order, each with an id of its own, is posted at a steady {rate:g} a second for {seconds:g} s "
            "(open loop: each at its time); an order's time runs from when its POST was due to the arrival of its "
            "SOI001 at the receiver. Baseline: the same orders at the same rate through the bare pipeline on the "
            "same server and worker: a DRF endpoint inserts a row and queues a task that reads it back and POSTs "
            f"a result to the receiver (the hops alone: HTTP in, Redis, a worker, HTTP out). Medians of {runs} "
            "runs, the sides taking turns. The mix: the orders of `bench/mixed.py` (divergent, held, denied, "
            "franchise and pickup-point orders among plain ones), timed to each order's first notification "
            "(SOI001, or EOI003 for a denied one), against the bare pipeline at the same rate. Reported, not judged. When a side notifies fewer orders a second than "
            "are posted, orders queue and their times grow with the length of the run: the notified rate shows it."
        ),
        baseline_label="bare pipeline",
        measured_label="order API to SOI001",
    )
    mixed_checks = (
        *checks[:2],
        Check(
            f"{mixed_lost} not notified or duplicated, {unexpected} neither SOI001 nor EOI003",
            not (mixed_lost or unexpected),
        ),
    )
    for bare, real, label, its_checks in (
        ("bare", "real", "time to the notification", checks),
        ("mixed bare", "mixed", "the mix: time to the first notification", mixed_checks),
    ):
        for q in ("p50", "p99"):
            report.rows.append(
                Row(
                    label=f"{label}, {q}",
                    baseline=median_ms(bare, q),
                    measured=median_ms(real, q),
                    unit="ms",
                    target=reported(),
                    checks=its_checks,
                    detail=(
                        f"notified {notified_per_second(bare):.0f} / {notified_per_second(real):.0f} orders/s "
                        "from the first POST to the last notification"
                    ),
                )
            )
    return report
