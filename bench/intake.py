"""Benchmark "intake": orders accepted a second by the order API, against a bare DRF endpoint.

One gunicorn server (`bench.settings`: the app plus `bench.baseline`) serves both. The subject
is `POST /api/order-integration/orders?an=` with the contract's example order, each with an id
of its own: authentication, the contract's check, the intake record and its processing task
queued on Redis. The baseline is `POST /bench/baseline/orders`: DRF parses the same body and
inserts it as one row, without authentication. No Celery worker runs meanwhile: the queued
tasks wait in Redis (emptied afterwards), so intake is measured alone.

Each run measures both sides in turn (which goes first alternates): the most orders a second
that `CONNECTIONS` connections posting as fast as answered get accepted in `SECONDS`, then
latency at a steady half of the order API's maximum rate (open loop: each order sent at its
time, latency counted from that time), the bare endpoint at the same rate. Figures are medians
of the runs. Target: the order API at least 0.7 times the bare endpoint's rate.
"""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .harness import Context
from .harness_report import Check, Report, Row, ratio_at_least, reported
from .harness_timing import alternately, each_run
from .load import ORDERS_PATH, post_orders
from .pipeline import Stage, stage
from .servers import WEB, web_server

NAME = "intake"
SMOKE_TRANSACTION = True  # the server reads what the benchmark seeds
SMOKE_NEEDS_SERVICES = True  # PostgreSQL and Redis, as in production
CONNECTIONS = 16
SECONDS = 10.0
RUNS = 3
TARGET = 0.7
IN_PROCESS = 5  # orders posted in the benchmark's process, to count their queries


def orders_in_process(on: Stage, count: int = 5) -> tuple[int, float]:
    """Post a few orders through Django's test client; return the last one's queries and the median ms."""
    credentials = on.shop.credentials[0]
    bodies = on.bodies("in-process")
    client = Client(
        HTTP_X_VTEX_API_APPKEY=credentials.app_key, HTTP_X_VTEX_API_APPTOKEN=credentials.app_token
    )
    times = []
    for i in range(count):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(
                f"{ORDERS_PATH}?an={on.account.name}", data=bodies(i), content_type="application/json"
            )
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"the order API answered {response.status_code}: {response.content[:200]!r}")
    return len(captured.captured_queries), statistics.median(times)


def run(context: Context) -> Report:
    runs = 1 if context.smoke else RUNS
    # Smoke: a few orders by count; otherwise for SECONDS each.
    seconds = SECONDS * min(context.scale, 1.0)  # --scale shortens the loads, to try things out
    length = {"count": 12} if context.smoke else {"seconds": seconds}
    warm = 8 if context.smoke else 200
    with stage(NAME) as on, web_server(WEB) as url:
        real, bare = on.real(url), on.bare(url)
        statuses = {"real": [], "bare": []}
        generator_cpu = []

        def measure(side, target, **how):
            cpu = time.process_time()
            load = post_orders(target, bodies=on.bodies(side), **how)
            generator_cpu.append((time.process_time() - cpu) / load.seconds)
            statuses[side].append(load)
            context.progress(f"{NAME}: {side}: {load.summary()}")
            return load

        for side, target in (("bare", bare), ("real", real)):  # gunicorn's workers import lazily
            post_orders(target, count=warm, concurrency=4, bodies=on.bodies(f"warm-{side}"))

        context.progress(f"{NAME}: most orders a second, {CONNECTIONS} connections, {runs} runs")
        bare_rates, real_rates = alternately(
            lambda: measure("bare", bare, concurrency=CONNECTIONS, **length).accepted_per_second,
            lambda: measure("real", real, concurrency=CONNECTIONS, **length).accepted_per_second,
            runs=runs,
        )
        half = statistics.median(real_rates) / 2
        steady = {"count": 6} if context.smoke else {"seconds": seconds}
        context.progress(f"{NAME}: latency at {half:,.0f} orders a second, {runs} runs")
        bare_steady, real_steady = alternately(
            lambda: measure("bare", bare, rate=half, **steady),
            lambda: measure("real", real, rate=half, **steady),
            runs=runs,
        )
        queries, milliseconds = orders_in_process(on, count=IN_PROCESS)
        accepted = sum(load.accepted for load in statuses["real"]) + warm + IN_PROCESS
        submissions = on.submissions()
        bare_rows, bare_accepted = on.bare_rows(), sum(load.accepted for load in statuses["bare"]) + warm

    refused = {
        side: sum(len(load.sent) - load.accepted for load in loads) for side, loads in statuses.items()
    }

    def median_of(loads, q):
        return statistics.median(getattr(load.latencies(), q) for load in loads) * 1000

    late = max(load.late for load in bare_steady + real_steady)
    report = Report(
        name=NAME,
        title="orders accepted a second by the order API",
        description=(
            f"{WEB.describe()} on 127.0.0.1 serves both sides; the load generator (`bench/load.py`, aiohttp) "
            "runs on the same two cores. Subject: `POST /api/order-integration/orders` with the contract's "
            "example order, each with an id of its own (authentication, the contract's check, the intake "
            "record, a batch of processing asked for on Redis unless one is waiting). Baseline: a bare DRF endpoint on the same server that parses "
            "the same body and inserts it as one row. No Celery worker runs during the measurement: queued "
            f"tasks wait in Redis. Maximum rate: {CONNECTIONS} connections posting as fast as answered for "
            f"{SECONDS:g} s; latency: a steady half of the order API's maximum, sent on schedule (open loop), "
            f"for {SECONDS:g} s, both sides at that rate. Medians of {runs} runs, the sides taking turns. "
            f"Target: at least {TARGET:g} times the bare endpoint's rate; latency is reported."
        ),
        baseline_label="bare DRF endpoint",
        measured_label="order API",
    )
    report.rows.append(
        Row(
            label=f"orders accepted a second, {CONNECTIONS} connections",
            baseline=statistics.median(bare_rates),
            measured=statistics.median(real_rates),
            unit="/s",
            target=ratio_at_least(TARGET),
            checks=(
                Check(f"refused {refused['real']} / {refused['bare']}", not any(refused.values())),
                Check(f"{submissions:,} intake records for {accepted:,} accepted", submissions == accepted),
                Check(f"{bare_rows:,} rows for {bare_accepted:,} accepted", bare_rows == bare_accepted),
            ),
            detail=each_run(bare_rates, real_rates),
        )
    )
    for q in ("p50", "p99"):
        report.rows.append(
            Row(
                label=f"latency {q} at {half:,.0f} orders a second (half the maximum)",
                baseline=median_of(bare_steady, q),
                measured=median_of(real_steady, q),
                unit="ms",
                target=reported(),
                checks=(Check(f"sent at most {late * 1000:.0f} ms late", late < 0.1),),
            )
        )
    report.notes.append(
        f"Where the time goes: an order posted through Django's test client in the benchmark's process makes "
        f"{queries} queries and takes {milliseconds:.1f} ms (median of {IN_PROCESS}; a batch of processing asked for on Redis)."
    )
    report.notes.append(
        f"The load generator used {statistics.median(generator_cpu) * 100:.0f} % of a core (median of its loads)."
    )
    return report
