"""Queueing Celery tasks after the transaction commits, without ever failing the caller.

Every app queues its tasks through here: the row a task works on is committed first, and a broker
that cannot be reached only delays the work until a scheduled sweep queues it again. Tasks are
`celery.shared_task`s, so this module needs only the current app (`config.celery`), never imports it.
"""

import logging

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


def enqueue_once_on_commit(task, *, key: str, seconds: float = 10.0) -> None:
    """Queue `task()` once the current transaction commits, unless an earlier call queued it and
    the task has not started since (it calls `once_started(key)` first thing); never fail the caller.

    For work that a task takes in batches: a thousand rows written a second need a task now
    and then, not a thousand. The mark lives on the broker's Redis and lasts `seconds` at most,
    so a task lost with its message holds nothing up for longer. Without Redis (tasks run
    inline, or the embedded broker) every call queues the task, which then finds less to do.
    """
    from django.db import transaction

    def publish_if(marked) -> None:
        if marked is UNAVAILABLE:  # the broker is as unreachable: the sweep queues it
            logger.info("The broker's Redis does not answer; %s waits for the sweep.", task.name)
        elif marked:
            _publish(task, (), countdown=None)

    def send():
        marks = _marks_url()
        if marks is None:
            _publish(task, (), countdown=None)
            return
        # With the other commands of the open `redis_together()` block, if any.
        redis_send(
            lambda pipeline: pipeline.set(_mark_key(key), 1, nx=True, px=int(seconds * 1000)),
            then=publish_if,
            url=marks,
        )

    transaction.on_commit(send, robust=True)


def once_started(key: str) -> None:
    """For a task queued by `enqueue_once_on_commit`: what is written from now on queues it again."""
    marks = _marks_url()
    if marks is not None:  # unavailable, the mark expires by itself
        redis_run(lambda client: client.delete(_mark_key(key)), url=marks)


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
