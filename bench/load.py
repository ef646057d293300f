"""Load on 127.0.0.1: orders posted as a connector posts them, every request recorded.

    with ConnectorReceiver() as receiver:                        # bench.load_receiver: a connector's endpoint
        shop = seed_shop(name="load", endpoint=receiver.endpoint)  # bench.seed: account, connectors, catalog
        target = OrderTarget.of(shop, base_url=f"http://127.0.0.1:{port}")
        load = post_orders(target, count=2_000, concurrency=32)   # as fast as 32 connections go
        load = post_orders(target, seconds=30, rate=50)           # 50 a second, on schedule
        receiver.wait_for(load.accepted_ids(), timeout=120)        # every accepted order notified
        tally = receiver.tally(expected=load.accepted_ids())       # lost, duplicated, by code

`post_orders` sends the example order of the contract (`tests/orders/payloads.py`), each with a
marketplace order id of its own, to `POST /api/order-integration/orders?an=<account>`, either
closed-loop (`concurrency` connections, each sending its next order when the last is answered)
or open-loop (`rate` orders a second, each sent at its time whether or not the earlier ones
were answered, and its latency counted from that time: a slow server cannot hide its queue by
slowing the sender down). It stops after `count` orders or `seconds`, whichever comes first,
and never runs past `limit_seconds`; every request is recorded (when it was due, latency,
HTTP status, error).

It runs on aiohttp's client in one event loop: one process keeps thousands of requests a second
in flight on a fraction of a core, which matters when it shares two cores with the server.
"""

import argparse
import asyncio
import concurrent.futures
import contextlib
import copy
import gc
import ipaddress
import json
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass

import aiohttp

from .harness_timing import Samples

ORDERS_PATH = "/api/order-integration/orders"
# Orders in flight at once in open-loop mode, at most: beyond it the sender waits (and says so).
MOST_IN_FLIGHT = 2_000


# What is sent ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderTarget:
    """Where orders go and as whom: the server's base URL, the account and a connector's credentials."""

    base_url: str  # http://127.0.0.1:PORT
    account: str
    app_key: str
    app_token: str
    path: str = ORDERS_PATH
    query: str = ""  # more of the query string, after an=

    @classmethod
    def of(cls, shop, *, base_url: str, connector: int = 0) -> "OrderTarget":
        """The target of a shop made by `bench.seed.seed_shop`, as its `connector`-th connector."""
        credentials = shop.credentials[connector]
        return cls(base_url, shop.account.name, credentials.app_key, credentials.app_token)

    @property
    def url(self) -> str:
        more = f"&{self.query}" if self.query else ""
        return f"{self.base_url.rstrip('/')}{self.path}?an={self.account}{more}"

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-VTEX-API-AppKey": self.app_key,
            "X-VTEX-API-AppToken": self.app_token,
        }


class OrderBodies:
    """The contract's example order with the i-th marketplace order id, as bytes ready to send.

    `prefix` makes the ids unique across runs on one database (one order per marketplace order
    id; a repeated id is refused as a duplicate). With `skus` above 1 the i-th order buys SKU
    `1 + i % skus` of the seeded catalog (SKU n costs 975 + 100 × (n − 1) cents, as `bench.seed`
    prices it) and pays exactly its price and freight, so every order is authorized without
    divergence either way.
    """

    FREIGHT_CENTS = 2050

    def __init__(self, *, prefix: str | None = None, skus: int = 1):
        from tests.orders.payloads import EXAMPLE_ORDER

        self.prefix = prefix if prefix is not None else f"L{time.time_ns() // 1_000_000 % 10**10}-"
        self.skus = skus
        body = copy.deepcopy(EXAMPLE_ORDER)
        body["marketplaceOrderId"] = "@ID@"
        body["marketplacePaymentValue"] = 900000001
        body["items"] = [{"id": "@SKU@", "price": 900000002, "quantity": 1}]
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        self.parts = []
        for marker in ('"@ID@"', "900000001", '"@SKU@"', "900000002"):
            head, text = text.split(marker)
            self.parts.append(head.encode())
        self.parts.append(text.encode())

    def order_id(self, i: int) -> str:
        return f"{self.prefix}{i}"

    def __call__(self, i: int) -> bytes:
        sku = 1 + i % self.skus
        price = 975 + 100 * (sku - 1)
        p = self.parts
        return b"".join(
            (
                p[0],
                f'"{self.order_id(i)}"'.encode(),
                p[1],
                str(price + self.FREIGHT_CENTS).encode(),
                p[2],
                f'"{sku}"'.encode(),
                p[3],
                str(price).encode(),
                p[4],
            )
        )


# What happened -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One request: its order, when it was due (monotonic seconds), how long it took, how it ended."""

    order_id: str
    due: float
    latency: float  # seconds from `due` to the answer (or the failure)
    status: int | None  # the HTTP status; None when no answer came
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == 200


@dataclass
class Load:
    """Every request of one `post_orders`, in the order they were due."""

    sent: list[Sent]
    started: float  # monotonic, when the first order was due
    finished: float  # monotonic, when the last answer came
    concurrency: int | None
    rate: float | None
    late: float = 0.0  # open loop: the most seconds a send started after it was due

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    def accepted_ids(self) -> list[str]:
        return [sent.order_id for sent in self.sent if sent.accepted]

    @property
    def accepted(self) -> int:
        return sum(1 for sent in self.sent if sent.accepted)

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds > 0 else 0.0

    def latencies(self, *, accepted_only: bool = True) -> Samples:
        return Samples(tuple(s.latency for s in self.sent if s.accepted or not accepted_only))

    def statuses(self) -> Counter:
        """How many requests ended with each HTTP status (None: no answer)."""
        return Counter(sent.status for sent in self.sent)

    def errors(self) -> Counter:
        return Counter(sent.error for sent in self.sent if sent.error)

    def summary(self) -> str:
        mode = f"{self.rate:g}/s open loop" if self.rate else f"{self.concurrency} connections"
        line = (
            f"{len(self.sent):,} orders ({mode}) in {self.seconds:.2f} s: {self.accepted:,} accepted, "
            f"{self.accepted_per_second:,.0f}/s"
        )
        if self.accepted:
            latencies = self.latencies()
            line += f", latency p50 {latencies.p50 * 1000:.1f} ms, p99 {latencies.p99 * 1000:.1f} ms"
        others = {status: n for status, n in self.statuses().items() if status != 200}
        if others:
            line += f"; not accepted: {', '.join(f'{status}×{n}' for status, n in others.items())}"
        return line


# Posting -----------------------------------------------------------------------------------------


def post_orders(target: OrderTarget, **arguments) -> Load:
    """Post orders `first`, `first + 1`, … of `bodies` to `target`; return every request's record.

    The arguments are `_load`'s. Exactly one of `concurrency` (closed loop: that many connections,
    as fast as answered) and `rate` (open loop: orders a second, on schedule). At least one of
    `count` and `seconds` says when to stop sending; requests still in flight are then awaited, up
    to `request_timeout` each. Nothing runs past `limit_seconds`: what is still in flight then is
    recorded as cancelled. Load goes to this machine only: 127.0.0.1, or `networks` the caller made
    on it (`tests.faults.network`).
    """
    return _run(_load(target, **arguments))


def post_orders_together(*loads: tuple[OrderTarget, dict]) -> list[Load]:
    """Run several loads at once, each (target, the arguments of `post_orders`), in one event loop;
    return their records in the same order. For one connector's load beside another's."""

    async def together():
        return await asyncio.gather(*(_load(target, **arguments) for target, arguments in loads))

    return _run(together())


def _load(
    target: OrderTarget,
    *,
    count: int | None = None,
    seconds: float | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
    bodies: OrderBodies | None = None,
    first: int = 0,
    request_timeout: float = 30.0,
    limit_seconds: float = 900.0,
    networks: tuple[ipaddress.IPv4Network, ...] = (),
):
    if (concurrency is None) == (rate is None):
        raise ValueError("give either concurrency (as fast as possible) or rate (orders a second)")
    if count is None and seconds is None:
        raise ValueError("give count or seconds: a load always stops by itself")
    local = target.base_url.startswith(("http://127.", "http://localhost", "http://[::1]"))
    if not local and not _within(target.base_url, networks):
        raise ValueError(f"load goes to this machine only (127.0.0.1), not {target.base_url}")
    bodies = bodies or OrderBodies()
    sender = _Sender(target, bodies, first=first, count=count, seconds=seconds, timeout=request_timeout)
    return sender.run(concurrency=concurrency, rate=rate, limit_seconds=limit_seconds)


def _within(url: str, networks) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def _run(coroutine):
    """Run `coroutine` on an event loop of its own (in a thread of its own when this thread runs
    one, e.g. under Playwright's synchronous API), what the process held frozen out of the garbage
    collector: a full collection walking Django and a benchmark's rows stopped the sender for
    300 ms, which the open loop counted as the server's latency (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coroutine)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(asyncio.run, coroutine).result()
    finally:
        gc.unfreeze()


class _Sender:
    def __init__(self, target, bodies, *, first, count, seconds, timeout):
        self.target, self.bodies, self.first = target, bodies, first
        self.count, self.seconds = count, seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.sent: list[Sent] = []

    def more(self, index: int, started: float, now: float) -> bool:
        if self.count is not None and index >= self.count:
            return False
        return self.seconds is None or now - started < self.seconds

    async def post(self, session: aiohttp.ClientSession, index: int, due: float) -> None:
        i = self.first + index
        order_id, body = self.bodies.order_id(i), self.bodies(i)
        status, error = None, ""
        try:
            async with session.post(self.target.url, data=body, headers=self.target.headers) as answer:
                await answer.read()
                status = answer.status
        except asyncio.CancelledError:
            error = "cancelled: past the load's time limit"
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:200]
        finally:
            self.sent.append(Sent(order_id, due, time.monotonic() - due, status, error))

    async def run(self, *, concurrency, rate, limit_seconds) -> Load:
        # Gunicorn's sync workers close every connection; others keep them alive. Either works.
        connector = aiohttp.TCPConnector(limit=concurrency or MOST_IN_FLIGHT, limit_per_host=0)
        async with aiohttp.ClientSession(connector=connector, timeout=self.timeout) as session:
            started = time.monotonic()
            work = (
                self.closed_loop(session, concurrency, started)
                if concurrency
                else self.open_loop(session, rate, started)
            )
            late = 0.0
            with contextlib.suppress(TimeoutError):  # the cancelled requests recorded themselves
                late = await asyncio.wait_for(work, timeout=limit_seconds)
        self.sent.sort(key=lambda sent: sent.due)
        return Load(self.sent, started, time.monotonic(), concurrency, rate, late or 0.0)

    async def closed_loop(self, session, concurrency: int, started: float) -> float:
        next_index = 0

        async def connection():
            nonlocal next_index
            while self.more(next_index, started, time.monotonic()):
                index, next_index = next_index, next_index + 1
                await self.post(session, index, time.monotonic())

        await asyncio.gather(*(connection() for _ in range(concurrency)))
        return 0.0

    async def open_loop(self, session, rate: float, started: float) -> float:
        interval = 1 / rate
        in_flight: set[asyncio.Task] = set()
        late, index = 0.0, 0
        try:
            while True:
                due = started + index * interval
                if not self.more(index, started, due):
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                while len(in_flight) >= MOST_IN_FLIGHT:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                late = max(late, time.monotonic() - due)
                task = asyncio.create_task(self.post(session, index, due))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                index += 1
            if in_flight:
                await asyncio.wait(in_flight)
        finally:
            for task in in_flight:
                task.cancel()
            if in_flight:
                await asyncio.wait(in_flight)
        return late


# From the command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Post example orders to a server on 127.0.0.1 and print how fast it accepted them.",
    )
    parser.add_argument("--url", required=True, help="the server's base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--account", required=True)
    parser.add_argument("--app-key", required=True)
    parser.add_argument("--app-token", required=True)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--concurrency", type=int, help="connections, each posting as fast as answered")
    mode.add_argument("--rate", type=float, help="orders a second, sent on schedule (open loop)")
    parser.add_argument("--count", type=int, help="orders to post")
    parser.add_argument("--seconds", type=float, help="how long to post")
    parser.add_argument("--skus", type=int, default=1, help="spread the orders over SKUs 1..N of the catalog")
    options = parser.parse_args(argv)
    if options.count is None and options.seconds is None:
        parser.error("give --count or --seconds")
    load = post_orders(
        OrderTarget(options.url, options.account, options.app_key, options.app_token),
        count=options.count,
        seconds=options.seconds,
        concurrency=options.concurrency,
        rate=options.rate,
        bodies=OrderBodies(skus=options.skus),
    )
    print(load.summary())
    for error, n in load.errors().most_common(5):
        print(f"  {n}× {error}")
    return 0 if load.accepted == len(load.sent) else 1


if __name__ == "__main__":
    sys.exit(main())
