"""Queueing Celery tasks after the transaction commits, without ever failing the caller.

Every app queues its tasks through here: the row a task works on is committed first, and a broker
that cannot be reached only delays the work until a scheduled sweep queues it again. Tasks are
`celery.shared_task`s, so this module needs only the current app (`config.celery`), never imports it.
"""

import logging
import time

from celery import current_app
from kombu.exceptions import OperationalError as BrokerUnavailable

from .redis import UNAVAILABLE, redis_backing_off, redis_failed, redis_run, redis_send

logger = logging.getLogger(__name__)

# A passing hiccup of the broker is retried briefly; an outage is left to the sweeps, and after a
# publish failed this process leaves the broker alone a moment (kit.redis's backoff, one with the
# app's Redis when that is the broker): during an outage each request would otherwise spend its
# own retries (and timeouts) on it before answering.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def enqueue_on_commit(task, *args, countdown: float | None = None) -> None:
    """Queue `task(*args)` once the current transaction commits; never fail the caller.

    When the broker cannot be reached the row the task would work on is already committed,
    and the scheduled sweeps pick it up later: nothing is lost, it is only delayed.
    """
    from django.db import transaction

    transaction.on_commit(lambda: _publish(task, args, countdown=countdown), robust=True)


def on_commit_queue(queue) -> None:
    """Once the current transaction commits, run `queue()`, which queues tasks through
    `enqueue_on_commit` (at once, by then); never fail the caller. For tasks whose arguments are
    known only then, such as the keys of rows inserted with others (`kit.together`)."""
    from django.db import transaction

    def run():
        try:
            queue()
        except Exception:
            logger.warning("Could not queue %s; the sweep will pick its rows up.", queue, exc_info=True)

    transaction.on_commit(run, robust=True)


def enqueue_now(task, *args) -> None:
    """Queue `task(*args)` now, even within a transaction; never fail the caller. For a task
    that must not wait for this transaction: the next batch, while this one holds its claims."""
    _publish(task, args, countdown=None)


def run_on_commit(function, *args) -> None:
    """Run `function(*args)` in this process once the current transaction commits; never fail the
    caller. For work whose row is committed and swept if this process dies before it is done
    (a worker delivering its own batch's notifications), so an error here is only logged."""
    from django.db import transaction

    def run():
        try:
            function(*args)
        except Exception:
            logger.exception("%s after commit failed; the sweep will pick its rows up.", function.__name__)

    transaction.on_commit(run, robust=True)


def enqueue_once_on_commit(
    task, *, key: str, seconds: float = 10.0, ahead: "OnceAhead | None" = None
) -> None:
    """Queue `task()` once the current transaction commits, unless an earlier call queued it and
    the task has not started since (it calls `once_started(key)` first thing); never fail the caller.

    For work that a task takes in batches: a thousand rows written a second need a task now
    and then, not a thousand. The mark lives on the broker's Redis and lasts `seconds` at most,
    so a task lost with its message holds nothing up for longer. Without Redis (tasks run
    inline, or the embedded broker) every call queues the task, which then finds less to do.
    With `ahead` read before the transaction began, and holding (`OnceAhead.holds`), the task
    already queued will see what this transaction wrote, and nothing is asked after the commit.
    """
    from django.db import transaction

    def publish_if(marked) -> None:
        if marked is UNAVAILABLE:  # the broker is as unreachable: the sweep queues it
            logger.info("The broker's Redis does not answer; %s waits for the sweep.", task.name)
        elif marked:
            _publish(task, (), countdown=None)

    def send():
        if ahead is not None and ahead.holds():  # committed within the grace: the task will see it
            return
        marks = _marks_url()
        if marks is None:
            _publish(task, (), countdown=None)
            return
        # With the other commands of the open `redis_together()` block, if any.
        redis_send(
            lambda pipeline: pipeline.set(_mark_key(key), 0, nx=True, px=int(seconds * 1000)),
            then=publish_if,
            url=marks,
        )

    transaction.on_commit(send, robust=True)


# Relying on a queued task instead of asking for one after the commit: when the mark is there
# and lives on past the grace, it takes the grace in milliseconds (the largest asked), and the
# task that takes the mark claims again once the grace has passed (`once_started`).
RELY = """
local grace = tonumber(ARGV[1])
if redis.call('pttl', KEYS[1]) > grace then
  if grace > (tonumber(redis.call('get', KEYS[1])) or 0) then
    redis.call('set', KEYS[1], ARGV[1], 'KEEPTTL')
  end
  return 1
end
return 0
"""


class OnceAhead:
    """A request's look, before its transaction, at the mark of a task queued by
    `enqueue_once_on_commit`, sent with the request's first round trip to the app's Redis.

    When the mark is there, its task has not started, and it lives on past `grace`, the request
    relies on it: it holds if the request commits within `grace` of looking, since the task that
    takes the mark claims again `grace` after taking it, so after that commit. A request that
    commits later, or could not look, asks after its commit as usual.
    """

    def __init__(self, key: str, *, grace: float):
        self.key, self.grace = key, grace
        self.looked_at: float | None = None
        self.relied = False

    @classmethod
    def possible(cls, key: str, *, grace: float) -> "OnceAhead | None":
        """One, when the marks live on the app's Redis (where the first round trip goes)."""
        from django.conf import settings

        marks = _marks_url()
        return cls(key, grace=grace) if marks is not None and marks == settings.REDIS_URL else None

    def send(self, pipeline) -> None:
        self.looked_at = time.monotonic()  # before Redis looks: the grace is counted from no later
        pipeline.eval(RELY, 1, _mark_key(self.key), int(self.grace * 1000))

    def read(self, reply) -> None:
        self.relied = reply == 1

    def holds(self) -> bool:
        return self.relied and self.looked_at is not None and time.monotonic() - self.looked_at < self.grace


def once_started(key: str) -> float | None:
    """For a task queued by `enqueue_once_on_commit`: what is written from now on queues it again.

    Return the moment (`time.monotonic()`) after which the task must claim once more, when a
    request relied on it (`OnceAhead`); None when none did.
    """
    marks = _marks_url()
    if marks is None:  # unavailable, the mark expires by itself
        return None
    taken = redis_run(lambda client: client.getdel(_mark_key(key)), url=marks)
    try:
        grace_ms = int(taken) if taken not in (None, UNAVAILABLE) else 0
    except ValueError:
        grace_ms = 0
    return time.monotonic() + grace_ms / 1000 if grace_ms > 0 else None


def _marks_url() -> str | None:
    """The broker's Redis, where the marks live; None when tasks do not go through Redis."""
    url = current_app.conf.broker_url or ""
    if current_app.conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    return url


def _mark_key(key: str) -> str:
    from django.conf import settings

    return settings.REDIS_KEY_PREFIX + key


def _publish(task, args: tuple, *, countdown: float | None) -> None:
    broker = current_app.conf.broker_url or ""
    if redis_backing_off(url=broker):
        logger.info("The broker failed moments ago; %s%r waits for the sweep.", task.name, args)
        return
    try:
        task.apply_async(args, countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY)
    except (BrokerUnavailable, OSError) as problem:
        redis_failed(problem, url=broker)  # which warns of the outage, once
        logger.info("Could not queue %s%r; the sweep will pick it up.", task.name, args)
    except Exception:  # whatever else failed, the sweep will queue it
        logger.warning("Could not queue %s%r; the sweep will pick it up.", task.name, args, exc_info=True)


def requeue(task, ids, *, what: str) -> int:
    """For a sweep: queue `task(id)` for each of `ids` now; stop at the first broker failure (the
    next sweep tries again). Return how many were queued."""
    queued = 0
    for row_id in ids:
        try:
            task.apply_async((row_id,), retry=False)
        except Exception:
            logger.warning("Broker unavailable; %s wait for the next sweep.", what)
            break
        queued += 1
    return queued
