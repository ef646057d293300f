"""Benchmark "dashboard": the insight dashboard of an account with a million orders.

The same two accounts as the queue's (1,000 orders of which 100 wait, and 1,000,000 of which
100,000 wait), with the decision record of every order (written here as processing writes
them, streamed with COPY) and the daily rollups rebuilt from those records. The dashboard is
requested as an approver of each account, alternately, for three periods. Target: the big
account's page under a second, with the same queries as the small one's.

The rollups make the pictures of decisions cost the same for both accounts; what still grows
with the account is the queue, summed from its waiting orders (100,000 against 100) because
it is the state of now, not of a day. The ratio to the small account is reported, not judged.
"""

import html
import itertools
import json
import re
import time
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Q, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insight.backfill import RECORD_COLUMNS, records_from_orders
from insight.models import DecisionRecord
from insight.queue import queue_rebuild
from insight.rollups import rollups_rebuild
from insight.selectors import Period
from kit.dates import time_zone

from .harness import Context
from .harness_report import Check, Report, Row, value_at_most
from .harness_timing import side_by_side, timed
from .seed import Seeded, seed_account
from .seed_load import load

NAME = "dashboard"
SMALL = (1_000, 100)
BIG = (1_000_000, 100_000)
SMOKE_SMALL = (30, 10)
SMOKE_BIG = (240, 120)
LIMIT_MS = 1000
BATCH = 100_000
DASHBOARD = "/admin/insight/dashboard/"
CASES = (  # label, query, days
    ("last 30 days", {"period": "30"}, 30),
    ("last 90 days", {"period": "90"}, 90),
    ("a whole year (custom, 366 days)", {"period": "custom"}, 366),
)


class BenchmarkError(Exception):
    """A page did not answer as it should: the benchmark cannot measure it."""


def with_decisions(seeded: Seeded, progress) -> float:
    """Give a seeded account its decision records, rollups and queue, unless it has them; return the seconds."""
    account = seeded.account
    if DecisionRecord.objects.filter(account=account).exists():
        return 0.0
    started = time.perf_counter()
    progress(f"recording the decisions of {account.name}")
    json_columns = {"item_divergences", "items"}
    rows = (
        {
            name: json.dumps(value) if name in json_columns else value
            for name, value in zip(RECORD_COLUMNS, row, strict=True)
        }
        for row in records_from_orders(account=account)
    )
    # The rows are read from cursors on the same connection, which cannot fetch while it copies.
    while batch := list(itertools.islice(rows, BATCH)):
        load(DecisionRecord, batch, progress)
    rollups_rebuild(account=account)
    queue_rebuild(account=account)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE insight_decisionrecord, insight_dailydecisionstat, insight_dailyskustat, insight_queuedorder"
            )
    seconds = time.perf_counter() - started
    progress(f"  decisions and rollups of {account.name} in {seconds:.1f} s")
    return seconds


def sides(context: Context) -> list[tuple[Seeded, Client]]:
    if context.smoke:
        sizes = (SMOKE_SMALL, SMOKE_BIG)
    else:
        sizes = (SMALL, (max(int(BIG[0] * context.scale), 1), max(int(BIG[1] * context.scale), 1)))
    made = []
    for orders, waiting in sizes:
        seeded = seed_account(orders=orders, waiting=waiting, progress=context.progress)
        with_decisions(seeded, context.progress)
        client = Client()
        client.force_login(seeded.approver)
        made.append((seeded, client))
    return made


def query_of(seeded: Seeded, query: dict, days: int) -> dict:
    query = {"account": seeded.account.pk, **query}
    if query["period"] == "custom":
        today = timezone.localdate(timezone=time_zone(seeded.account.time_zone))
        query.update(first=(today - timedelta(days=days - 1)).isoformat(), last=today.isoformat())
    return query


def get(client: Client, seeded: Seeded, query: dict):
    response = client.get(DASHBOARD, query)
    if response.status_code != 200:
        raise BenchmarkError(f"the dashboard answered {response.status_code} for {seeded.account.name}")
    return response


def decided_in(seeded: Seeded, days: int) -> int:
    """How many orders the account decided in the last `days` days, counted from the records."""
    zone = time_zone(seeded.account.time_zone)
    today = timezone.localdate(timezone=zone)
    period = Period(today - timedelta(days=days - 1), today, zone)
    return DecisionRecord.objects.filter(
        account=seeded.account, decided_at__gte=period.starts_at, decided_at__lt=period.ends_before
    ).count()


def run(context: Context) -> Report:
    (small, small_client), (big, big_client) = sides(context)
    report = Report(
        name=NAME,
        title="the dashboard at a million orders",
        description=(
            f"The dashboard of a small account ({small.orders:,} orders, {small.waiting:,} waiting) and of a "
            f"big one ({big.orders:,} orders, {big.waiting:,} waiting), requested alternately as an approver "
            "through Django's test client; times are medians of the requests. Target: the big account's "
            f"page under {LIMIT_MS:,} ms, with the same number of queries as the small one's. The ratio is "
            "reported, not judged: the queue's pictures sum the waiting orders, 1,000 times more."
        ),
        baseline_label=f"{small.orders:,} orders",
        measured_label=f"{big.orders:,} orders",
    )
    report.notes.append(
        f"{context.repetitions} requests per case and account, after {context.warmup} warm-up rounds."
    )
    for label, query, days in CASES:
        context.progress(f"measuring the dashboard, {label}")
        queries = {}
        for seeded, client in ((small, small_client), (big, big_client)):
            asked = query_of(seeded, query, days)
            get(client, seeded, asked)
            with CaptureQueriesContext(connection) as captured:
                shown = html.unescape(get(client, seeded, asked).content.decode())
            tile = re.search(r'id="tile-decided">([\d,]+)<', shown).group(1)
            if int(tile.replace(",", "")) != decided_in(seeded, days):
                raise BenchmarkError(f"{seeded.account.name}: the dashboard says {tile} orders decided")
            queries[seeded.account.name] = len(captured.captured_queries)
        small_times, big_times = side_by_side(
            lambda: get(small_client, small, query_of(small, query, days)),  # noqa: B023
            lambda: get(big_client, big, query_of(big, query, days)),  # noqa: B023
            repetitions=context.repetitions,
            warmup=context.warmup,
        )
        few, many = queries[small.account.name], queries[big.account.name]
        report.rows.append(
            Row(
                label=f"dashboard, {label}",
                baseline=small_times.median * 1000,
                measured=big_times.median * 1000,
                unit="ms",
                target=value_at_most(LIMIT_MS, "ms"),
                checks=(Check(f"queries {few} = {many}", few == many),),
                detail=f"p99 {small_times.p99 * 1000:.1f} / {big_times.p99 * 1000:.1f} ms",
            )
        )
    report.notes.append(queue_share(big))
    report.notes.append(without_rollup(big))
    return report


def queue_share(seeded: Seeded) -> str:
    """Time the one read that grows with the account: the waiting orders by age and approver level."""
    from insight.selectors import queue_by_age

    def read():
        return queue_by_age(account=seeded.account, now=timezone.now())

    read()
    seconds = sorted(timed(read) for _ in range(5))[2]
    return (
        f"Of the big account's page, summing its {seeded.waiting:,} waiting orders by age and approver level "
        f"takes {seconds * 1000:,.0f} ms, from their narrow copy (`QueuedOrder`); from the orders' own wide "
        "rows it took over a second."
    )


def without_rollup(seeded: Seeded) -> str:
    """Time the design not chosen: the dashboard's sums taken from the decision records themselves."""
    zone = time_zone(seeded.account.time_zone)
    today = timezone.localdate(timezone=zone)
    period = Period(today - timedelta(days=89), today, zone)
    records = DecisionRecord.objects.filter(
        account=seeded.account, decided_at__gte=period.starts_at, decided_at__lt=period.ends_before
    )

    def sums():
        list(
            records.values("day", "outcome", "band_label").annotate(
                n=Count("pk"), paid=Sum("paid_value_cents")
            )
        )
        list(records.values("divergence_bucket").annotate(n=Count("pk")))
        list(
            records.values("connector")
            .annotate(n=Count("pk"), divergent=Count("pk", filter=Q(divergence_bucket__gte=0)))
            .order_by("-divergent")[:10]
        )

    sums()
    seconds = sorted(timed(sums) for _ in range(3))[1]
    return (
        f"Without the rollups, summing the {records.count():,} decision records of the last 90 days of "
        f"{seeded.account.name} (an index on account and time) takes {seconds * 1000:,.0f} ms for three of the "
        "seven pictures: the reason the dashboard reads daily rollups kept up to date by processing."
    )
