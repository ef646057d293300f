"""What the lane's tests share: the worker they start, and the ways they watch it through the broker."""

import contextlib
import json
import os
import signal
import time
from pathlib import Path

from tests.worker import start_worker
from tests.worker_lane.worker_settings import SWEEP_SECONDS

# The first retry of a notification comes this long after a failed try, the next twice as long:
# short, so the lane sees several, long enough to tell a countdown from no wait at all.
RETRY_BASE_SECONDS = 1.0


def start_lane_worker(*, queues: str | None = None, **options):
    """A worker (and its beat) on the test's database and Redis, with the lane's settings;
    `options` as `start_worker` takes them."""
    return start_worker(
        queues=queues,
        DJANGO_SETTINGS_MODULE="tests.worker_lane.worker_settings",
        NOTIFICATION_RETRY_BASE_SECONDS=RETRY_BASE_SECONDS,
        **options,
    )


def calling(client, credentials):
    """A connector calling the order API: each request commits, and the worker takes its tasks
    from Redis (nothing runs in the test's process)."""
    from tests.connector_client import ConnectorClient

    return ConnectorClient(client, credentials, lambda execute: contextlib.nullcontext())


def unacknowledged() -> list[str]:
    """The tasks the broker has handed to a worker and keeps until the worker acknowledges them."""
    from config.celery import app

    with app.connection_for_read() as connection:
        channel = connection.default_channel
        # kombu puts the run's key prefix before the keys of the commands it sends itself, not HVALS.
        held = channel.client.hvals(channel.global_keyprefix + channel.unacked_key)
        return [json.loads(raw)[0]["headers"]["task"] for raw in held]


def consume(queue: str) -> None:
    """Have the running worker take tasks from `queue` too, as a worker started for it would."""
    from config.celery import app

    assert app.control.add_consumer(queue, reply=True, timeout=5, limit=1), "no worker answered"


def stop_consuming(queue: str) -> None:
    """Have the running worker leave `queue` alone."""
    from config.celery import app

    assert app.control.cancel_consumer(queue, reply=True, timeout=5, limit=1), "no worker answered"
    # A read the worker had under way (a BRPOP of up to 1 s) hands back what it takes meanwhile.
    time.sleep(1.2)


def notified(server, count: int, *, timeout: float = 30):
    """Exactly `count` notifications, and still `count` after the sweeps had their turn: a
    duplicate, or one sent when nothing should have been, would show."""
    server.wait_for(count, timeout=timeout)
    time.sleep(SWEEP_SECONDS * 1.5)
    return server.wait_for(count)


def drop_publishing(monkeypatch, task) -> None:
    """Make this process's publishing of `task` fail, as when the broker drops the connection:
    the app then leaves the work to the sweeps."""
    from kombu.exceptions import OperationalError

    def dropped(*args, **kwargs):
        raise OperationalError("Connection closed by server.")

    monkeypatch.setattr(task, "apply_async", dropped)


def kill_hard(process) -> None:
    """SIGKILL the worker and the beat process it runs, as a lost machine would: nothing shuts down cleanly."""
    for pid in [*_children(process.pid), process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


def decide_in_admin(client, approver, order, action: str, **form):
    """The approver's click on Approve or Deny on the order's admin page."""
    client.force_login(approver)
    return client.post(f"/admin/orders/order/{order.pk}/{action}/", form)
