"""A connector on 127.0.0.1 that records what it is told: every notification and hook call, for exactly-once counts.

`ConnectorReceiver` answers 200 to any POST under its endpoint (the processing result at
`{endpoint}/order-integration/notification/processing-result?an=`, a hook's calls) and records
each one's arrival time, path, code, marketplace order id and `Idempotency-Key`, in its own
thread and event loop. `respond(status=500)` makes it fail from then on, `respond(delay=…)`
answer only after that many seconds (past the app's timeout: a connector that hangs), and
`respond()` recover; each arrival records how it was answered. Its clock is `time.monotonic()`,
as `bench.load.post_orders`' is: in one process, arrival minus due time is the order's time from POST to notification.
"""

import asyncio
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiohttp import web

from .harness_processes import free_port
from .harness_timing import Samples
from .load import Load


@dataclass(frozen=True, slots=True)
class Arrival:
    """One POST the connector received."""

    at: float  # monotonic seconds
    path: str
    code: str | None
    order_id: str | None  # marketplaceOrderId
    idempotency_key: str
    attempt: str  # X-Notification-Attempt
    status: int = 200  # what the receiver answered
    delay: float = 0.0  # seconds it waited before answering


@dataclass(frozen=True)
class Tally:
    """What reached the connector, set against what it should have received.

    A notification retried after a failed delivery keeps its idempotency key: a retry is not a
    duplicate. An order notified under two idempotency keys is.
    """

    notifications: int  # POSTs received, retries included
    orders: int  # distinct marketplace order ids notified
    by_code: dict[str, int]  # notifications (distinct idempotency keys) by code
    retries: int  # POSTs repeating an idempotency key already received
    duplicated: tuple[str, ...]  # order ids notified under more than one idempotency key
    missing: tuple[str, ...]  # expected order ids never notified
    unexpected: tuple[str, ...]  # order ids notified but not expected

    @property
    def exactly_once(self) -> bool:
        return not (self.duplicated or self.missing or self.unexpected)

    def summary(self) -> str:
        codes = ", ".join(f"{code} {n:,}" for code, n in sorted(self.by_code.items()))
        return (
            f"{self.notifications:,} notifications for {self.orders:,} orders ({codes}); {self.retries:,} retries, "
            f"{len(self.duplicated):,} duplicated, {len(self.missing):,} missing, {len(self.unexpected):,} unexpected"
        )


@dataclass
class ConnectorReceiver:
    """A connector's endpoint on `host` that answers 200 and records every POST (a context manager)."""

    port: int = 0
    host: str = "127.0.0.1"
    arrivals: list[Arrival] = field(default_factory=list)
    status: int = 200  # answered to every POST; see `respond`
    delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _stopped: asyncio.Event | None = None

    @property
    def endpoint(self) -> str:
        """The connector's endpoint, as the app stores it; notifications go under it."""
        return f"http://{self.host}:{self.port}/api/vtex"

    def __enter__(self) -> "ConnectorReceiver":
        self.port = self.port or free_port()
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True, name="receiver")
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the connector receiver did not start")
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self, started: threading.Event) -> None:
        async def main():
            self._loop = asyncio.get_running_loop()
            self._stopped = asyncio.Event()
            app = web.Application()
            app.router.add_post("/{tail:.*}", self._receive)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, self.host, self.port, backlog=1024).start()
            started.set()
            await self._stopped.wait()
            await runner.cleanup()

        asyncio.run(main())

    def respond(self, *, status: int = 200, delay: float = 0.0) -> None:
        """Answer every POST from now on with `status`, after `delay` seconds (a fault, or recovery)."""
        with self._lock:
            self.status, self.delay = status, delay

    async def _receive(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        with self._lock:
            status, delay = self.status, self.delay
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        arrival = Arrival(
            at=at,
            path=request.path,
            code=body.get("code"),
            order_id=body.get("marketplaceOrderId"),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            attempt=request.headers.get("X-Notification-Attempt", ""),
            status=status,
            delay=delay,
        )
        with self._lock:
            self.arrivals.append(arrival)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response({}, status=status)

    def clear(self) -> None:
        """Forget what arrived so far: the next tally counts only what comes after."""
        with self._lock:
            self.arrivals.clear()

    def received(self) -> list[Arrival]:
        with self._lock:
            return list(self.arrivals)

    def first_arrival(self) -> dict[str, Arrival]:
        """The first notification of each order id."""
        first = {}
        for arrival in self.received():
            if arrival.order_id is not None and arrival.order_id not in first:
                first[arrival.order_id] = arrival
        return first

    def wait_for(self, order_ids: Iterable[str], *, timeout: float, poll: float = 0.1) -> bool:
        """Wait until each of `order_ids` has a notification; False when `timeout` passes first."""
        waiting = set(order_ids)
        deadline = time.monotonic() + timeout
        while True:
            waiting -= {arrival.order_id for arrival in self.received()}
            if not waiting:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)

    def tally(self, *, expected: Iterable[str] | None = None) -> Tally:
        """Count what arrived; with `expected` order ids, also which are missing or unexpected."""
        arrivals = self.received()
        keys_of: dict[str, set[str]] = defaultdict(set)
        codes: Counter = Counter()
        seen_keys: set[str] = set()
        retries = 0
        for arrival in arrivals:
            key = arrival.idempotency_key or f"no key {id(arrival)}"
            if key in seen_keys:
                retries += 1
                continue
            seen_keys.add(key)
            codes[arrival.code or "?"] += 1
            if arrival.order_id is not None:
                keys_of[arrival.order_id].add(key)
        notified = set(keys_of)
        wanted = set(expected) if expected is not None else notified
        return Tally(
            notifications=len(arrivals),
            orders=len(notified),
            by_code=dict(codes),
            retries=retries,
            duplicated=tuple(sorted(order for order, keys in keys_of.items() if len(keys) > 1)),
            missing=tuple(sorted(wanted - notified)),
            unexpected=tuple(sorted(notified - wanted)),
        )

    def times_to_notification(self, load: Load, *, code: str | None = "SOI001") -> Samples:
        """Seconds from each accepted order's due time to its first notification (of `code`)."""
        first = {}
        for arrival in self.received():
            if arrival.order_id is not None and (code is None or arrival.code == code):
                first.setdefault(arrival.order_id, arrival.at)
        due = {sent.order_id: sent.due for sent in load.sent if sent.accepted}
        return Samples(tuple(first[order] - due[order] for order in due if order in first))
