"""Celery application: `celery -A config worker` and `celery -A config beat`."""

import logging
import os

from celery import Celery

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("order_authorization")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A passing hiccup of the broker is retried briefly; an outage is left to the sweeps.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def enqueue_on_commit(task, *args, countdown: float | None = None) -> None:
    """Queue `task(*args)` once the current transaction commits; never fail the caller.

    When the broker cannot be reached the row the task would work on is already committed,
    and the scheduled sweeps pick it up later: nothing is lost, it is only delayed.
    """
    from django.db import transaction

    def send():
        try:
            task.apply_async(args, countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY)
        except Exception:  # the broker is down: the sweep will queue it
            logger.warning("Could not queue %s%r; the sweep will pick it up.", task.name, args, exc_info=True)

    transaction.on_commit(send, robust=True)
