"""Break the broker, a worker, the connector and the database while a burst of orders arrives.

`bin/faults` (FAULTS_SIZE=full) gives each fault a burst of its own; the test suite's short form
causes all four in turn during one burst. Each burst ends with `Burst.check`: every accepted
order integrated or rejected exactly once, every notification owed delivered (copies only under
the same idempotency key), stock counts consistent. The servers are the run's own
(`conftest.stack`).
"""

import os
import time

import pytest
import requests
from celery import Celery

from tests.reliability.shapes import error_shape_problems

from .scenario import Burst

pytestmark = pytest.mark.faults


class Fault:
    """Something broken during the burst: `cause` breaks it and mends it; `check` judges the answers."""

    name = ""

    def cause(self, burst: Burst) -> None:
        raise NotImplementedError

    def check(self, burst: Burst, load) -> None:
        """By default the API takes every order all along: nothing it needs is broken."""
        refused = [
            sent
            for sent in load.sent
            if burst.answered_during(self.name, sent, slack=0) and not sent.accepted
        ]
        assert refused == []


class RedisStopped(Fault):
    """Redis stopped (keeping nothing on disk, so every queued message is lost), started again later."""

    name = "redis"

    def cause(self, burst):
        with burst.fault(self.name):
            burst.stack.redis.stop()
            time.sleep(burst.size.redis_down)
            burst.stack.redis.start()


class WorkerKilled(Fault):
    """A worker and its pool processes killed with SIGKILL while processing, restarted 5 s later."""

    name = "sigkill"

    def cause(self, burst):
        worker, in_hand = busy_worker(burst.stack, ("worker-1", "worker-2"))
        with burst.fault(self.name):
            burst.stack.kill_worker(worker)
            time.sleep(5)
            burst.stack.start_worker(worker, burst.size.workers)  # as a supervisor restarts it
        burst.figures.notes.append(f"processing tasks in the killed worker's hands: {len(in_hand)}")


PROCESSING_TASKS = ("orders.tasks.process_intakes", "orders.tasks.process_intake")


def busy_worker(stack, workers, *, timeout: float = 60) -> tuple[str, list[str]]:
    """Wait until one of `workers` is processing submissions (a batch, or one); return its name
    and the ids of the tasks it is running."""
    # Not made current: the app's own code in this process queues through `current_app`.
    control = Celery(broker=stack.redis.url, set_as_current=False).control
    hostnames = {f"{worker}@faults": worker for worker in workers}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = control.inspect(destination=list(hostnames), timeout=1).active() or {}
        for hostname, active in replies.items():
            found = [task["id"] for task in active if task["name"] in PROCESSING_TASKS]
            if found and hostname in hostnames:
                return hostnames[hostname], found
    raise AssertionError(f"no worker processed a submission within {timeout:g} s")


class ConnectorFailing(Fault):
    """The connector's endpoint answers 500, then answers only past the app's timeout, then recovers."""

    name = "connector"

    def cause(self, burst):
        with burst.fault(self.name):
            try:
                burst.receiver.respond(status=500)
                time.sleep(burst.size.connector_failing)
                burst.receiver.respond(delay=burst.size.notification_timeout + 2)
                time.sleep(burst.size.connector_hanging)
            finally:
                burst.receiver.respond()


class PostgresRestarted(Fault):
    """PostgreSQL shut down (sessions ended, open transactions rolled back) and started again."""

    name = "postgresql"

    def cause(self, burst):
        self.probes = []
        with burst.fault(self.name):
            burst.stack.postgres.stop()
            began = time.monotonic()
            try:
                while time.monotonic() - began < burst.size.postgres_down:
                    # One of the last orders of the burst, which posts it again later: the same submission.
                    body = burst.bodies(burst.size.orders - 1 - len(self.probes))
                    self.probes.append(
                        requests.post(burst.target.url, data=body, headers=burst.target.headers, timeout=30)
                    )
                    time.sleep(0.5)
            finally:
                burst.stack.postgres.start()

    def check(self, burst, load):
        # While it is down, a request fails cleanly: 503 in the contract's body, with Retry-After.
        assert self.probes
        for answer in self.probes:
            assert (answer.status_code, answer.json()["code"]) == (503, "EOI006"), answer.text[:500]
            assert int(answer.headers["Retry-After"]) > 0
            content_type = answer.headers["Content-Type"]
            assert error_shape_problems("/api/order-integration/orders", content_type, answer.json()) == []
        refused = [sent for sent in load.sent if not sent.accepted]
        assert refused, "no order arrived while PostgreSQL was down"
        assert {sent.status for sent in refused} == {503}
        assert [sent for sent in refused if not burst.answered_during(self.name, sent)] == []


# The kill comes first: later in a short burst the queue may be empty (Redis stopped loses every
# queued message; the sweep queues those submissions again only after a while).
FAULTS = [WorkerKilled, ConnectorFailing, PostgresRestarted, RedisStopped]


def bursts() -> list[list[type[Fault]]]:
    """The full size gives each fault a burst of its own; the short form causes them all in one."""
    if os.environ.get("FAULTS_SIZE") == "full":
        return [[fault] for fault in FAULTS]
    return [FAULTS]


@pytest.mark.parametrize("faults", bursts(), ids=lambda faults: "+".join(fault.name for fault in faults))
def test_nothing_accepted_is_lost_or_done_twice(faults, stack, receiver, size, reports):
    faults = [fault() for fault in faults]
    burst = Burst(stack, receiver, size, "-".join(fault.name for fault in faults))
    restarted_before = sum(stack.restarts.values())
    # A single fault comes a third of the way through the burst; several start earlier, one by one.
    burst.start(fault_at=size.seconds / 3 if len(faults) == 1 else size.seconds / 10)
    for fault in faults:
        fault.cause(burst)
        time.sleep(2)
    load = burst.finish()
    restarted = sum(stack.restarts.values()) - restarted_before
    if restarted:
        burst.figures.notes.append(
            f"workers that exited by themselves, started again by the supervisor: {restarted}"
        )
    for fault in faults:
        fault.check(burst, load)
    census = burst.settle_and_check(reports)
    if any(isinstance(fault, ConnectorFailing) for fault in faults):
        assert census["notification_attempts"] > census["notifications"]  # the failures were retried
