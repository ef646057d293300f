"""Benchmark "decisions": an approver approving 1,000 waiting orders at once, in the queue.

An account is seeded with 1,000 orders, every one waiting for manual authorization (with its
decision record and its row in the dashboard's queue, as processing leaves them); its
connectors' endpoint is a receiver on 127.0.0.1, so whatever is sent goes nowhere else. Its
approver bo, on both manual bands, selects the whole queue and chooses "Approve the selected
orders" (a POST to the queue in the admin, through Django's test client): that records a bulk
decision and queues it for the Celery worker, which approves each order through the same
services as one by one (the permission rule, the approval task's compare-and-set, the
transition and its event, the connector's feed). Timed: from the POST to the job done.

There is no cheaper way to make the same decisions, so the baseline is what no way of deciding
1,000 orders one by one can beat: 1,000 single-row compare-and-set updates of their status
(`UPDATE … WHERE id = … AND status = 'waiting…'`, each its own transaction), on a twin account
seeded alike in the same run. The ratio says how much each decision costs beyond that write.
"""

import statistics
import time

from django.test import Client
from django.urls import reverse

from orders.models import BulkDecision, Order
from orders.statuses import OrderStatus

from .dashboard import with_decisions
from .harness import Context
from .harness_report import Check, Report, Row, reported
from .harness_timing import alternately, each_run
from .load_receiver import ConnectorReceiver
from .seed import seed_account
from .servers import WORKERS, celery_worker

NAME = "decisions"
SMOKE_TRANSACTION = True
SMOKE_NEEDS_SERVICES = True
ORDERS = 1_000
SMOKE_ORDERS = 60  # over the 50 decided inline: a background job, as 1,000 are
RUNS = 3
WAITING = OrderStatus.WAITING_FOR_MANUAL_AUTHORIZATION


class BenchmarkError(Exception):
    """The bulk decision did not finish as it should: nothing to measure."""


def run(context: Context) -> Report:
    count = SMOKE_ORDERS if context.smoke else max(int(ORDERS * context.scale), 60)
    runs = 1 if context.smoke else RUNS
    timeout = 120 + count
    queue = reverse("admin:orders_waitingorder_changelist")
    jobs = []  # (job, orders still waiting) of each run
    accounts = iter(range(1, 2 * runs + 1))

    def seeded_account():
        name = f"decisions-{time.time_ns() // 1000}-{next(accounts)}"
        seeded = seed_account(orders=count, waiting=count, name=name, endpoint=receiver.endpoint)
        with_decisions(seeded, context.progress)
        return seeded

    def compare_and_set() -> float:
        ids = list(Order.objects.filter(account=seeded_account().account).values_list("pk", flat=True))
        started = time.perf_counter()
        for pk in ids:
            Order.objects.filter(pk=pk, status=WAITING).update(status=OrderStatus.PAYMENT_PENDING)
        return time.perf_counter() - started

    def bulk_approval() -> float:
        seeded = seeded_account()
        client = Client()
        client.force_login(seeded.approver)
        first = Order.objects.filter(account=seeded.account).values_list("pk", flat=True).first()
        started = time.perf_counter()
        response = client.post(
            queue,
            # The confirmation page's form: the whole queue, confirmed.
            {
                "action": "approve_selected",
                "select_across": "1",
                "_selected_action": [first],
                "confirm": "1",
                "note": "",
            },
        )
        if response.status_code != 302:
            raise BenchmarkError(f"the queue answered {response.status_code} to the approval")
        job = BulkDecision.objects.filter(user=seeded.approver).latest("pk")
        deadline = time.monotonic() + timeout
        while job.state != BulkDecision.State.DONE:
            if time.monotonic() > deadline:
                raise BenchmarkError(f"the bulk decision did {job.done} of {job.total} in {timeout:g} s")
            time.sleep(0.05)
            job.refresh_from_db()
        seconds = time.perf_counter() - started
        waiting = Order.objects.filter(account=seeded.account, status=WAITING).count()
        jobs.append((job, waiting))
        context.progress(f"{NAME}: {job.total:,} approved in {seconds:.2f} s ({job.total / seconds:,.0f}/s)")
        return seconds

    with ConnectorReceiver() as receiver, celery_worker(WORKERS):
        baseline, measured = alternately(compare_and_set, bulk_approval, runs=runs)

    checks = []
    for number, (job, waiting) in enumerate(jobs, start=1):
        approved = sum(1 for result in job.results if result["ok"])
        checks.append(
            Check(
                f"run {number}: {approved:,} of {job.total:,} approved, {waiting} still waiting",
                approved == job.total == count and waiting == 0,
            )
        )
    median = statistics.median(measured)
    report = Report(
        name=NAME,
        title=f"approving {count:,} waiting orders at once",
        description=(
            f"An account seeded with {count:,} orders, all waiting for manual authorization (decision records "
            "and queue rows included). Its approver, on both manual bands, selects the whole queue in the admin "
            "and approves: a bulk decision, run by a "
            f"{WORKERS.describe()}, approving each order through the services (permission, the approval task's "
            "compare-and-set, the transition and its event, the connector's feed; the connectors' endpoints "
            "are a receiver on 127.0.0.1). Timed from the POST to the job done. Baseline, on a twin account seeded alike: "
            f"{count:,} single-row compare-and-set updates of the orders' status, each its own transaction, "
            "in the benchmark's process: the least any one-by-one decision must write. Medians of "
            f"{runs} runs, the sides taking turns. Time and orders a second are reported."
        ),
        baseline_label="compare-and-set updates",
        measured_label="bulk approval",
    )
    report.rows.append(
        Row(
            label=f"{count:,} orders approved",
            baseline=statistics.median(baseline),
            measured=median,
            unit="s",
            target=reported(),
            checks=tuple(checks),
            detail=f"{count / median:,.0f} orders/s; " + each_run(baseline, measured, " s", digits=2),
        )
    )
    return report
