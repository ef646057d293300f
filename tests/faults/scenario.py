"""A burst of orders with a fault in the middle, and the check that nothing was lost or done twice.

Each scenario seeds an account of its own on the run's stack, posts its orders on schedule
(`bench.load.post_orders`, open loop: a server in trouble cannot slow the sender down), breaks
something while they arrive, sends again what was refused (as a connector does, after
Retry-After), waits until the app is quiet, and then checks, from the database and from what
the connector received:

- every accepted order is one submission, integrated or rejected exactly once, with one order
  at most, and the outcome the catalog dictates (the scarce SKU's stock runs out);
- every notification owed is delivered; the connector got it at least once, and any copy it
  got again carried the same idempotency key (a retry, never a second notification);
- each stock row's reserved units equal those its orders hold, and never exceed its quantity.
"""

import dataclasses
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import requests

from bench.load import Load, OrderBodies, OrderTarget, post_orders
from bench.servers import WEB, WORKERS, WebSetup, WorkerSetup

from .report import Figures


@dataclass(frozen=True)
class Size:
    """How big a fault run is: its orders, their rate, and how long each fault lasts (seconds)."""

    name: str
    orders: int
    rate: float  # orders a second, on schedule
    redis_down: float
    postgres_down: float
    connector_failing: float  # answering 500
    connector_hanging: float  # answering past the app's timeout
    settle_timeout: float  # for everything to be processed and delivered after the burst
    web: WebSetup = WEB  # the benchmarks' setup
    workers: WorkerSetup = WORKERS  # each of the two workers
    settings: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """How long posting the orders takes, on schedule."""
        return self.orders / self.rate

    @property
    def notification_timeout(self) -> float:
        return float(self.settings.get("NOTIFICATION_TIMEOUT_SECONDS", 5))


# `bin/faults`: production's timeouts and retry delays, a minute without Redis.
FULL = Size(
    name="full",
    orders=2_000,
    rate=20,
    redis_down=60,
    postgres_down=15,
    connector_failing=30,
    connector_hanging=30,
    settle_timeout=1_200,
)
# The test suite's form: as many orders, in one burst with every fault in turn (`test_faults.bursts`),
# shorter outages and faster retries.
SHORT = dataclasses.replace(
    FULL,
    name="short",
    rate=30,
    redis_down=12,
    postgres_down=6,
    connector_failing=8,
    connector_hanging=8,
    settle_timeout=600,
    settings={"NOTIFICATION_TIMEOUT_SECONDS": "2", "NOTIFICATION_RETRY_BASE_SECONDS": "2"},
)

# Orders buy SKUs 1..SKUS in turn (`OrderBodies`); the last one has stock for only half its orders.
SKUS = 25
SCARCE_SKU = str(SKUS)


class Burst:
    """One scenario's orders, on an account of its own, and what became of them."""

    def __init__(self, stack, receiver, size: Size, name: str):
        self.stack, self.receiver, self.size, self.name = stack, receiver, size, name
        self.scarce_orders = sum(1 for i in range(size.orders) if i % SKUS == SKUS - 1)
        self.scarce_units = self.scarce_orders // 2
        shop = stack.world("seed", name, receiver.endpoint, "--scarce-units", str(self.scarce_units))
        assert shop["skus"] == SKUS and shop["scarce_sku"] == SCARCE_SKU
        self.target = OrderTarget(stack.base_url, shop["account"], shop["app_key"], shop["app_token"])
        self.bodies = OrderBodies(prefix=f"{name}-", skus=SKUS)
        self.figures = Figures(scenario=name, size=size.name, orders=size.orders)
        self.load: Load | None = None
        self.resent: Counter = Counter()  # the statuses answered to orders sent again
        self._thread: threading.Thread | None = None
        self.started = 0.0  # monotonic, as `Load` and the receiver's arrivals
        self.windows: dict[str, tuple[float, float]] = {}  # when each fault began and ended

    @property
    def fault_ended(self) -> float:
        return max(ended for _, ended in self.windows.values())

    # The burst ------------------------------------------------------------------------------

    def start(self, *, fault_at: float) -> None:
        """Start posting the orders; return `fault_at` seconds into the burst, when the first fault is due."""

        def post():
            self.load = post_orders(
                self.target,
                count=self.size.orders,
                rate=self.size.rate,
                bodies=self.bodies,
                request_timeout=60,
                limit_seconds=self.size.seconds + 300,
            )

        self.started = time.monotonic()
        self._thread = threading.Thread(target=post, name=f"burst-{self.name}")
        self._thread.start()
        time.sleep(max(0.0, self.started + fault_at - time.monotonic()))

    @contextmanager
    def fault(self, name: str):
        """Time the fault the block causes (and ends)."""
        began = time.monotonic()
        try:
            yield
        finally:
            self.windows[name] = (began, time.monotonic())

    def answered_during(self, name: str, sent, *, slack: float = 2.0) -> bool:
        """Whether `sent` was answered while fault `name` lasted (or within `slack` seconds after)."""
        began, ended = self.windows[name]
        return began <= sent.due + sent.latency <= ended + slack

    def finish(self) -> Load:
        """Wait for the last order to be answered, then send again every order that was refused."""
        self._thread.join()
        load = self.load
        assert load is not None
        self.figures.record_load(load, self.windows)
        self.resend([sent.order_id for sent in load.sent if not sent.accepted])
        self.figures.burst_ended = time.monotonic()
        return load

    def resend(self, order_ids: list[str], *, deadline_seconds: float = 120) -> None:
        """Post each order again until it is accepted, as a connector does after Retry-After."""
        deadline = time.monotonic() + deadline_seconds
        index_of = {self.bodies.order_id(i): i for i in range(self.size.orders)}
        for order_id in order_ids:
            while True:
                response = requests.post(
                    self.target.url,
                    data=self.bodies(index_of[order_id]),
                    headers=self.target.headers,
                    timeout=30,
                )
                self.resent[response.status_code] += 1
                if response.status_code == 200:
                    break
                assert response.status_code == 503, (order_id, response.status_code, response.text[:300])
                assert time.monotonic() < deadline, f"{order_id} still refused after {deadline_seconds} s"
                time.sleep(float(response.headers.get("Retry-After", 1)))
        self.figures.resent = sum(self.resent.values())

    def arrivals(self) -> list:
        """What the connector received about this burst's orders, every try included."""
        prefix = self.bodies.order_id(0)[:-1]
        return [a for a in self.receiver.received() if a.order_id and a.order_id.startswith(prefix)]

    def delivered(self, arrival) -> bool:
        """Whether the app saw the connector take it (answered 200 within the app's timeout)."""
        return arrival.status == 200 and arrival.delay < self.size.notification_timeout

    def accepted_ids(self) -> set[str]:
        return {self.bodies.order_id(i) for i in range(self.size.orders)}

    # Waiting until the app is quiet -----------------------------------------------------------

    def unfinished(self) -> tuple[int, int]:
        """Submissions not yet decided and notifications not yet delivered, read from the database."""
        with psycopg.connect(
            self.stack.postgres.url.replace("postgres://", "postgresql://"), connect_timeout=5
        ) as db:
            undecided = db.execute(
                "SELECT count(*) FROM orders_intakerecord i JOIN authorization_account a ON a.id = i.account_id "
                "WHERE a.name = %s AND i.status NOT IN ('integrated', 'rejected', 'held')",
                [self.name],
            ).fetchone()[0]
            undelivered = db.execute(
                "SELECT count(*) FROM connectors_notification n JOIN authorization_account a "
                "ON a.id = n.account_id WHERE a.name = %s AND n.state <> 'delivered'",
                [self.name],
            ).fetchone()[0]
        return undecided, undelivered

    def settle(self) -> dict:
        """Wait until every submission is decided and every notification delivered; return the census."""
        deadline = time.monotonic() + self.size.settle_timeout
        while True:
            try:
                undecided, undelivered = self.unfinished()
            except psycopg.OperationalError:
                undecided, undelivered = -1, -1  # the database is still coming back
            if (undecided, undelivered) == (0, 0):
                break
            assert time.monotonic() < deadline, (
                f"{undecided} submissions undecided and {undelivered} notifications undelivered "
                f"{self.size.settle_timeout:g} s after the burst; logs in {self.stack.logs}"
            )
            time.sleep(2)
        census = self.stack.world("census", self.name)
        self.figures.record_delivery(self.arrivals(), census, self)
        return census

    # The check ---------------------------------------------------------------------------------

    def settle_and_check(self, reports: list) -> dict:
        """Wait until the app is quiet, add the figures to `reports`, and check; return the census."""
        census = self.settle()
        reports.append(self.figures)
        self.check(census)
        return census

    def check(self, census: dict) -> Figures:
        """Assert that nothing was lost, done twice or miscounted; return the run's figures."""
        accepted = self.accepted_ids()
        # Every order accepted is one submission, decided once.
        assert set(census["marketplace_ids"]) == accepted, (
            f"lost: {sorted(accepted - set(census['marketplace_ids']))[:10]}, "
            f"unexpected: {sorted(set(census['marketplace_ids']) - accepted)[:10]}"
        )
        assert census["intakes"] == len(accepted)
        assert census["marketplace_ids_submitted_twice"] == 0
        short = self.scarce_orders - self.scarce_units
        assert census["intakes_by_status"] == {"integrated": len(accepted) - short, "rejected": short}
        assert census["intakes_by_code"] == {"SOI001": len(accepted) - short, "EOI002": short}
        assert census["integrated_without_order"] == 0
        assert census["orders"] == len(accepted) - short
        assert census["orders_created_twice"] == 0
        # Every notification owed is delivered, once per result; the connector has each.
        assert census["notifications"] == len(accepted)
        assert census["notifications_by_state"] == {"delivered": len(accepted)}
        assert census["notified_twice_for_one_result"] == 0
        keys = census["notification_keys"]
        arrivals = self.arrivals()
        delivered = {arrival.idempotency_key for arrival in arrivals if self.delivered(arrival)}
        assert set(keys) == delivered, (
            f"{len(set(keys) - delivered)} notifications never reached the connector"
        )
        for arrival in arrivals:  # a copy received again is the same notification: same order, same result
            assert [arrival.order_id, arrival.code] == keys.get(arrival.idempotency_key), arrival
        assert {arrival.order_id for arrival in arrivals} == accepted
        # Stock: reserved units are those the orders hold, within what is on hand.
        for row in census["stock"]:
            assert row["reserved"] == row["reserved_by_orders"] <= row["quantity"], row
        scarce = next(row for row in census["stock"] if row["sku"] == SCARCE_SKU)
        assert scarce["reserved"] == scarce["quantity"] == self.scarce_units
        return self.figures
