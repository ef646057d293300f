"""Celery application: `celery -A config worker` and `celery -A config beat`.

Tasks are queued after commit through `kit.enqueue`; the apps never import this module.
"""

import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class Schedule(PersistentScheduler):
    """Celery's schedule kept in a file, whose folder is made first: a fresh checkout has no
    `var/`, and beat dying there would leave every sweep that recovers lost work unrun."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


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
