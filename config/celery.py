"""Celery application: `celery -A config worker` and `celery -A config beat`."""

import logging
import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("order_authorization")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def drop_broken_connections(sender=None, **kwargs) -> None:
    """Around each task, what Django does around each request: close a database connection that
    failed (e.g. PostgreSQL restarted) or outlived DATABASE_CONN_MAX_AGE, so that connections
    reused across tasks (CELERY_DB_REUSE_MAX) never carry an error into the next task."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # run in the caller's transaction: its connection is the caller's
    from django.db import close_old_connections

    close_old_connections()


# A passing hiccup of the broker is retried briefly; an outage is left to the sweeps.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# After a publish failed, this process leaves the broker alone this long: during an outage each
# request would otherwise spend its own retries (and timeouts) on it before answering.
BROKER_BACKOFF_SECONDS = 2.0
_broker_failed_at: float | None = None


def enqueue_on_commit(task, *args, countdown: float | None = None) -> None:
    """Queue `task(*args)` once the current transaction commits; never fail the caller.

    When the broker cannot be reached the row the task would work on is already committed,
    and the scheduled sweeps pick it up later: nothing is lost, it is only delayed.
    """
    from django.db import transaction

    def send():
        global _broker_failed_at
        if _broker_failed_at is not None and time.monotonic() - _broker_failed_at < BROKER_BACKOFF_SECONDS:
            logger.info("The broker failed moments ago; %s%r waits for the sweep.", task.name, args)
            return
        try:
            task.apply_async(args, countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY)
        except (BrokerUnavailable, OSError):
            _broker_failed_at = time.monotonic()
            logger.warning("Could not queue %s%r; the sweep will pick it up.", task.name, args, exc_info=True)
        except Exception:  # whatever else failed, the sweep will queue it
            logger.warning("Could not queue %s%r; the sweep will pick it up.", task.name, args, exc_info=True)
        else:
            _broker_failed_at = None

    transaction.on_commit(send, robust=True)


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


def messages_waiting(queue: str) -> int:
    """How many messages wait in `queue` on the broker; 0 when tasks run inline or the broker
    cannot be asked (a sweep then assumes nothing waits, and queues what it finds)."""
    if app.conf.task_always_eager:
        return 0
    try:
        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:
        logger.warning("Could not count the messages waiting in %s.", queue, exc_info=True)
        return 0
