"""Celery application: `celery -A config worker` and `celery -A config beat`.

Tasks are queued after commit through `kit.enqueue`; the apps never import this module.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

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
