"""Benchmark "rate-limits": one connector flooding does not slow another's orders.

gunicorn and a Celery worker run as in production, with the connectors' receiver. Connector B
posts the example order at a steady `RATE_B` a second (open loop), each with an id of its own,
and two times of its orders are measured three ways, the runs taking turns: the POST's latency,
and the time from the POST to the SOI001 its connector receives (the processing, which works
through the orders in the order they came):

- alone (the baseline);
- while connector A floods at `FLOOD` a second, ten times its own rate of `RATE_A` (set on A in
  the admin's field): A is answered 429 above its rate, having written nothing;
- while connector C floods at the same `FLOOD` with no rate (`0`): every one of its orders is
  taken, which is what A's flood would cost without a rate.

The flood is open loop too, so each side offers the server the same requests whatever it
answers. Each run waits for every order taken in to be notified before the next begins. p50
and p99 of B's times are reported, medians of the runs. In the benchmark's own
process, through Django's test client, a request over the rate (answered 429 after the lookup
of an order placed before) is timed against an order taken in, side by side, and the lookup
alone is timed.
"""

import itertools
import statistics
from functools import partial

from django.test import Client

from connector_api.selectors import connector_placed
from orders.models import IntakeRecord

from .harness import Context
from .harness_report import Check, Report, Row, reported
from .harness_timing import each_run, side_by_side, timed
from .load import ORDERS_PATH, OrderTarget, post_orders, post_orders_together
from .pipeline import Stage, stage
from .servers import WEB, WORKERS, celery_worker, web_server

NAME = "rate-limits"
SMOKE_TRANSACTION = True  # the server reads what the benchmark seeds
SMOKE_NEEDS_SERVICES = True
RATE_A = 10  # A's own rate, a second
FLOOD = 100.0  # A's (and C's) orders a second
RATE_B = 20.0
SECONDS = 5.0
RUNS = 3
NOTIFIED_WITHIN = 120.0  # seconds for every order taken in to reach the receiver
SIDES = ("alone", "A limited", "C unlimited")
IN_PROCESS = 50  # requests of each kind timed in the benchmark's process


def in_process(on: Stage, repetitions: int):
    """Time, through Django's test client, a request of A over its rate against an order of C
    taken in; return both Samples, and the median seconds of the lookup of an order placed before."""
    a = on.shop.connectors[0]
    a.rate_limit = "1/h"  # once one request is counted, every other is refused
    a.save(update_fields=["rate_limit"])
    clients = [
        Client(HTTP_X_VTEX_API_APPKEY=credentials.app_key, HTTP_X_VTEX_API_APPTOKEN=credentials.app_token)
        for credentials in (on.shop.credentials[0], on.shop.credentials[2])
    ]
    bodies = on.bodies("in-process")
    numbers = itertools.count()
    url = f"{ORDERS_PATH}?an={on.account.name}"

    def post(client, expected: int):
        def call():
            response = client.post(url, data=bodies(next(numbers)), content_type="application/json")
            if response.status_code != expected:
                raise RuntimeError(
                    f"expected {expected}, answered {response.status_code}: {response.content[:200]!r}"
                )

        return call

    clients[0].post(url, data=bodies(next(numbers)), content_type="application/json")
    accepted, refused = side_by_side(post(clients[1], 200), post(clients[0], 429), repetitions=repetitions)
    placed = [bodies.order_id(n) for n in range(repetitions)]
    lookups = [
        timed(partial(connector_placed, connector=a, marketplace_order_id=order_id)) for order_id in placed
    ]
    return accepted, refused, statistics.median(lookups)


def run(context: Context) -> Report:
    runs = 1 if context.smoke else RUNS
    seconds = 1.0 if context.smoke else SECONDS * min(context.scale, 1.0)
    flood = 40.0 if context.smoke else FLOOD
    loads = {side: [] for side in SIDES}
    floods = {side: [] for side in SIDES[1:]}
    processed = {side: [] for side in SIDES}  # B's times to SOI001, a Samples a run
    unnotified = 0
    with stage(NAME) as on, web_server(WEB) as url, celery_worker(WORKERS):
        a, _, c = on.shop.connectors
        a.rate_limit, c.rate_limit = f"{RATE_A}/s", "0"
        a.save(update_fields=["rate_limit"])
        c.save(update_fields=["rate_limit"])
        targets = [OrderTarget.of(on.shop, base_url=url, connector=n) for n in range(3)]
        for target in targets:  # gunicorn's workers import lazily
            warm = post_orders(target, count=10, concurrency=2, bodies=on.bodies("warm"))
            on.receiver.wait_for(warm.accepted_ids(), timeout=NOTIFIED_WITHIN)
        flooder = {"A limited": targets[0], "C unlimited": targets[2]}

        def measure(side: str) -> None:
            nonlocal unnotified
            on.receiver.clear()
            tag = side.split()[0].lower()
            b_load = (targets[1], {"rate": RATE_B, "seconds": seconds, "bodies": on.bodies(f"b-{tag}")})
            if side == "alone":
                found = post_orders_together(b_load)
            else:
                flooding = {"rate": flood, "seconds": seconds, "bodies": on.bodies(f"flood-{tag}")}
                found = post_orders_together(b_load, (flooder[side], flooding))
                floods[side].append(found[1])
            loads[side].append(found[0])
            taken_in = [order_id for load in found for order_id in load.accepted_ids()]
            if not on.receiver.wait_for(taken_in, timeout=NOTIFIED_WITHIN):
                unnotified += len(set(taken_in) - {arrival.order_id for arrival in on.receiver.received()})
            processed[side].append(on.receiver.times_to_notification(found[0]))
            detail = f"; the flood: {found[1].summary()}" if len(found) > 1 else ""
            context.progress(
                f"{NAME}: B {side}: {found[0].summary()}; to SOI001 p50 "
                f"{processed[side][-1].p50 * 1000:.0f} ms{detail}"
            )

        for number in range(runs):  # each run starts with another side
            for offset in range(len(SIDES)):
                measure(SIDES[(number + offset) % len(SIDES)])
        accepted, refused, lookup = in_process(on, 10 if context.smoke else IN_PROCESS)
        stored = {
            side: IntakeRecord.objects.filter(
                connector=on.shop.connectors[0 if side == "A limited" else 2],
                marketplace_order_id__startswith="flood-",
            ).count()
            for side in floods
        }

    def per_run(side: str, to_soi001: bool) -> list:
        return processed[side] if to_soi001 else [load.latencies() for load in loads[side]]

    def median_ms(side: str, q: str, *, to_soi001: bool = False) -> float:
        return statistics.median(getattr(times, q) for times in per_run(side, to_soi001)) * 1000

    b_refused = sum(len(load.sent) - load.accepted for side in SIDES for load in loads[side])
    limited = floods["A limited"]
    a_accepted = sum(load.accepted for load in limited)
    a_429 = sum(load.statuses()[429] for load in limited)
    a_other = sum(len(load.sent) for load in limited) - a_accepted - a_429
    c_refused = sum(len(load.sent) - load.accepted for load in floods["C unlimited"])
    late = max(load.late for side in SIDES for load in loads[side] + floods.get(side, []))
    checks = (
        Check(f"B refused {b_refused}", b_refused == 0),
        Check(f"sent at most {late * 1000:.0f} ms late", late < 0.1),
        Check(f"{unnotified} taken in not notified", unnotified == 0),
    )
    a_checks = (
        *checks,
        Check(
            f"A: {a_accepted:,} accepted, {a_429:,} answered 429, {a_other} otherwise; "
            f"{stored['A limited']:,} stored",
            a_429 > 0 and a_other == 0 and stored["A limited"] == a_accepted,
        ),
    )
    c_checks = (
        *checks,
        Check(
            f"C: refused {c_refused}; {stored['C unlimited']:,} stored",
            c_refused == 0 and stored["C unlimited"] == sum(load.accepted for load in floods["C unlimited"]),
        ),
    )
    report = Report(
        name=NAME,
        title="one connector flooding, another's orders",
        description=(
            f"{WEB.describe()} and a {WORKERS.describe()} (no beat) on 127.0.0.1, on the same two cores as "
            "PostgreSQL, Redis, the load generator and the connectors' receiver (`bench/load.py`, "
            "`bench/load_receiver.py`). Connector B posts the contract's example order, each with an id of its "
            f"own, at a steady {RATE_B:g} a second (open loop) for {seconds:g} s; the latency of its POSTs and "
            "the time from each POST to the SOI001 its connector receives are measured alone (the baseline), "
            f"while connector A floods at {flood:g} orders a second against "
            f"its own rate of {RATE_A}/s (answered 429 above it, nothing written), and while connector C floods "
            f"at {flood:g} a second with no rate (all taken in). Every connector's requests are counted in Redis "
            "(B's and the setting's rate: 20000/s, `bench/settings.py`). Each run waits for every order taken in "
            f"to be notified before the next. Medians of {runs} runs, the sides taking turns."
        ),
        baseline_label="B alone",
        measured_label="B beside the flood",
    )
    for side, label, its_checks in (
        ("A limited", f"A flooding at {flood:g}/s over its {RATE_A}/s", a_checks),
        ("C unlimited", f"C flooding at {flood:g}/s, no rate", c_checks),
    ):
        for what, to_soi001 in (("latency", False), ("time to SOI001", True)):
            for q in ("p50", "p99"):
                report.rows.append(
                    Row(
                        label=f"B's {what} {q}, {label}",
                        baseline=median_ms("alone", q, to_soi001=to_soi001),
                        measured=median_ms(side, q, to_soi001=to_soi001),
                        unit="ms",
                        target=reported(),
                        checks=its_checks,
                        detail=each_run(
                            [getattr(times, q) * 1000 for times in per_run("alone", to_soi001)],
                            [getattr(times, q) * 1000 for times in per_run(side, to_soi001)],
                            " ms",
                            1,
                        ),
                    )
                )
    report.rows.append(
        Row(
            label="in process: a request over the rate, answered 429",
            baseline=accepted.median * 1000,
            measured=refused.median * 1000,
            unit="ms",
            target=reported(),
            detail=f"baseline: an order taken in; medians of {len(accepted.values)} each, side by side",
        )
    )
    report.notes.append(
        f"Of a request over the rate, the lookup of an order the connector placed before (one indexed query) "
        f"takes {lookup * 1000:.2f} ms (median of {len(accepted.values)}, in the benchmark's process)."
    )
    return report
