"""Celery application: `celery -A config worker` and `celery -A config beat`.

Tasks are queued after commit through `kit.enqueue`; the apps never import this module.
"""

import gc
import logging
import os
import time
from pathlib import Path

import sentry_sdk
from celery import Celery, bootsteps
from celery.beat import PersistentScheduler
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_init,
)
from django.conf import settings
from django.db import close_old_connections
from sentry_sdk.crons import MonitorStatus, capture_checkin

from kit.logs import LogContextFilter, json_formatter, log_context, log_context_clear, log_context_start
from operations.signals import beat_alive, worker_alive

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


def _alive(signal, **arguments) -> None:
    """Say a process is alive; a database that is away only leaves its heartbeat older, as it should.
    Sent from a timer, outside any task: the connection is tidied first, as around a task."""
    try:
        close_old_connections()
        signal.send(sender=None, **arguments)
    except Exception:
        logger.warning("Could not record the heartbeat", exc_info=True)


def monitor_every_minute(entry) -> None:
    """Check in to Sentry for an entry run more often than once a minute, which Sentry's Celery
    integration leaves out: monitored as running every minute, it is an alert within minutes when
    it stops. The worker reports the run's end from these headers, as for the other entries."""
    if entry.name not in settings.SENTRY_EVERY_MINUTE or not sentry_sdk.get_client().is_active():
        return
    config = {"schedule": {"type": "interval", "value": 1, "unit": "minute"}, "timezone": settings.TIME_ZONE}
    check_in_id = capture_checkin(
        monitor_slug=entry.name, monitor_config=config, status=MonitorStatus.IN_PROGRESS
    )
    entry.options["headers"] = {
        **entry.options.get("headers", {}),
        "sentry-monitor-slug": entry.name,
        "sentry-monitor-config": config,
        "sentry-monitor-check-in-id": check_in_id,
    }


class Schedule(PersistentScheduler):
    """Celery's schedule kept in a file, whose folder is made first: a fresh checkout has no
    `var/`, and beat dying there would leave every sweep that recovers lost work unrun.

    Beat says it is alive as it ticks (`/health/ready`), waking at least that often."""

    _stamped_at = float("-inf")

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()

    def apply_entry(self, entry, producer=None):
        monitor_every_minute(entry)
        return super().apply_entry(entry, producer=producer)

    def tick(self, *args, **kwargs):
        every = settings.HEALTH_HEARTBEAT_SECONDS
        if time.monotonic() - self._stamped_at >= every:
            self._stamped_at = time.monotonic()
            _alive(beat_alive)
        return min(super().tick(*args, **kwargs), every)


class Heartbeat(bootsteps.StartStopStep):
    """Each worker says it is alive from its main process's timer (`/health/ready`): a step of the
    worker's own, so the consumer's restarts after a lost broker do not cancel it."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker):
        _alive(worker_alive, hostname=worker.hostname)
        self.timer_entry = worker.timer.call_repeatedly(
            settings.HEALTH_HEARTBEAT_SECONDS, self.alive, (worker.hostname,), priority=10
        )

    @staticmethod
    def alive(hostname: str) -> None:
        _alive(worker_alive, hostname=hostname)

    def stop(self, worker):
        if self.timer_entry is not None:
            self.timer_entry.cancel()


app = Celery("order_authorization")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(Heartbeat)


@worker_init.connect
def keep_the_loaded_code_out_of_collections(**kwargs) -> None:
    """Sent in the worker's main process once the tasks are imported, before its pool's processes
    fork: what they all keep for their lives is left out of the collector's full passes, which
    otherwise stall the tasks of that process for ~100 ms (docs/operations.md#processes)."""
    gc.collect()
    gc.freeze()


@task_prerun.connect
@task_postrun.connect
def drop_broken_connections(sender=None, **kwargs) -> None:
    """Around each task, what Django does around each request: close a database connection that
    failed (e.g. PostgreSQL restarted) or outlived DATABASE_CONN_MAX_AGE, so that connections
    reused across tasks (CELERY_DB_REUSE_MAX) never carry an error into the next task."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # run in the caller's transaction: its connection is the caller's
    close_old_connections()


# The request id travels with the tasks a request queued, and with those they queue in turn.
REQUEST_ID_HEADER = "request_id"


@before_task_publish.connect
def carry_request_id(headers=None, **kwargs) -> None:
    request_id = log_context().get("request_id")
    if request_id is not None and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def start_task_log_context(sender=None, task_id=None, task=None, **kwargs) -> None:
    if task is None or getattr(task.request, "is_eager", False):
        return  # run inline: the caller's context is the task's
    log_context_start(
        request_id=getattr(task.request, REQUEST_ID_HEADER, None), task=task.name, task_id=task_id
    )


@task_postrun.connect
def end_task_log_context(sender=None, task=None, **kwargs) -> None:
    if task is not None and not getattr(task.request, "is_eager", False):
        log_context_clear()


@after_setup_logger.connect
@after_setup_task_logger.connect
def log_with_context(logger=None, **kwargs) -> None:
    """Workers and beat log through Celery's handlers (at their --loglevel): their lines carry the
    log context too, and are JSON objects under LOG_FORMAT=json."""
    for handler in logger.handlers if logger is not None else ():
        handler.addFilter(LogContextFilter())
        if settings.LOG_FORMAT == "json":
            handler.setFormatter(json_formatter())
